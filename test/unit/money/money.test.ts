import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  allocate,
  basisPointsOf,
  CURRENCY_CODES,
  type CurrencyCode,
  exponentOf,
  formatAmount,
  fromMajorUnits,
  MAX_MINOR_UNITS,
  MoneyError,
  money,
  negate,
  parseAmount,
  subtract,
  sum,
} from '../../../lambdas/money';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof MoneyError) return error.code;
    throw error;
  }
  return undefined;
}

const currencyArb = fc.constantFrom(...CURRENCY_CODES);
const minorArb = fc.bigInt({ min: -MAX_MINOR_UNITS, max: MAX_MINOR_UNITS });
const moneyArb = fc.tuple(currencyArb, minorArb).map(([currency, minor]) => money(currency, minor));

describe('parseAmount', () => {
  it.each([
    ['12.34', 'USD', 1234n],
    ['12.3', 'USD', 1230n],
    ['12', 'USD', 1200n],
    ['0.01', 'USD', 1n],
    ['1000', 'JPY', 1000n],
    ['1.234', 'BHD', 1234n],
    ['0.5', 'BHD', 500n],
    ['90071992547409.91', 'USD', 9_007_199_254_740_991n],
  ])('reads "%s" %s as %s minor units', (text, currency, minor) => {
    // Act
    const amount = parseAmount(text, currency);

    // Assess
    expect(amount).toEqual({ currency, minor });
  });

  it.each([
    [12.34, 'USD', 'amount_is_float'],
    [12, 'USD', 'amount_is_float'],
    [null, 'USD', 'invalid_amount_format'],
    ['1e3', 'USD', 'invalid_amount_format'],
    ['', 'USD', 'invalid_amount_format'],
    [' 1.00', 'USD', 'invalid_amount_format'],
    ['+1.00', 'USD', 'invalid_amount_format'],
    ['01.00', 'USD', 'invalid_amount_format'],
    ['.50', 'USD', 'invalid_amount_format'],
    ['5.', 'USD', 'invalid_amount_format'],
    ['1,00', 'USD', 'invalid_amount_format'],
    ['12.345', 'USD', 'amount_too_many_decimals'],
    ['1.5', 'JPY', 'amount_too_many_decimals'],
    ['1.2345', 'BHD', 'amount_too_many_decimals'],
    ['-1.00', 'USD', 'amount_negative'],
    ['0', 'USD', 'amount_zero'],
    ['0.00', 'USD', 'amount_zero'],
    ['1.00', 'XYZ', 'unknown_currency'],
    ['1.00', 'usd', 'unknown_currency'],
    ['1.00', undefined, 'unknown_currency'],
    ['90071992547409.92', 'USD', 'amount_out_of_range'],
    ['9'.repeat(400), 'USD', 'amount_out_of_range'],
  ])('refuses %j %s with %s', (value, currency, code) => {
    // Act
    const actual = codeOf(() => parseAmount(value, currency));

    // Assess
    expect(actual).toBe(code);
  });

  it('accepts zero and negatives only when the policy allows them', () => {
    // Act
    const zeroAmount = parseAmount('0.00', 'USD', { allowZero: true });
    const negative = parseAmount('-3.10', 'USD', { allowNegative: true });

    // Assess
    expect(zeroAmount.minor).toBe(0n);
    expect(negative.minor).toBe(-310n);
  });

  it('marks its errors as client errors that may be shown', () => {
    // Act
    const error = (() => {
      try {
        parseAmount('1.001', 'USD');
      } catch (caught) {
        return caught;
      }
    })();

    // Assess
    expect(error).toMatchObject({ statusCode: 400, expose: true, code: 'amount_too_many_decimals' });
  });
});

