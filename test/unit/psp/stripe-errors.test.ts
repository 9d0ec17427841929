/**
 * Every Stripe SDK error class onto our kinds. Only `rejected` may ever fail an order; a reused idempotency key
 * (type idempotency_error, EMPTY code), our own 401/403, 429, 5xx, timeouts and network errors are all
 * indeterminate, whatever their code says.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isRejection,
  PspIdempotencyError,
  PspInFlightError,
  type PspPermanentError,
  PspTransientError,
  PspUnauthorizedError,
} from '../../../lambdas/psp/errors';
import { classifyStripeError } from '../../../lambdas/psp/stripe-errors';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';

type ErrorClass = new (raw?: Record<string, unknown>) => Stripe.errors.StripeError;
const errors = Stripe.errors as unknown as Record<string, unknown>;

/** The kind each class must map to, as Stripe raises it (with the status it comes with). */
const EXPECTED: Record<string, { status?: number; raw?: Record<string, unknown>; kind: string }> = {
  StripeError: { status: 400, kind: 'transient' },
  StripeCardError: { status: 402, raw: { code: 'card_declined' }, kind: 'rejected' },
  StripeInvalidRequestError: { status: 400, raw: { code: 'resource_missing' }, kind: 'rejected' },
  StripeAPIError: { status: 500, kind: 'transient' },
  StripeAuthenticationError: { status: 401, kind: 'unauthorized' },
  StripePermissionError: { status: 403, kind: 'unauthorized' },
  StripeRateLimitError: { status: 429, raw: { code: 'rate_limit' }, kind: 'transient' },
  StripeConnectionError: { kind: 'transient' },
  StripeSignatureVerificationError: { kind: 'transient' },
  StripeIdempotencyError: { status: 400, raw: { type: 'idempotency_error' }, kind: 'idempotency_conflict' },
};

function kindOf(error: unknown): string {
  const classified = classifyStripeError(error);
  if (classified instanceof PspTransientError) return 'transient';
  return (classified as PspPermanentError).kind;
}

describe('Stripe SDK errors map onto what they prove', () => {
  const classes = Object.entries(errors).filter(
    ([name, value]) =>
      typeof value === 'function' &&
      (value === Stripe.errors.StripeError ||
        (value as { prototype: unknown }).prototype instanceof Stripe.errors.StripeError) &&
      name !== 'generate',
  ) as [string, ErrorClass][];

  it('covers the SDK: at least the classes Stripe documents', () => {
    expect(classes.map(([name]) => name)).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
  });

  for (const [name, ErrorClass] of classes) {
    it(`${name} is ${EXPECTED[name]?.kind ?? 'indeterminate (never rejected)'}`, () => {
      const expected = EXPECTED[name];
      const error = new ErrorClass({
        message: 'boom',
        ...(expected?.status ? { statusCode: expected.status } : {}),
        ...(expected?.raw ?? {}),
      });
      if (expected) {
        expect(kindOf(error)).toBe(expected.kind);
      } else {
        // OAuth and v2 classes are never raised by the v1 API we call: whatever they are, never evidence.
        expect(isRejection(classifyStripeError(error))).toBe(false);
      }
    });
  }

  it('a reused key is recognised by its type although its code is empty (the SDK factory, as on the wire)', () => {
    const error = Stripe.errors.StripeError.generate({
      type: 'idempotency_error',
      message:
        'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      statusCode: 400,
    } as never);
    expect(error.code).toBeUndefined();
    const classified = classifyStripeError(error);
    expect(classified).toBeInstanceOf(PspIdempotencyError);
    expect(isRejection(classified)).toBe(false);
  });

  it('a key still in use (409 idempotency_error) is transient and in flight: retry later, not at once', () => {
    const error = Stripe.errors.StripeError.generate({
      type: 'idempotency_error',
      code: 'idempotency_key_in_use',
      message: 'in use',
      statusCode: 409,
    } as never);
    const classified = classifyStripeError(error);
    expect(classified).toBeInstanceOf(PspTransientError);
    expect(classified).toBeInstanceOf(PspInFlightError);
    // The name is what the pay-in workflow's Retry matches.
    expect(classified.name).toBe('PspInFlightError');
  });

  it('a 5xx, a 429 and a dropped connection are transient but not in flight (no request holds the key)', () => {
    for (const status of [429, 500, 503]) {
      const error = Stripe.errors.StripeError.generate({
        type: 'api_error',
        message: 'x',
        statusCode: status,
      } as never);
      expect(classifyStripeError(error).name, String(status)).toBe('PspTransientError');
    }
    const dropped = new Stripe.errors.StripeConnectionError({
      message: 'An error occurred with our connection to Stripe.',
      detail: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
    } as never);
    expect(classifyStripeError(dropped).name).toBe('PspTransientError');
  });

  it.each([
    [401, PspUnauthorizedError],
    [403, PspUnauthorizedError],
    [429, PspTransientError],
    [500, PspTransientError],
    [502, PspTransientError],
    [503, PspTransientError],
  ])('HTTP %i from the SDK factory is never evidence', (status, expected) => {
    const error = Stripe.errors.StripeError.generate({
      type: 'api_error',
      message: 'x',
      statusCode: status,
    } as never);
    const classified = classifyStripeError(error);
    expect(classified).toBeInstanceOf(expected);
    expect(isRejection(classified)).toBe(false);
  });

  it('a timeout or network failure outside the SDK is transient; an abort or a timeout is in flight', () => {
    expect(classifyStripeError(new Error('socket hang up'))).toBeInstanceOf(PspTransientError);
    expect(classifyStripeError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBeInstanceOf(
      PspTransientError,
    );
    expect(classifyStripeError(new Error('socket hang up')).name).toBe('PspTransientError');
    expect(classifyStripeError(Object.assign(new Error('aborted'), { name: 'AbortError' })).name).toBe(
      'PspInFlightError',
    );
  });

  it('only an invalid request is a rejection (the PSP did nothing)', () => {
    const error = Stripe.errors.StripeError.generate({
      type: 'invalid_request_error',
      code: 'resource_missing',
      message: 'No such PaymentMethod',
      statusCode: 404,
    } as never);
    const classified = classifyStripeError(error);
    expect(isRejection(classified)).toBe(true);
    expect((classified as PspPermanentError).pspCode).toBe('resource_missing');
  });
});

describe('the SDK giving up on a PSP that has not answered yet', () => {
  // A PSP that takes every request and answers none (it may still be working on it).
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer(() => undefined);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });

  it("is in flight: the SDK's own timeout error, from a real request, maps to PspInFlightError", async () => {
    const stripe = createStripeClient({
      apiKey: 'sk_test_unanswered',
      apiBase: base,
      timeoutMs: 200,
      maxNetworkRetries: 0,
    });
    const error = await stripe.paymentIntents
      .create({ amount: 100, currency: 'usd' }, { idempotencyKey: 'payin-create-x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const classified = classifyStripeError(error);
    expect(classified).toBeInstanceOf(PspInFlightError);
    expect(isRejection(classified)).toBe(false);
  });
});
