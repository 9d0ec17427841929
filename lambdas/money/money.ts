/**
 * Money as integer minor units of an ISO 4217 currency. Amounts enter and leave as decimal strings (the API,
 * settlement files); the PSP's integer amounts, which count some currencies differently, are converted by
 * lambdas/psp/currencies.ts. Inside they are `bigint` minor units, so no arithmetic ever rounds. Every value
 * is kept within +/- MAX_MINOR_UNITS (2^53 - 1), so it also fits a JSON number and a DynamoDB number read
 * back as a safe integer.
 */
import { type CurrencyCode, exponentOf, isCurrencyCode } from './currencies';
import { MoneyError, MoneyErrorCode } from './errors';

export interface Money {
  readonly currency: CurrencyCode;
  /** Signed integer count of the currency's minor unit (cents for USD, yen for JPY, fils for BHD). */
  readonly minor: bigint;
}

export const MAX_MINOR_UNITS = BigInt(Number.MAX_SAFE_INTEGER);

export interface AmountPolicy {
  /** Zero is refused unless allowed: an order or a payout of nothing is a mistake. */
  readonly allowZero?: boolean;
  readonly allowNegative?: boolean;
}

/** Validates a currency code as the API writes it (upper case, ISO 4217). */
export function parseCurrency(value: unknown): CurrencyCode {
  if (!isCurrencyCode(value)) {
    throw new MoneyError(MoneyErrorCode.UnknownCurrency, `unknown currency: ${String(value)}`, {
      currency: value,
    });
  }
  return value;
}

export function money(currency: CurrencyCode, minor: bigint | number): Money {
  return { currency: parseCurrency(currency), minor: inRange(toMinorBigInt(minor), currency) };
}

export function zero(currency: CurrencyCode): Money {
  return money(currency, 0n);
}

const API_AMOUNT = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * Parses an amount as the API receives it: a decimal string in major units ("12.34" USD, "1000" JPY,
 * "1.234" BHD), with at most the currency's exponent of decimals. Positive unless the policy allows more.
 */
export function parseAmount(value: unknown, currencyCode: unknown, policy: AmountPolicy = {}): Money {
  const currency = parseCurrency(currencyCode);
  if (typeof value === 'number') {
    throw new MoneyError(MoneyErrorCode.AmountIsFloat, 'amounts must be decimal strings, not numbers', {
      amount: value,
    });
  }
  if (typeof value !== 'string') {
    throw new MoneyError(MoneyErrorCode.InvalidAmountFormat, 'amount must be a decimal string', {
      amount: value,
    });
  }
  const match = API_AMOUNT.exec(value);
  if (!match) {
    throw new MoneyError(MoneyErrorCode.InvalidAmountFormat, `not a decimal amount: "${value}"`, {
      amount: value,
    });
  }
  const [, sign = '', whole = '0', fraction = ''] = match;
  const exponent = exponentOf(currency);
  if (fraction.length > exponent) {
    throw new MoneyError(
      MoneyErrorCode.TooManyDecimals,
      `${currency} allows ${exponent} decimal(s), got "${value}"`,
      { amount: value, currency, exponent },
    );
  }
  const result = fromDigits(sign, whole, fraction.padEnd(exponent, '0'), currency, value);
  return checkPolicy(result, policy, value);
}