describe('formatAmount', () => {
  it.each([
    [1234n, 'USD', '12.34'],
    [5n, 'USD', '0.05'],
    [-5n, 'USD', '-0.05'],
    [0n, 'USD', '0.00'],
    [1000n, 'JPY', '1000'],
    [1n, 'BHD', '0.001'],
    [12345n, 'CLF', '1.2345'],
  ])('writes %s %s as "%s"', (minor, currency, text) => {
    // Act
    const actual = formatAmount(money(currency as CurrencyCode, minor));

    // Assess
    expect(actual).toBe(text);
  });

  it('round-trips every canonical string: format(parse(s)) == s', () => {
    fc.assert(
      fc.property(moneyArb, (amount) => {
        // Prepare: a canonical string is what format writes.
        const canonical = formatAmount(amount);

        // Act
        const reparsed = parseAmount(canonical, amount.currency, { allowZero: true, allowNegative: true });

        // Assess
        expect(formatAmount(reparsed)).toBe(canonical);
        expect(reparsed).toEqual(amount);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips digits typed in any currency', () => {
    fc.assert(
      fc.property(
        currencyArb,
        fc.bigInt({ min: 0n, max: 10n ** 11n }),
        fc.nat({ max: 9999 }),
        (currency, whole, fractionSeed) => {
          // Prepare
          const exponent = exponentOf(currency);
          const fraction = String(fractionSeed % 10 ** exponent).padStart(exponent, '0');
          const canonical = exponent > 0 ? `${whole}.${fraction}` : `${whole}`;

          // Act
          const text = formatAmount(parseAmount(canonical, currency, { allowZero: true }));

          // Assess
          expect(text).toBe(canonical);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('arithmetic', () => {
  it('never loses a unit: (a + b) - b == a, and a + (-a) == 0', () => {
    const half = MAX_MINOR_UNITS / 2n;
    fc.assert(
      fc.property(
        currencyArb,
        fc.bigInt({ min: -half, max: half }),
        fc.bigInt({ min: -half, max: half }),
        (currency, x, y) => {
          // Prepare
          const a = money(currency, x);
          const b = money(currency, y);

          // Act
          const roundTrip = subtract(add(a, b), b);
          const cancelled = add(a, negate(a));

          // Assess
          expect(roundTrip).toEqual(a);
          expect(cancelled.minor).toBe(0n);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('allocates every unit: the parts always add up to the whole', () => {
    fc.assert(
      fc.property(
        moneyArb,
        fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 12 }).filter((w) => w.some(Boolean)),
        (amount, weights) => {
          // Act
          const parts = allocate(amount, weights);

          // Assess
          expect(parts).toHaveLength(weights.length);
          expect(sum(amount.currency, parts)).toEqual(amount);
          parts.forEach((part, i) => {
            if (weights[i] === 0) expect(part.minor).toBe(0n);
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('splits 10.00 in three as 3.34 + 3.33 + 3.33', () => {
    // Act
    const parts = allocate(money('USD', 1000n), [1, 1, 1]).map(formatAmount);

    // Assess
    expect(parts).toEqual(['3.34', '3.33', '3.33']);
  });

  it('takes a commission and a rest that add up to the gross', () => {
    fc.assert(
      fc.property(
        moneyArb,
        fc.nat({ max: 10_000 }),
        fc.constantFrom('down', 'half_up', 'up'),
        (gross, bps, rounding) => {
          // Act
          const commission = basisPointsOf(gross, bps, rounding);
          const net = subtract(gross, commission);

          // Assess
          expect(add(commission, net)).toEqual(gross);
          const exact = (gross.minor < 0n ? -gross.minor : gross.minor) * BigInt(bps);
          const magnitude = commission.minor < 0n ? -commission.minor : commission.minor;
          expect(magnitude * 10_000n - exact).toBeLessThan(10_000n);
          expect(exact - magnitude * 10_000n).toBeLessThan(10_000n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rounds 2.5% of 0.99 USD half up to 0.02', () => {
    // Act
    const commission = basisPointsOf(money('USD', 99n), 250);

    // Assess
    expect(formatAmount(commission)).toBe('0.02');
  });

  it('refuses to mix currencies and to leave the supported range', () => {
    // Prepare
    const usd = money('USD', 1n);
    const top = money('USD', MAX_MINOR_UNITS);

    // Act
    const mixed = codeOf(() => add(usd, money('EUR', 1n)));
    const overflow = codeOf(() => add(top, usd));

    // Assess
    expect(mixed).toBe('currency_mismatch');
    expect(overflow).toBe('amount_out_of_range');
  });
});

describe('fromMajorUnits (settlement reports)', () => {
  it.each([
    ['12.34', 'USD', 1234n],
    ['-12.34', 'USD', -1234n],
    ['0.5', 'USD', 50n],
    ['0', 'USD', 0n],
    ['1000.00', 'JPY', 1000n],
    ['7', 'BHD', 7000n],
    ['12.340', 'USD', 1234n],
  ])('reads "%s" %s as %s minor units', (text, currency, minor) => {
    // Act
    const amount = fromMajorUnits(text, currency);

    // Assess
    expect(amount.minor).toBe(minor);
  });

  it.each([
    ['12.345', 'USD', 'amount_too_many_decimals'],
    ['1000.50', 'JPY', 'amount_too_many_decimals'],
    ['12,34', 'USD', 'invalid_amount_format'],
    ['1e2', 'USD', 'invalid_amount_format'],
    ['1.00', 'ABC', 'unknown_currency'],
  ])('refuses "%s" %s with %s', (text, currency, code) => {
    // Act
    const actual = codeOf(() => fromMajorUnits(text, currency));

    // Assess
    expect(actual).toBe(code);
  });

  it('agrees with the API parser on every canonical string', () => {
    fc.assert(
      fc.property(moneyArb, (amount) => {
        // Act
        const read = fromMajorUnits(formatAmount(amount), amount.currency);

        // Assess
        expect(read).toEqual(amount);
      }),
      { numRuns: 300 },
    );
  });
});
