/**
 * Currencies as Stripe counts them (https://docs.stripe.com/currencies): which it accepts, the decimals of its
 * integer `amount` (which differ from ISO 4217 for some: MGA has none at Stripe, ISK and UGX have two), the
 * step an amount must be a multiple of, and the minimum and maximum charge. Kept apart from the functions'
 * own table (lambdas/psp/currencies.ts) on purpose: the simulator plays Stripe, so a mistake there is caught
 * here instead of being shared. Amounts are integers in Stripe's unit everywhere; this module is the only
 * place that writes major-unit decimals.
 */

// Zero-decimal at Stripe ("Zero-decimal currencies"): `amount=500` is 500 JPY. MGA is two-decimal in ISO 4217.
// biome-ignore format: a compact table reads better than one code per line
const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
// "Three-decimal currencies": the last digit must be 0.
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);
// "Special cases": two decimals on the wire for backwards compatibility, whole units only (multiples of 100).
const WHOLE_UNITS_IN_TWO_DECIMALS = new Set(['isk', 'ugx']);
// "Special cases": charged with two decimals, paid out in whole units only.
const WHOLE_UNIT_PAYOUTS = new Set(['huf', 'twd']);
// biome-ignore format: a compact table reads better than one code per line
const TWO_DECIMAL = new Set([
  'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn', 'bmd',
  'bnd', 'bob', 'brl', 'bsd', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'cny', 'cop', 'crc', 'cve', 'czk',
  'dkk', 'dop', 'dzd', 'egp', 'etb', 'eur', 'fjd', 'fkp', 'gbp', 'gel', 'gip', 'gmd', 'gtq', 'gyd', 'hkd',
  'hnl', 'htg', 'idr', 'ils', 'inr', 'jmd', 'kes', 'kgs', 'khr', 'kyd', 'kzt', 'lak', 'lbp', 'lkr', 'lrd',
  'lsl', 'mad', 'mdl', 'mkd', 'mmk', 'mnt', 'mop', 'mur', 'mvr', 'mwk', 'mxn', 'myr', 'mzn', 'nad', 'ngn',
  'nio', 'nok', 'npr', 'nzd', 'pab', 'pen', 'pgk', 'php', 'pkr', 'pln', 'qar', 'ron', 'rsd', 'rub', 'sar',
  'sbd', 'scr', 'sek', 'sgd', 'shp', 'sle', 'sos', 'srd', 'szl', 'thb', 'tjs', 'top', 'try', 'ttd', 'tzs',
  'uah', 'usd', 'uyu', 'uzs', 'wst', 'xcd', 'xcg', 'yer', 'zar', 'zmw',
  ...WHOLE_UNITS_IN_TWO_DECIMALS, ...WHOLE_UNIT_PAYOUTS,
]);

/** Stripe's documented minimums ("Minimum and maximum charge amounts"); one step elsewhere. */
const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
};

/** Stripe's ceiling for a single charge (eight digits of its unit). */
export const MAX_AMOUNT = 99_999_999;

export function isSupportedCurrency(currency: string): boolean {
  return ZERO_DECIMAL.has(currency) || THREE_DECIMAL.has(currency) || TWO_DECIMAL.has(currency);
}

export function exponentOf(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

/** Every charge and refund amount is a multiple of this (10 for three-decimal, 100 for ISK and UGX). */
export function amountStep(currency: string): number {
  if (THREE_DECIMAL.has(currency)) return 10;
  if (WHOLE_UNITS_IN_TWO_DECIMALS.has(currency)) return 100;
  return 1;
}

/** Payouts in HUF and TWD are whole units too (Stripe: "zero-decimal for payouts"). */
export function payoutStep(currency: string): number {
  return WHOLE_UNIT_PAYOUTS.has(currency) ? 100 : amountStep(currency);
}

export function minimumChargeAmount(currency: string): number {
  return MINIMUM_CHARGE[currency] ?? amountStep(currency);
}

/** The largest charge: eight digits, rounded down to the currency's step. */
export function maximumChargeAmount(currency: string): number {
  return MAX_AMOUNT - (MAX_AMOUNT % amountStep(currency));
}

/**
 * Why Stripe refuses an amount for the currency's step, or undefined when it does not: the error code and the
 * message Stripe gives.
 */
export function stepViolation(
  amount: number,
  currency: string,
): { code: string; message: string } | undefined {
  const step = amountStep(currency);
  if (amount % step === 0) return undefined;
  if (WHOLE_UNITS_IN_TWO_DECIMALS.has(currency)) {
    return {
      code: 'invalid_charge_amount_no_decimal_compatible',
      message: `Invalid amount. Currency ${currency.toUpperCase()} has become effectively zero-decimal and charged amounts must be evenly divisible by 100. See https://stripe.com/docs/currencies#special-cases for more information.`,
    };
  }
  return {
    code: 'invalid_charge_amount',
    message: `Invalid amount. Amounts in ${currency.toUpperCase()} must have 0 as their last digit. See https://stripe.com/docs/currencies#three-decimal for more information.`,
  };
}

/** 1234 usd -> "12.34"; -5 usd -> "-0.05"; 1234 jpy -> "1234"; 1234 bhd -> "1.234"; 500 isk -> "5.00". */
export function formatMajor(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`not an integer amount: ${minor}`);
  const exponent = exponentOf(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor));
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** For human-facing text (the hosted page): "USD 12.34". */
export function displayAmount(minor: number, currency: string): string {
  return `${currency.toUpperCase()} ${formatMajor(minor, currency)}`;
}
