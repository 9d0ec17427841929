import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsCardData,
  containsCardNumber,
  isCardFieldName,
  passesLuhn,
} from '../../../lambdas/api/card-data';

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
