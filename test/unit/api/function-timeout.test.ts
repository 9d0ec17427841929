/**
 * A request that runs out of time (middy's early timeout, just before the function's deadline): a 503 with
 * Retry-After, not a 500; and its idempotency claim is kept, so that no retry executes beside the handler,
 * which middy does not stop. The claim lapses by itself just after the deadline.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isFunctionTimeout, toApiError } from '../../../lambdas/api/errors';
import type { IdempotencyStore } from '../../../lambdas/api/idempotency';
import { httpErrors, idempotent } from '../../../lambdas/api/middleware';

function event(): APIGatewayProxyEvent {
  return {
    resource: '/v1/things',
    path: '/v1/things',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'slow-1' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: '{}',
    isBase64Encoded: false,
    requestContext: {
      requestId: 'req-1',
      identity: { apiKeyId: 'key-1' },
    } as APIGatewayProxyEvent['requestContext'],
  };
}

describe('a request that runs out of time', () => {
  it('answers 503 with Retry-After and keeps its idempotency claim', async () => {
    const calls: string[] = [];
    const store = {
      begin: async () => {
        calls.push('begin');
        return { kind: 'execute', lock: { pk: 'KEY#key-1#slow-1', lockId: 'l1' } };
      },
      complete: async () => {
        calls.push('complete');
        return true;
      },
      release: async () => {
        calls.push('release');
      },
    } as unknown as IdempotencyStore;
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(httpErrors(logger))
      .use(idempotent(store, logger))
      .handler(async () => {
        await new Promise((r) => setTimeout(r, 300));
        return { statusCode: 201, body: '{}' };
      });
    const deadline = Date.now() + 60;
    const context = { getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;

    const answer = await handler(event(), context);

    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(answer.body).error.code).toBe('service_unavailable');
    expect(answer.headers?.['Retry-After'] ?? answer.headers?.['retry-after']).toBe('2');
    expect(calls).toEqual(['begin']);
  });

  it('is told by middy, not by a name alone', () => {
    const middys = Object.assign(
      new Error('[AbortError]: The operation was aborted.', { cause: { package: '@middy/core' } }),
      {
        name: 'TimeoutError',
      },
    );
    const impostor = Object.assign(new Error('x'), { name: 'TimeoutError' });
    expect(isFunctionTimeout(middys)).toBe(true);
    expect(toApiError(middys).statusCode).toBe(503);
    expect(isFunctionTimeout(impostor)).toBe(false);
    expect(toApiError(impostor).statusCode).toBe(500);
  });
});
