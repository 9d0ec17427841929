import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../lambdas/api/errors';
import {
  canonicalJson,
  checkIdempotencyKey,
  idempotentId,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  requestFingerprint,
} from '../../../lambdas/api/idempotency';
import { lockDurationMs } from '../../../lambdas/api/middleware';
import { executionName } from '../../../lambdas/api/pay-in-workflow';

const body = {
  checkout_id: 'co_1',
  buyer_info: { buyer_id: 'b', email: 'a@b.co' },
  payment_orders: [
    { payment_order_id: 'po_1', amount: '10.00', currency: 'USD', seller_account: 's1' },
    { payment_order_id: 'po_2', amount: '5.00', currency: 'USD', seller_account: 's2' },
  ],
};

/** The same value with the keys of every object in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reversedKeys(v)]),
    );
  return value;
}

describe('idempotentId', () => {
  it('is the same for one request (scope, key, fingerprint) and differs if any of them does', () => {
    const id = idempotentId('rf', 'scope', 'key-1', 'fp');
    expect(id).toMatch(/^rf_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(idempotentId('rf', 'scope', 'key-1', 'fp')).toBe(id);
    expect(idempotentId('rf', 'other', 'key-1', 'fp')).not.toBe(id);
    expect(idempotentId('rf', 'scope', 'key-2', 'fp')).not.toBe(id);
    expect(idempotentId('rf', 'scope', 'key-1', 'fp2')).not.toBe(id);
    expect(idempotentId('pout', 'scope', 'key-1', 'fp')).toMatch(/^pout_/);
  });
});

describe('requestFingerprint', () => {
  it('is the same for the same request whatever the key order or whitespace', () => {
    // Prepare
    const reordered = JSON.parse(JSON.stringify(reversedKeys(body), null, 2));

    // Act + Assess
    expect(requestFingerprint('POST', '/v1/payments', reordered)).toBe(
      requestFingerprint('post', '/v1/payments', body),
    );
  });

  it('differs when any value, the order of a list, or the route differs', () => {
    // Prepare
    const base = requestFingerprint('POST', '/v1/payments', body);
    const changedAmount = structuredClone(body);
    (changedAmount.payment_orders[1] as { amount: string }).amount = '5.01';
    const swapped = { ...body, payment_orders: [...body.payment_orders].reverse() };

    // Act + Assess
    expect(requestFingerprint('POST', '/v1/payments', changedAmount)).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/payments', swapped)).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/refunds', body)).not.toBe(base);
    expect(requestFingerprint('POST', '/v1/payments', { ...body, extra: null })).not.toBe(base);
  });

  it('differs between the same route on two resources (its path parameters), not with their order', () => {
    const route = '/v1/payments/{payment_order_id}/refunds';
    const a = requestFingerprint('POST', route, {}, { payment_order_id: 'po_a' });
    expect(requestFingerprint('POST', route, {}, { payment_order_id: 'po_b' })).not.toBe(a);
    expect(requestFingerprint('POST', route, {}, { payment_order_id: 'po_a' })).toBe(a);
    const two = { seller_account: 's', payout_id: 'p' };
    expect(requestFingerprint('GET', '/x/{seller_account}/{payout_id}', null, two)).toBe(
      requestFingerprint('GET', '/x/{seller_account}/{payout_id}', null, reversedKeys(two) as typeof two),
    );
    // No parameters (null, as API Gateway sends them, or empty) is the route alone.
    expect(requestFingerprint('POST', '/v1/payments', body, null)).toBe(
      requestFingerprint('POST', '/v1/payments', body, {}),
    );
  });

  it('gives two JSON values the same canonical text exactly when they are deeply equal', () => {
    const roundTrip = (value: unknown) => JSON.parse(JSON.stringify(value));
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        // Act
        const same = canonicalJson(a) === canonicalJson(b);

        // Assess
        expect(same).toBe(isDeepStrictEqual(roundTrip(a), roundTrip(b)));
        expect(canonicalJson(a)).toBe(canonicalJson(structuredClone(a)));
      }),
    );
  });

  it('is stable under key reordering for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(reversedKeys(value))).toBe(canonicalJson(value));
      }),
    );
  });
});

describe('checkIdempotencyKey', () => {
  it('accepts no key and keys of 1-255 visible characters', () => {
    expect(checkIdempotencyKey(undefined)).toBeUndefined();
    expect(checkIdempotencyKey('a')).toBe('a');
    expect(checkIdempotencyKey('k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH))).toHaveLength(255);
    expect(checkIdempotencyKey('5f0c6a1e-2b9d-4c1e-8f7a-0b1c2d3e4f50')).toBeTruthy();
  });

  it.each([
    ['an empty key', ''],
    ['a key over 255 characters', 'k'.repeat(256)],
    ['a key with a space', 'a b'],
    ['a key with a control character', 'a\nb'],
    ['a key with non-ASCII characters', 'clé'],
  ])('refuses %s: 400 idempotency_key_invalid', (_what, key) => {
    // Act
    let error: unknown;
    try {
      checkIdempotencyKey(key);
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).statusCode).toBe(400);
    expect((error as ApiError).code).toBe('idempotency_key_invalid');
  });
});

describe('lockDurationMs', () => {
  it("outlasts the function's remaining time, with a default when there is no context", () => {
    expect(lockDurationMs({ getRemainingTimeInMillis: () => 19_500 })).toBeGreaterThan(19_500);
    expect(lockDurationMs(undefined)).toBeGreaterThan(0);
  });
});

describe('executionName', () => {
  it('is the checkout id when Step Functions accepts it', () => {
    expect(executionName('co_01HZX-3K8Y5')).toBe('co_01HZX-3K8Y5');
    expect(executionName('c'.repeat(80))).toBe('c'.repeat(80));
  });

  it('is a hash, valid and distinct, for ids with other characters or over 80 characters', () => {
    // Prepare
    const ids = ['co.1', 'co@shop', 'co+1', 'c'.repeat(81), 'c'.repeat(128)];

    // Act
    const names = ids.map(executionName);

    // Assess
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(new Set(names).size).toBe(ids.length);
    expect(executionName('co.1')).toBe(names[0]);
  });
});
