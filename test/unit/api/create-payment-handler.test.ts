/**
 * The create-payment handler's edge, with storage that records every call: a refused request never reaches
 * storage or the idempotency table, and card data never reaches the answer or the logs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IdempotencyStore } from '../../../lambdas/api/idempotency';
import { createPaymentHandler } from '../../../lambdas/api/payments-api';

const CARD = '4242424242424242';

function apiEvent(body: string | null, headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return {
    resource: '/v1/payments',
    path: '/v1/payments',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-unit-1',
      identity: { apiKeyId: 'key-1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

const context = { getRemainingTimeInMillis: () => 10_000, awsRequestId: 'aws-1' } as unknown as Context;

let touched: string[];
let logged: string;
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

beforeEach(() => {
  touched = [];
  logged = '';
  const record = (what: string) => () => {
    touched.push(what);
    throw new Error(`${what} must not be called`);
  };
  const db = { send: vi.fn(record('dynamodb')) } as unknown as DynamoDBDocumentClient;
  const idempotency = {
    begin: vi.fn(record('idempotency.begin')),
    complete: vi.fn(record('idempotency.complete')),
    release: vi.fn(record('idempotency.release')),
    withLock: vi.fn(record('idempotency.withLock')),
  } as unknown as IdempotencyStore;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged += String(chunk);
    return true;
  });
  handler = createPaymentHandler({
    payments: { db, tables: { payments: 'p', ledger: 'l', wallets: 'w' } },
    logger: new Logger({ serviceName: 'unit', logLevel: 'DEBUG' }),
    idempotency,
    submit: record('submit') as never,
  }) as unknown as typeof handler;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const valid = {
  buyer_info: { buyer_id: 'b_1' },
  checkout_id: 'co_1',
  credit_card_info: 'pm_card_visa',
  payment_orders: [{ seller_account: 's_1', amount: '10.00', currency: 'USD', payment_order_id: 'po_1' }],
};

describe('create-payment refusals', () => {
  it.each([
    ['malformed JSON', apiEvent('{"checkout_id":'), 400, 'invalid_json'],
    ['a wrong content type', apiEvent('{}', { 'Content-Type': 'text/plain' }), 415, 'unsupported_media_type'],
    [
      'a missing field',
      apiEvent(JSON.stringify({ ...valid, checkout_id: undefined })),
      400,
      'validation_error',
    ],
    [
      'a float amount',
      apiEvent(JSON.stringify({ ...valid, payment_orders: [{ ...valid.payment_orders[0], amount: 10.5 }] })),
      400,
      'amount_is_float',
    ],
    [
      'a body over 64 KiB',
      apiEvent(JSON.stringify({ ...valid, pad: 'x'.repeat(70_000) })),
      413,
      'body_too_large',
    ],
    [
      'a card number',
      apiEvent(JSON.stringify({ ...valid, credit_card_info: CARD })),
      400,
      'card_data_not_allowed',
    ],
    [
      'an invalid Idempotency-Key',
      apiEvent(JSON.stringify(valid), { 'Idempotency-Key': 'k'.repeat(256) }),
      400,
      'idempotency_key_invalid',
    ],
  ])('answers %s with %i %s and touches no storage', async (_what, event, status, code) => {
    // Act
    const response = await handler(event, context);

    // Assess
    expect(response.statusCode).toBe(status);
    const body = JSON.parse(response.body);
    expect(body.error).toMatchObject({ code, request_id: 'req-unit-1' });
    expect(typeof body.error.message).toBe('string');
    expect(touched).toEqual([]);
  });

  it('never repeats a card number, in the answer or in the logs', async () => {
    // Prepare
    const event = apiEvent(
      JSON.stringify({
        ...valid,
        buyer_info: { buyer_id: 'b', name: `Ada ${CARD.replace(/(\d{4})/g, '$1 ')}` },
      }),
    );

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(logged).toContain('card_data_not_allowed');
    expect(logged).toContain('req-unit-1');
    for (const text of [response.body, logged]) {
      expect(text.replace(/\D/g, '')).not.toContain(CARD);
      expect(text).not.toContain('4242');
    }
  });
});
