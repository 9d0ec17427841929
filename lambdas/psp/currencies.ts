/**
 * Currencies as the PSP (Stripe) counts them, and the only place where our amounts become the PSP's and back.
 *
 * Our API and ledger count in ISO 4217 minor units (lambdas/money/currencies.ts). Stripe has its own table,
 * which differs from ISO for some currencies (source: Stripe, "Supported currencies",
 * https://docs.stripe.com/currencies — sections "Zero-decimal currencies", "Three-decimal currencies",
 * "Special cases", "Minimum and maximum charge amounts"; and Stripe support, "Deprecation of fractional ISK
 * charges and refunds", https://support.stripe.com/questions/deprecation-of-fractional-isk-charges-and-refunds):
 *
 * - zero-decimal at Stripe: BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF. MGA has two decimals
 *   in ISO 4217 but none at Stripe: "100.00 MGA" is `amount=100`, and "100.50 MGA" cannot be charged at all;
 * - three-decimal: BHD JOD KWD OMR TND, whose last digit must be 0 ("5.124 KWD must be rounded to 5120 or 5130");
 * - special cases, sent with two decimals but only whole major units: ISK and UGX (zero-decimal in ISO: 5 ISK is
 *   `amount=500`, and Stripe answers `invalid_charge_amount_no_decimal_compatible` to a non-multiple of 100),
 *   HUF and TWD (two-decimal in ISO; Stripe pays them out in whole units only, so we charge whole units only,
 *   which keeps every charge refundable and payable out as it was taken);
 * - every other supported currency: two decimals, as in ISO;
 * - ISO currencies Stripe does not list (IQD, LYD, CLF, UYI, VES, ...) cannot be charged.
 * - limits: an amount is at most eight digits in Stripe's unit (99,999,999); the minimums are Stripe's for the
 *   currencies it documents one (USD 0.50, GBP 0.30, JPY 50, ...). Elsewhere Stripe's minimum is the equivalent
 *   of USD 0.50 in the settlement currency, which needs an exchange rate we do not have: there the minimum is
 *   one step of the currency (and the PSP's own refusal remains the last word).
 *
 * Conversions refuse (MoneyError, a 400) what the PSP cannot represent exactly: they never round.
 */
import {
  type CurrencyCode,
  exponentOf,
  formatAmount,
  isCurrencyCode,
  type Money,
  MoneyError,
  MoneyErrorCode,
  money,
} from '../money';

export interface PspCurrency {
  readonly currency: CurrencyCode;
  /** Decimals of the PSP's integer unit (`amount=1` is 10^-exponent major units). */
  readonly exponent: number;
  /** Every amount is a multiple of this many PSP units (1; 10 for three-decimal; 100 for the special cases). */
  readonly step: number;
  /** The smallest charge, in PSP units. */
  readonly minimum: number;
  /** The largest charge, in PSP units. */
  readonly maximum: number;
}

/** Eight digits of the PSP's unit. */
export const PSP_MAX_AMOUNT = 99_999_999;

// biome-ignore format: a compact table reads better than one code per line
const TWO_DECIMALS = [
  'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BMD',
  'BND', 'BOB', 'BRL', 'BSD', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHF', 'CNY', 'COP', 'CRC', 'CVE', 'CZK',
  'DKK', 'DOP', 'DZD', 'EGP', 'ETB', 'EUR', 'FJD', 'FKP', 'GBP', 'GEL', 'GIP', 'GMD', 'GTQ', 'GYD', 'HKD',
  'HNL', 'HTG', 'IDR', 'ILS', 'INR', 'JMD', 'KES', 'KGS', 'KHR', 'KYD', 'KZT', 'LAK', 'LBP', 'LKR', 'LRD',
  'LSL', 'MAD', 'MDL', 'MKD', 'MMK', 'MNT', 'MOP', 'MUR', 'MVR', 'MWK', 'MXN', 'MYR', 'MZN', 'NAD', 'NGN',
  'NIO', 'NOK', 'NPR', 'NZD', 'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'QAR', 'RON', 'RSD', 'RUB', 'SAR',
  'SBD', 'SCR', 'SEK', 'SGD', 'SHP', 'SLE', 'SOS', 'SRD', 'SZL', 'THB', 'TJS', 'TOP', 'TRY', 'TTD', 'TZS',
  'UAH', 'USD', 'UYU', 'UZS', 'WST', 'XCD', 'XCG', 'YER', 'ZAR', 'ZMW',
] as const satisfies readonly CurrencyCode[];

