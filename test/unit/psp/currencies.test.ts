/**
 * The PSP's currency table (lambdas/psp/currencies.ts) against ISO 4217 (lambdas/money): every currency whose
 * Stripe exponent or rule differs from ISO, the conversions both ways (exact or refused, never rounded), the
 * limits, and the simulator's own table (sandbox/psp/money.ts), which must count every currency the same way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURRENCY_CODES,
  type CurrencyCode,
  exponentOf,
  formatAmount,
  fromMajorUnits,
  MoneyError,
  money,
  parseAmount,
} from '../../../lambdas/money';
import {
  checkChargeable,
  fromStripeAmount,
  PSP_CURRENCIES,
  pspCurrencyOf,
  toStripeAmount,
} from '../../../lambdas/psp/currencies';
import {
  amountStep,
  formatMajor,
  isSupportedCurrency,
  maximumChargeAmount,
  minimumChargeAmount,
  exponentOf as simExponentOf,
} from '../../../sandbox/psp/money';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof MoneyError) return error.code;
    throw error;
  }
  return undefined;
}

/** Every currency whose PSP exponent or step is not ISO's with step 1. */
const DIFFERENT = PSP_CURRENCIES.filter((c) => c.exponent !== exponentOf(c.currency) || c.step !== 1);

describe('the PSP currency table', () => {
  it('lists exactly the currencies whose Stripe rules differ from ISO 4217', () => {
    // Act
    const differing = DIFFERENT.map((c) => `${c.currency}:${c.exponent}/${c.step}`).sort();

    // Assess
    expect(differing).toEqual([
      'BHD:3/10',
      'HUF:2/100',
      'ISK:2/100',
      'JOD:3/10',
      'KWD:3/10',
      'MGA:0/1',
      'OMR:3/10',
      'TND:3/10',
      'TWD:2/100',
      'UGX:2/100',
    ]);
  });

  it.each([
    // [ISO amount, currency, Stripe amount]
    ['100.00', 'MGA', 100],
    ['5', 'ISK', 500],
    ['1500', 'UGX', 150000],
    ['12.00', 'HUF', 1200],
    ['30.00', 'TWD', 3000],
    ['1.230', 'KWD', 1230],
    ['12.34', 'USD', 1234],
    ['500', 'JPY', 500],
  ])('charges %s %s as amount=%s, and reads it back', (text, currency, stripe) => {
    // Prepare
    const amount = parseAmount(text, currency);

    // Act
    const sent = toStripeAmount(amount);
    const back = fromStripeAmount(sent.amount, sent.currency);

    // Assess
    expect(sent).toEqual({ amount: stripe, currency: currency.toLowerCase() });
    expect(back).toEqual(amount);
  });

  it.each([
    ['100.50', 'MGA'],
    ['12.34', 'HUF'],
    ['30.01', 'TWD'],
    ['1.234', 'KWD'],
    ['0.005', 'BHD'],
  ])('refuses to send %s %s, which the PSP cannot represent exactly', (text, currency) => {
    // Act
    const code = codeOf(() => toStripeAmount(parseAmount(text, currency)));

    // Assess
    expect(code).toBe('amount_precision_not_supported');
  });

  it.each([
    [550, 'isk'],
    [150001, 'ugx'],
  ])('refuses to read amount=%s %s, which falls between two ISO minor units', (amount, currency) => {
    // Act
    const code = codeOf(() => fromStripeAmount(amount, currency));

    // Assess
    expect(code).toBe('amount_precision_not_supported');
  });

  it('refuses a fractional Stripe amount, an unknown currency and one the PSP does not charge', () => {
    // Act
    const fractional = codeOf(() => fromStripeAmount(12.5, 'usd'));
    const unknown = codeOf(() => fromStripeAmount(100, 'zzz'));
    const unsupported = codeOf(() => toStripeAmount(money('IQD', 1000n)));

    // Assess
    expect(fractional).toBe('invalid_minor_amount');
    expect(unknown).toBe('unknown_currency');
    expect(unsupported).toBe('currency_not_supported');
  });

  it('round-trips every amount the PSP can represent, in every PSP currency, and refuses every other', () => {
    const arb = fc.tuple(fc.constantFrom(...PSP_CURRENCIES), fc.bigInt({ min: 0n, max: 10n ** 12n }));
    fc.assert(
      fc.property(arb, ([rules, minor]) => {
        // Prepare
        const amount = money(rules.currency, minor);
        const shift = rules.exponent - exponentOf(rules.currency);
        const units = shift >= 0 ? minor * 10n ** BigInt(shift) : minor / 10n ** BigInt(-shift);
        const exact =
          (shift >= 0 || minor % 10n ** BigInt(-shift) === 0n) && units % BigInt(rules.step) === 0n;

        // Act
        const code = codeOf(() => toStripeAmount(amount));

        // Assess
        if (!exact) {
          expect(code).toBe('amount_precision_not_supported');
          return;
        }
        const sent = toStripeAmount(amount);
        expect(BigInt(sent.amount)).toBe(units);
        expect(fromStripeAmount(sent.amount, sent.currency)).toEqual(amount);
        // A settlement row writes Stripe's unit in major units: read with ISO's exponent, it is the same money.
        expect(fromMajorUnits(formatMajor(sent.amount, sent.currency), rules.currency)).toEqual(amount);
      }),
      { numRuns: 2000 },
    );
  });

  it('checks the minimum and the maximum in the PSP unit', () => {
    // Act
    const codes = [
      codeOf(() => checkChargeable(parseAmount('0.49', 'USD'))),
      codeOf(() => checkChargeable(parseAmount('0.50', 'USD'))),
      codeOf(() => checkChargeable(parseAmount('999999.99', 'USD'))),
      codeOf(() => checkChargeable(parseAmount('1000000.00', 'USD'))),
      codeOf(() => checkChargeable(parseAmount('49', 'JPY'))),
      codeOf(() => checkChargeable(parseAmount('999999', 'ISK'))),
      codeOf(() => checkChargeable(parseAmount('1000000', 'ISK'))),
      codeOf(() => checkChargeable(parseAmount('99999999.00', 'MGA'))),
      codeOf(() => checkChargeable(parseAmount('100000000.00', 'MGA'))),
      codeOf(() => checkChargeable(parseAmount('174.00', 'HUF'))),
    ];

    // Assess
    expect(codes).toEqual([
      'amount_below_minimum',
      undefined,
      undefined,
      'amount_above_maximum',
      'amount_below_minimum',
      undefined,
      'amount_above_maximum',
      undefined,
      'amount_above_maximum',
      'amount_below_minimum',
    ]);
  });
});

