import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsCardData,
  containsCardNumber,
  isCardFieldName,
  passesLuhn,
} from '../../../lambdas/api/card-data';
import { requestCarriesCardData } from '../../../lambdas/api/request';
import { disguisedCardNumber, surroundings } from '../../support/card-numbers';

/** The check digit that makes `body` pass Luhn. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (passesLuhn(`${body}${d}`)) return `${body}${d}`;
  throw new Error('unreachable');
}

describe('passesLuhn', () => {
  it.each([
    ['4242424242424242', true],
    ['4000056655665556', true],
    ['5555555555554444', true],
    ['378282246310005', true],
    ['6011111111111117', true],
    ['79927398713', true],
    ['4242424242424241', false],
    ['79927398710', false],
    ['12a4', false],
    ['', false],
  ])('%s -> %s', (digits, expected) => {
    // Act
    const result = passesLuhn(digits);

    // Assess
    expect(result).toBe(expected);
  });

  it('catches every single-digit change of a valid number', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{12,18}$/),
        fc.nat(),
        fc.integer({ min: 1, max: 9 }),
        (body, at, delta) => {
          // Prepare
          const valid = withCheckDigit(body);
          const i = at % valid.length;
          const changed = `${valid.slice(0, i)}${(Number(valid[i]) + delta) % 10}${valid.slice(i + 1)}`;

          // Act + Assess
          expect(passesLuhn(valid)).toBe(true);
          expect(passesLuhn(changed)).toBe(false);
        },
      ),
    );
  });
});

describe('containsCardNumber', () => {
  it.each([
    ['4242424242424242'],
    ['4242 4242 4242 4242'],
    ['4242-4242-4242-4242'],
    ['card: 4242424242424242, thanks'],
    ['378282246310005'],
    ['6011 1111 1111 1117'],
    ['{"amount":"10.00","x":4242424242424242}'],
  ])('finds a card number in %j', (text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    ['4242424242424241', 'fails Luhn'],
    ['424242424242', 'too short (12 digits)'],
    ['42424242424242424242', 'too long (20 digits)'],
    ['12.34', 'an amount'],
    ['co_01HZX3K8Y5', 'an id'],
    ['2026-11-24T06:54:23.856Z', 'a timestamp'],
  ])('finds none in %j (%s)', (text) => {
    expect(containsCardNumber(text)).toBe(false);
  });

  it("finds any Luhn-valid number with a card network's prefix and length, however grouped", () => {
    const networks = fc.constantFrom(
      { prefix: '4', length: 16 },
      { prefix: '4', length: 13 },
      { prefix: '4', length: 19 },
      { prefix: '53', length: 16 },
      { prefix: '2221', length: 16 },
      { prefix: '37', length: 15 },
      { prefix: '6011', length: 16 },
      { prefix: '3530', length: 19 },
      { prefix: '36', length: 14 },
      { prefix: '62', length: 17 },
    );
    fc.assert(
      fc.property(
        networks,
        fc.stringMatching(/^[0-9]{18}$/),
        fc.constantFrom('', ' ', '-'),
        (network, fill, separator) => {
          // Prepare
          const body = (network.prefix + fill).slice(0, network.length - 1);
          const number = withCheckDigit(body);
          const grouped = number.match(/.{1,4}/g)?.join(separator) ?? number;

          // Act + Assess
          expect(containsCardNumber(`pay with ${grouped} please`)).toBe(true);
        },
      ),
    );
  });

  it('does not refuse long numeric ids that no card network issues (timestamps, order numbers)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^1[0-9]{11,17}$/), (body) => {
        // Prepare: Luhn-valid on purpose, starting with 1 (no network's prefix)
        const id = withCheckDigit(body);

        // Act + Assess
        expect(containsCardNumber(`co_${id}`)).toBe(false);
      }),
    );
  });
});

describe('isCardFieldName', () => {
  it.each([
    'card_number',
    'cardNumber',
    'Card-Number',
    'number',
    'cvc',
    'CVV',
    'cvv2',
    'exp_month',
    'expYear',
    'pan',
  ])('%s is a card field', (key) => {
    expect(isCardFieldName(key)).toBe(true);
  });

  it.each([
    'checkout_id',
    'payment_order_id',
    'amount',
    'currency',
    'seller_account',
    'email',
    'credit_card_info',
  ])('%s is not', (key) => {
    expect(isCardFieldName(key)).toBe(false);
  });
});

describe('containsCardData', () => {
  it('looks at keys and values at any depth, in arrays too', () => {
    expect(containsCardData({ a: [{ b: { card: { cvc: '123' } } }] })).toBe(true);
    expect(containsCardData({ a: [{ b: ['x', '4242 4242 4242 4242'] }] })).toBe(true);
    expect(containsCardData({ credit_card_info: { number: 'x' } })).toBe(true);
    expect(containsCardData({ n: 4242424242424242 })).toBe(true);
    expect(containsCardData({ '4242424242424242': 'key' })).toBe(true);
  });

  it('passes a normal checkout', () => {
    expect(
      containsCardData({
        buyer_info: { buyer_id: 'b_1', email: 'a@b.co', country: 'DE' },
        checkout_id: 'co_1',
        credit_card_info: 'pm_card_visa',
        payment_orders: [
          { seller_account: 's_1', amount: '10.00', currency: 'USD', payment_order_id: 'po_1' },
        ],
      }),
    ).toBe(false);
  });

  it('survives a hostile nesting depth', () => {
    // Prepare
    const deep = JSON.parse(`${'['.repeat(20_000)}"4242424242424242"${']'.repeat(20_000)}`);

    // Act + Assess
    expect(containsCardData(deep)).toBe(true);
  });
});

describe('card numbers however written', () => {
  it('finds every test card number with any separators, scripts and surroundings', () => {
    fc.assert(
      fc.property(disguisedCardNumber, surroundings, (number, [before, after]) => {
        // Act + Assess
        expect(containsCardNumber(`${before}${number}${after}`)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    [
      'full-width digits',
      '\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12',
    ],
    ['dots', '4242.4242.4242.4242'],
    ['slashes', '4242/4242/4242/4242'],
    ['underscores', '4242_4242_4242_4242'],
    ['double spaces', '4242  4242  4242  4242'],
    ['tabs and newlines', '4242\t4242\n4242\r\n4242'],
    ['zero-width spaces', '4242\u200b4242\u200b4242\u200b4242'],
    ['no-break spaces', '4242\u00a04242\u00a04242\u00a04242'],
    ['en dashes', '4242\u20134242\u20134242\u20134242'],
    ['a spaced dash', '4242 - 4242 - 4242 - 4242'],
    ['a number before it', 'order 17 / 4242 4242 4242 4242'],
    [
      'Arabic-Indic digits',
      '\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662\u0664\u0662',
    ],
  ])('finds a card number written with %s', (_how, text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    ['a timestamp', '2026-11-24T06:54:23.856Z'],
    ['an ISO date and an amount', '2026-12-02 12.34 USD'],
    ['a UUID', '3f2a9c1e-4b7d-4e2a-9f10-6c5d4b3a2e1f'],
    ['an id with a millisecond timestamp', 'co_wh_3_1764650000000_po1'],
    ['an IP list', '10.0.0.1, 192.168.1.20'],
    ['a 20-digit id', '42424242424242424242'],
    ['figures far apart', '4242 4242, then much later:     4242 4242'],
  ])('finds none in %s', (_what, text) => {
    expect(containsCardNumber(text)).toBe(false);
  });

  it('finds every placement of a disguised card number in a body, keys and values, at any depth', () => {
    const body = fc.tuple(disguisedCardNumber, fc.nat({ max: 5 }), fc.boolean(), fc.nat({ max: 3 }));
    fc.assert(
      fc.property(body, ([number, field, asKey, depth]) => {
        // Prepare
        const fields = ['checkout_id', 'buyer_id', 'email', 'name', 'seller_account', 'payment_order_id'];
        let leaf: unknown = asKey ? { [number]: 'x' } : number;
        for (let i = 0; i < depth; i++) leaf = i % 2 === 0 ? [leaf] : { nested: leaf };
        const json = { [fields[field] as string]: leaf, amount: '10.00' };

        // Act + Assess
        expect(containsCardData(json)).toBe(true);
        expect(containsCardData(JSON.parse(JSON.stringify(json)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('requestCarriesCardData', () => {
  const clean = {
    path: '/v1/payments/po_1',
    pathParameters: { payment_order_id: 'po_1' },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers: { 'x-api-key': 'k', 'Idempotency-Key': 'key-1', 'user-agent': 'curl/8.5.0' },
  };

  it('passes a clean request and refuses a card number in the path, the query or any header', () => {
    fc.assert(
      fc.property(disguisedCardNumber, fc.nat({ max: 4 }), (number, where) => {
        // Prepare
        const events = [
          { ...clean, path: `/v1/payments/${number}`, pathParameters: { payment_order_id: number } },
          { ...clean, queryStringParameters: { q: number } },
          { ...clean, headers: { ...clean.headers, 'Idempotency-Key': number } },
          { ...clean, headers: { ...clean.headers, 'x-request-note': `note ${number}` } },
          { ...clean, multiValueQueryStringParameters: { [number]: ['x'] } },
        ];

        // Act + Assess
        expect(requestCarriesCardData(events[where] as typeof clean)).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(requestCarriesCardData(clean)).toBe(false);
  });
});