// biome-ignore format: a compact table reads better than one code per line
const ZERO_DECIMALS = [
  'BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'VND', 'VUV', 'XAF', 'XOF', 'XPF',
] as const satisfies readonly CurrencyCode[];

/** Three decimals, the last of which must be 0. */
const THREE_DECIMALS = ['BHD', 'JOD', 'KWD', 'OMR', 'TND'] as const satisfies readonly CurrencyCode[];

/** Two decimals on the wire, whole major units only (a multiple of 100). */
const WHOLE_UNITS_IN_TWO_DECIMALS = ['HUF', 'ISK', 'TWD', 'UGX'] as const satisfies readonly CurrencyCode[];

/** Stripe's documented minimum charge amounts, in major units. */
const MINIMUMS: Readonly<Partial<Record<CurrencyCode, string>>> = {
  USD: '0.50',
  AED: '2.00',
  AUD: '0.50',
  BGN: '1.00',
  BRL: '0.50',
  CAD: '0.50',
  CHF: '0.50',
  CZK: '15.00',
  DKK: '2.50',
  EUR: '0.50',
  GBP: '0.30',
  HKD: '4.00',
  HUF: '175.00',
  INR: '0.50',
  JPY: '50',
  MXN: '10.00',
  MYR: '2.00',
  NOK: '3.00',
  NZD: '0.50',
  PLN: '2.00',
  RON: '2.00',
  SEK: '3.00',
  SGD: '0.50',
  THB: '10.00',
};

function entry(currency: CurrencyCode, exponent: number, step: number): [CurrencyCode, PspCurrency] {
  const documented = MINIMUMS[currency];
  const minimum = documented === undefined ? step : majorToUnits(documented, exponent);
  // The largest multiple of the step that has eight digits (99,999,900 for ISK).
  const maximum = PSP_MAX_AMOUNT - (PSP_MAX_AMOUNT % step);
  return [currency, { currency, exponent, step, minimum, maximum }];
}

/** "0.50" at exponent 2 is 50 PSP units (the table's literals are exact by construction). */
function majorToUnits(text: string, exponent: number): number {
  const [whole = '0', fraction = ''] = text.split('.');
  return Number(`${whole}${fraction.padEnd(exponent, '0')}`);
}

const TABLE: ReadonlyMap<CurrencyCode, PspCurrency> = new Map([
  ...TWO_DECIMALS.map((c) => entry(c, 2, 1)),
  ...ZERO_DECIMALS.map((c) => entry(c, 0, 1)),
  ...THREE_DECIMALS.map((c) => entry(c, 3, 10)),
  ...WHOLE_UNITS_IN_TWO_DECIMALS.map((c) => entry(c, 2, 100)),
]);

/** The currencies the PSP can charge. */
export const PSP_CURRENCIES: readonly PspCurrency[] = [...TABLE.values()];

/** The PSP's rules for a currency, or undefined when it cannot charge it. */
export function pspCurrencyOf(currency: string): PspCurrency | undefined {
  return isCurrencyCode(currency) ? TABLE.get(currency) : undefined;
}

/** The PSP's rules for a currency, or a 400 `currency_not_supported`. */
export function pspCurrency(currency: CurrencyCode): PspCurrency {
  const rules = TABLE.get(currency);
  if (!rules) {
    throw new MoneyError(
      MoneyErrorCode.CurrencyNotSupported,
      `the payment provider does not accept ${currency}`,
      { currency },
    );
  }
  return rules;
}

/** 10^n as a bigint. */
const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** One step of the PSP in our money: 1 ISK for ISK, 0.01 BHD for BHD, 1 MGA for MGA, 0.01 USD for USD. */
function stepAsMoney(rules: PspCurrency): Money {
  return fromUnits(BigInt(rules.step), rules) ?? money(rules.currency, 0n);
}

/** PSP units as ISO minor units, or undefined when they fall between two ISO minor units. */
function fromUnits(units: bigint, rules: PspCurrency): Money | undefined {
  const shift = exponentOf(rules.currency) - rules.exponent;
  if (shift >= 0) return money(rules.currency, units * pow10(shift));
  const divisor = pow10(-shift);
  if (units % divisor !== 0n) return undefined;
  return money(rules.currency, units / divisor);
}