/** Canonical decimal string: exactly the currency's exponent of decimals, no "+", no leading zeros. */
export function formatAmount(amount: Money): string {
  const exponent = exponentOf(amount.currency);
  const negative = amount.minor < 0n;
  const digits = (negative ? -amount.minor : amount.minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

const MAJOR_UNITS = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a major-unit decimal as a settlement report writes it ("-12.34", "0.5", "1000.00" for JPY). Signs
 * and zero are normal there (refunds, fees). Decimals beyond the exponent are accepted only when they are
 * zeros: anything else would drop a fraction of a minor unit.
 */
export function fromMajorUnits(value: string, currencyCode: unknown): Money {
  const currency = parseCurrency(currencyCode);
  const match = MAJOR_UNITS.exec(value.trim());
  if (!match) {
    throw new MoneyError(MoneyErrorCode.InvalidAmountFormat, `not a decimal amount: "${value}"`, {
      amount: value,
    });
  }
  const [, sign = '', whole = '0', fraction = ''] = match;
  const exponent = exponentOf(currency);
  const excess = fraction.slice(exponent);
  if (/[^0]/.test(excess)) {
    throw new MoneyError(
      MoneyErrorCode.TooManyDecimals,
      `${currency} allows ${exponent} decimal(s), got "${value}"`,
      { amount: value, currency, exponent },
    );
  }
  return fromDigits(sign, whole, fraction.slice(0, exponent).padEnd(exponent, '0'), currency, value);
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { currency: a.currency, minor: inRange(a.minor + b.minor, a.currency) };
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { currency: a.currency, minor: inRange(a.minor - b.minor, a.currency) };
}

export function negate(a: Money): Money {
  return { currency: a.currency, minor: -a.minor };
}

export function sum(currency: CurrencyCode, amounts: readonly Money[]): Money {
  return amounts.reduce(add, zero(currency));
}

export function compare(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.minor < b.minor ? -1 : a.minor > b.minor ? 1 : 0;
}

export function equals(a: Money, b: Money): boolean {
  return a.currency === b.currency && a.minor === b.minor;
}

export const isZero = (a: Money): boolean => a.minor === 0n;
export const isPositive = (a: Money): boolean => a.minor > 0n;
export const isNegative = (a: Money): boolean => a.minor < 0n;

/**
 * Splits an amount in proportion to integer weights, largest remainder first, so the parts always add up
 * to the whole (e.g. 10.00 in three equal parts is 3.34 + 3.33 + 3.33). Ties go to the earlier part.
 */
export function allocate(amount: Money, weights: readonly number[]): Money[] {
  if (weights.length === 0 || weights.some((w) => !Number.isSafeInteger(w) || w < 0)) {
    throw new MoneyError(MoneyErrorCode.InvalidAllocation, 'weights must be non-negative integers', {
      weights,
    });
  }
  const total = weights.reduce((acc, w) => acc + BigInt(w), 0n);
  if (total === 0n) {
    throw new MoneyError(MoneyErrorCode.InvalidAllocation, 'weights must not all be zero', { weights });
  }
  const negative = amount.minor < 0n;
  const whole = negative ? -amount.minor : amount.minor;
  const shares = weights.map((w, index) => {
    const exact = whole * BigInt(w);
    return { index, part: exact / total, remainder: exact % total };
  });
  let left = whole - shares.reduce((acc, s) => acc + s.part, 0n);
  const byRemainder = [...shares].sort((x, y) =>
    x.remainder === y.remainder ? x.index - y.index : x.remainder > y.remainder ? -1 : 1,
  );
  for (const share of byRemainder) {
    if (left === 0n) break;
    share.part += 1n;
    left -= 1n;
  }
  return shares.map((s) => ({ currency: amount.currency, minor: negative ? -s.part : s.part }));
}

export type Rounding = 'down' | 'half_up' | 'up';

/**
 * `bps` basis points (1/100 of a percent) of an amount, e.g. a commission, rounded toward zero, half away
 * from zero, or away from zero. The caller takes the rest as `subtract(amount, part)`, so nothing is lost.
 */
export function basisPointsOf(amount: Money, bps: number, rounding: Rounding = 'half_up'): Money {
  if (!Number.isSafeInteger(bps) || bps < 0 || bps > 10_000) {
    throw new MoneyError(MoneyErrorCode.InvalidAllocation, `basis points must be 0..10000, got ${bps}`, {
      bps,
    });
  }
  const negative = amount.minor < 0n;
  const whole = negative ? -amount.minor : amount.minor;
  const exact = whole * BigInt(bps);
  let part = exact / 10_000n;
  const remainder = exact % 10_000n;
  if ((rounding === 'up' && remainder > 0n) || (rounding === 'half_up' && remainder * 2n >= 10_000n)) {
    part += 1n;
  }
  return { currency: amount.currency, minor: negative ? -part : part };
}

function fromDigits(
  sign: string,
  whole: string,
  fraction: string,
  currency: CurrencyCode,
  original: string,
): Money {
  // Bound the length before BigInt so a megabyte of digits cannot cost a megabyte of arithmetic.
  if (whole.replace(/^0+/, '').length + fraction.length > 20) {
    throw new MoneyError(MoneyErrorCode.AmountOutOfRange, `amount out of range: "${original}"`, {
      amount: original,
      currency,
    });
  }
  const magnitude = BigInt(`${whole}${fraction}`);
  const minor = sign === '-' ? -magnitude : magnitude;
  return { currency, minor: inRange(minor, currency) };
}

function checkPolicy(amount: Money, policy: AmountPolicy, original: string): Money {
  if (amount.minor < 0n && !policy.allowNegative) {
    throw new MoneyError(MoneyErrorCode.AmountNegative, `amount must not be negative: "${original}"`, {
      amount: original,
    });
  }
  if (amount.minor === 0n && !policy.allowZero) {
    throw new MoneyError(MoneyErrorCode.AmountZero, 'amount must not be zero', { amount: original });
  }
  return amount;
}

function toMinorBigInt(minor: bigint | number): bigint {
  if (typeof minor === 'bigint') return minor;
  if (!Number.isSafeInteger(minor)) {
    throw new MoneyError(MoneyErrorCode.InvalidMinorAmount, `not an integer minor amount: ${minor}`, {
      amount: minor,
    });
  }
  return BigInt(minor);
}

function inRange(minor: bigint, currency: CurrencyCode): bigint {
  if (minor > MAX_MINOR_UNITS || minor < -MAX_MINOR_UNITS) {
    throw new MoneyError(MoneyErrorCode.AmountOutOfRange, `amount out of range: ${minor} ${currency}`, {
      minor: minor.toString(),
      currency,
    });
  }
  return minor;
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new MoneyError(MoneyErrorCode.CurrencyMismatch, `cannot combine ${a.currency} with ${b.currency}`, {
      currencies: [a.currency, b.currency],
    });
  }
}