describe('the simulator counts currencies as the PSP table does', () => {
  it.each(CURRENCY_CODES.map((c) => [c]))('%s', (currency: CurrencyCode) => {
    // Prepare
    const rules = pspCurrencyOf(currency);
    const code = currency.toLowerCase();

    // Assess
    expect(isSupportedCurrency(code)).toBe(rules !== undefined);
    if (!rules) return;
    expect(simExponentOf(code)).toBe(rules.exponent);
    if (currency === 'HUF' || currency === 'TWD') {
      // Stripe charges them with two decimals; we charge whole units only (their payouts are whole units),
      // so our limits are within the simulator's.
      expect(amountStep(code)).toBe(1);
      expect(minimumChargeAmount(code)).toBeLessThanOrEqual(rules.minimum);
      expect(maximumChargeAmount(code)).toBeGreaterThanOrEqual(rules.maximum);
    } else {
      expect(amountStep(code)).toBe(rules.step);
      expect(minimumChargeAmount(code)).toBe(rules.minimum);
      expect(maximumChargeAmount(code)).toBe(rules.maximum);
    }
    expect(formatAmount(fromStripeAmount(rules.minimum, code))).toBe(
      formatAmount(fromMajorUnits(formatMajor(rules.minimum, code), currency)),
    );
  });
});