/** ISO minor units as PSP units, or undefined when the PSP cannot represent the amount exactly. */
function toUnits(amount: Money, rules: PspCurrency): bigint | undefined {
  const shift = rules.exponent - exponentOf(amount.currency);
  let units: bigint;
  if (shift >= 0) {
    units = amount.minor * pow10(shift);
  } else {
    const divisor = pow10(-shift);
    if (amount.minor % divisor !== 0n) return undefined;
    units = amount.minor / divisor;
  }
  return units % BigInt(rules.step) === 0n ? units : undefined;
}

function notRepresentable(amount: Money, rules: PspCurrency): MoneyError {
  return new MoneyError(
    MoneyErrorCode.AmountPrecisionNotSupported,
    `the payment provider charges ${amount.currency} only in steps of ${formatAmount(stepAsMoney(rules))}, got ${formatAmount(amount)}`,
    { amount: formatAmount(amount), currency: amount.currency, step: formatAmount(stepAsMoney(rules)) },
  );
}

/**
 * Our amount as the PSP's integer amount and lower-case currency (charges, refunds, hosted-page lines).
 * Refuses a currency the PSP does not accept and an amount it cannot represent exactly.
 */
export function toStripeAmount(amount: Money): { readonly amount: number; readonly currency: string } {
  const rules = pspCurrency(amount.currency);
  const units = toUnits(amount, rules);
  if (units === undefined) throw notRepresentable(amount, rules);
  if (units > BigInt(Number.MAX_SAFE_INTEGER) || units < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyError(MoneyErrorCode.AmountOutOfRange, `amount out of range: ${formatAmount(amount)}`, {
      amount: formatAmount(amount),
      currency: amount.currency,
    });
  }
  return { amount: Number(units), currency: amount.currency.toLowerCase() };
}

/**
 * The PSP's integer amount (a PaymentIntent, a webhook's object, a refund) as our money. Refuses a fractional
 * or unsafe number, an unknown currency, and an amount that falls between two of our minor units.
 */
export function fromStripeAmount(amount: number, stripeCurrency: string): Money {
  const code = stripeCurrency.toUpperCase();
  if (!isCurrencyCode(code)) {
    throw new MoneyError(MoneyErrorCode.UnknownCurrency, `unknown currency: ${stripeCurrency}`, {
      currency: stripeCurrency,
    });
  }
  if (!Number.isSafeInteger(amount)) {
    throw new MoneyError(MoneyErrorCode.InvalidMinorAmount, `not an integer minor amount: ${amount}`, {
      amount,
      currency: code,
    });
  }
  const rules = pspCurrency(code);
  const result = fromUnits(BigInt(amount), rules);
  if (!result) {
    throw new MoneyError(
      MoneyErrorCode.AmountPrecisionNotSupported,
      `${amount} ${stripeCurrency} is not a whole number of ${code} minor units`,
      { amount, currency: code },
    );
  }
  return result;
}

/** One amount the PSP is asked to charge: its currency, its precision, its minimum and its maximum. */
export function checkChargeable(amount: Money): void {
  const rules = pspCurrency(amount.currency);
  const units = toUnits(amount, rules);
  if (units === undefined) throw notRepresentable(amount, rules);
  if (units < BigInt(rules.minimum)) {
    const minimum = fromUnits(BigInt(rules.minimum), rules) as Money;
    throw new MoneyError(
      MoneyErrorCode.AmountBelowMinimum,
      `the payment provider charges at least ${formatAmount(minimum)} ${amount.currency}, got ${formatAmount(amount)}`,
      { amount: formatAmount(amount), currency: amount.currency, minimum: formatAmount(minimum) },
    );
  }
  if (units > BigInt(rules.maximum)) {
    const maximum = fromUnits(BigInt(rules.maximum), rules) as Money;
    throw new MoneyError(
      MoneyErrorCode.AmountAboveMaximum,
      `the payment provider charges at most ${formatAmount(maximum)} ${amount.currency}, got ${formatAmount(amount)}`,
      { amount: formatAmount(amount), currency: amount.currency, maximum: formatAmount(maximum) },
    );
  }
}

/** Whether the PSP can represent an amount exactly (for a refund or a line that is not a charge itself). */
export function checkRepresentable(amount: Money): void {
  const rules = pspCurrency(amount.currency);
  if (toUnits(amount, rules) === undefined) throw notRepresentable(amount, rules);
}
