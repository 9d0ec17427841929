/**
 * Invariant 10 on the real engines: every bad input gets a 4xx with a machine-readable code and writes nothing.
 * This file's runtime receives nothing but bad inputs, so its tables must stay empty.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, call, checkoutBody, postPayment, startApi, tableCounts } from './support';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

const CARD = '4000 0566 5566 5556';

function withOrder(patch: Record<string, unknown>, orders = 2) {
  const body = checkoutBody(orders);
  body.payment_orders[orders - 1] = {
    ...(body.payment_orders[orders - 1] as (typeof body.payment_orders)[0]),
    ...patch,
  };
  return body;
}

const cases: [string, () => Promise<Awaited<ReturnType<typeof postPayment>>>, number, string][] = [
  [
    'malformed JSON',
    () => postPayment(api.runtime, undefined, { raw: '{"checkout_id": "co_1",' }),
    400,
    'invalid_json',
  ],
  [
    'a wrong content type',
    () =>
      postPayment(api.runtime, undefined, {
        raw: JSON.stringify(checkoutBody(1)),
        headers: { 'content-type': 'text/plain' },
      }),
    415,
    'unsupported_media_type',
  ],
  [
    'a missing field',
    () => postPayment(api.runtime, { ...checkoutBody(1), checkout_id: undefined }),
    400,
    'validation_error',
  ],
  [
    'a wrong type',
    () => postPayment(api.runtime, { ...checkoutBody(1), buyer_info: 'someone' }),
    400,
    'validation_error',
  ],
  [
    'an id with a key separator',
    () => postPayment(api.runtime, { ...checkoutBody(1), checkout_id: 'co#1' }),
    400,
    'validation_error',
  ],
  ['a float amount', () => postPayment(api.runtime, withOrder({ amount: 10.5 })), 400, 'amount_is_float'],
  [
    'too many decimals',
    () => postPayment(api.runtime, withOrder({ amount: '10.001' })),
    400,
    'amount_too_many_decimals',
  ],
  [
    'a negative amount',
    () => postPayment(api.runtime, withOrder({ amount: '-1.00' })),
    400,
    'amount_negative',
  ],
  ['a zero amount', () => postPayment(api.runtime, withOrder({ amount: '0.00' })), 400, 'amount_zero'],
  [
    'an unknown currency',
    () => postPayment(api.runtime, withOrder({ currency: 'ABC' })),
    400,
    'unknown_currency',
  ],
  [
    'mixed currencies',
    () => postPayment(api.runtime, withOrder({ currency: 'EUR' })),
    400,
    'mixed_currencies',
  ],
  [
    'a duplicate order id',
    () => {
      const body = checkoutBody(2);
      (body.payment_orders[1] as { payment_order_id: string }).payment_order_id = body.payment_orders[0]
        ?.payment_order_id as string;
      return postPayment(api.runtime, body);
    },
    400,
    'duplicate_payment_order_id',
  ],
  ['41 orders', () => postPayment(api.runtime, checkoutBody(41)), 400, 'too_many_orders'],
  [
    'a body over 64 KiB',
    () => postPayment(api.runtime, { ...checkoutBody(1), padding: 'x'.repeat(70_000) }),
    413,
    'body_too_large',
  ],
  [
    'a card number instead of a token',
    () => postPayment(api.runtime, { ...checkoutBody(1), credit_card_info: CARD }),
    400,
    'card_data_not_allowed',
  ],
  [
    'card fields',
    () =>
      postPayment(api.runtime, {
        ...checkoutBody(1),
        credit_card_info: { number: 'x', exp_month: 12, exp_year: 2030, cvc: '123' },
      }),
    400,
    'card_data_not_allowed',
  ],
  [
    'an invalid Idempotency-Key',
    () => postPayment(api.runtime, checkoutBody(1), { headers: { 'Idempotency-Key': 'k'.repeat(256) } }),
    400,
    'idempotency_key_invalid',
  ],
];

describe('bad input', () => {
  it.each(cases)('%s: a 4xx with its code and the request id', async (_what, send, status, code) => {
    // Act
    const response = await send();

    // Assess
    expect(response.status).toBe(status);
    expect(response.json.error).toMatchObject({ code, request_id: expect.any(String) });
    expect(response.json.error.message).toEqual(expect.any(String));
  });

  it('never repeats card data in the answer', async () => {
    // Act
    const response = await postPayment(api.runtime, { ...checkoutBody(1), credit_card_info: CARD });

    // Assess
    expect(response.status).toBe(400);
    expect(response.text.replace(/\D/g, '')).not.toContain(CARD.replace(/\D/g, ''));
  });

  it('wrote nothing: the payments, idempotency, ledger and wallets tables are empty', async () => {
    // Prepare: the tests above sent every bad input once (tests of a file run in order); once more, and a
    // refused request that carries an Idempotency-Key.
    for (const [, send] of cases) await send();
    const keyed = await postPayment(api.runtime, withOrder({ amount: 1.5 }), {
      headers: { 'Idempotency-Key': 'bad-input-key' },
    });

    // Act
    const counts = await tableCounts(api.runtime);

    // Assess
    expect(keyed.status).toBe(400);
    expect(counts).toEqual({ payments: 0, idempotency: 0, ledger: 0, wallets: 0 });
  });

  it('reads nothing either: GET of a bad id is a 400, of an unknown one a 404', async () => {
    // Act
    const bad = await call(api.runtime, 'GET', '/v1/payments/a%20b');
    const unknown = await call(api.runtime, 'GET', '/v1/payments/po_unknown');

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('validation_error');
    expect(unknown.status).toBe(404);
  });
});

describe('a path API Gateway cannot decode', () => {
  it.each(['/v1/payments/%', '/v1/payments/po_%zz', '/v1/checkouts/%E0%A4%A', '/v1/sellers/%c3/wallet'])(
    '%s: a 400 in the error envelope, not a 5xx',
    async (path) => {
      // Act
      const response = await call(api.runtime, 'GET', path);

      // Assess
      expect(response.status).toBe(400);
      expect(response.json?.error).toMatchObject({ code: 'invalid_path', request_id: expect.any(String) });
    },
  );
});
