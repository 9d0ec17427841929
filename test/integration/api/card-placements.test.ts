/**
 * Card numbers anywhere, through the real API on the real engines: a test card number, disguised with random
 * separators and scripts, placed in every field of a checkout (values and keys, at any depth), in a path id, in
 * the query string, in the `Idempotency-Key` and in another header. None is accepted, and nothing is stored:
 * this file's runtime receives nothing else, so every table must stay empty. Ids that could never be read back
 * (`.`, `..`) are refused too.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asciiDisguisedCardNumber, disguisedCardNumber, surroundings } from '../../support/card-numbers';
import { type ApiFixture, call, checkoutBody, postPayment, startApi, tableCounts } from './support';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

type Placement = (body: ReturnType<typeof checkoutBody>, text: string) => void;

/** Every string field of a checkout, and a new key at some depth. */
const BODY_PLACEMENTS: Record<string, Placement> = {
  checkout_id: (b, t) => {
    b.checkout_id = t;
  },
  buyer_id: (b, t) => {
    b.buyer_info.buyer_id = t;
  },
  email: (b, t) => {
    b.buyer_info.email = `${t}@example.com`;
  },
  name: (b, t) => {
    b.buyer_info.name = t;
  },
  country: (b, t) => {
    b.buyer_info.country = t;
  },
  credit_card_info: (b, t) => {
    b.credit_card_info = t;
  },
  seller_account: (b, t) => {
    (b.payment_orders[0] as { seller_account: string }).seller_account = t;
  },
  payment_order_id: (b, t) => {
    (b.payment_orders[1] as { payment_order_id: string }).payment_order_id = t;
  },
  amount: (b, t) => {
    (b.payment_orders[0] as { amount: unknown }).amount = t;
  },
  currency: (b, t) => {
    (b.payment_orders[0] as { currency: unknown }).currency = t;
  },
  'a key of buyer_info': (b, t) => {
    b.buyer_info[t] = 'x';
  },
  'a key deep down': (b, t) => {
    b.metadata = { notes: [{ [t]: true }] };
  },
  'a value deep down': (b, t) => {
    b.metadata = { notes: [[{ text: t }]] };
  },
};

describe('a card number in any field', () => {
  it('is refused in every body field, key or value, however it is written, and nothing is stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        disguisedCardNumber,
        surroundings,
        fc.constantFrom(...Object.keys(BODY_PLACEMENTS)),
        async (number, [before, after], where) => {
          // Prepare
          const body = checkoutBody(2);
          BODY_PLACEMENTS[where]?.(body, `${before}${number}${after}`);

          // Act
          const response = await postPayment(api.runtime, body);

          // Assess
          expect(response.status).toBe(400);
          expect(response.json?.error?.code).toBe('card_data_not_allowed');
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is refused in a path id, the query string, the Idempotency-Key and another header', async () => {
    await fc.assert(
      fc.asyncProperty(
        disguisedCardNumber,
        asciiDisguisedCardNumber,
        fc.nat({ max: 5 }),
        async (number, ascii, where) => {
          // Prepare
          const id = encodeURIComponent(number);
          const sends = [
            () => call(api.runtime, 'GET', `/v1/payments/${id}`),
            () => call(api.runtime, 'GET', `/v1/checkouts/${id}`),
            () => call(api.runtime, 'GET', `/v1/sellers/${id}/wallet`),
            () => call(api.runtime, 'GET', `/v1/payments/po_1?note=${id}`),
            // A valid checkout: only the header carries the number, so accepting it would store the checkout.
            () => postPayment(api.runtime, checkoutBody(1), { headers: { 'Idempotency-Key': ascii } }),
            () => postPayment(api.runtime, checkoutBody(1), { headers: { 'x-order-note': `card ${ascii}` } }),
          ];

          // Act
          const response = await (sends[where] as () => ReturnType<typeof call>)();

          // Assess
          expect(response.status).toBe(400);
          expect(response.json?.error?.code).toBe('card_data_not_allowed');
        },
      ),
      { numRuns: 120 },
    );
  });

  it.each([
    ['checkout_id', { checkout_id: '.' }],
    ['checkout_id', { checkout_id: '..' }],
    ['buyer_info.buyer_id', { buyer_info: { buyer_id: '..' } }],
  ])('refuses an id that could never be read back: %s %j', async (field, patch) => {
    // Act
    const response = await postPayment(api.runtime, { ...checkoutBody(1), ...patch });

    // Assess
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('validation_error');
    expect(response.json.error.details.fields[0].field).toBe(field);
  });

  it('refuses . and .. as order and seller ids too', async () => {
    // Prepare
    const order = checkoutBody(1);
    (order.payment_orders[0] as { payment_order_id: string }).payment_order_id = '.';
    const seller = checkoutBody(1);
    (seller.payment_orders[0] as { seller_account: string }).seller_account = '..';

    // Act
    const answers = [await postPayment(api.runtime, order), await postPayment(api.runtime, seller)];

    // Assess
    expect(answers.map((a) => [a.status, a.json.error.code])).toEqual([
      [400, 'validation_error'],
      [400, 'validation_error'],
    ]);
  });

  it('stored nothing: the payments, idempotency, ledger and wallets tables are empty', async () => {
    // Act
    const counts = await tableCounts(api.runtime);

    // Assess
    expect(counts).toEqual({ payments: 0, idempotency: 0, ledger: 0, wallets: 0 });
  });
});
