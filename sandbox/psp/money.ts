/**
 * Currencies the simulator accepts, their ISO 4217 exponent, and Stripe's minimum charge amounts. Amounts are
 * integers in minor units everywhere; this module is the only place that writes major-unit decimals.
 */

const ZERO_DECIMAL = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);
const TWO_DECIMAL = new Set([
  'usd',
  'eur',
  'gbp',
  'cad',
  'aud',
  'nzd',
  'chf',
  'sek',
  'nok',
  'dkk',
  'pln',
  'czk',
  'huf',
  'ron',
  'bgn',
  'sgd',
  'hkd',
  'mxn',
  'brl',
  'inr',
  'zar',
  'aed',
  'ils',
  'thb',
  'myr',
  'php',
  'idr',
  'try',
]);

/** Stripe's documented minimums for the common settlement currencies; 1 minor unit elsewhere. */
const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50,
  eur: 50,
  cad: 50,
  aud: 50,
  nzd: 50,
  chf: 50,
  gbp: 30,
  jpy: 50,
  sgd: 50,
  hkd: 400,
  mxn: 1000,
  brl: 50,
  inr: 50,
};

/** Stripe's ceiling for a single charge (eight digits of minor units). */
export const MAX_AMOUNT = 99_999_999;

export function isSupportedCurrency(currency: string): boolean {
  return ZERO_DECIMAL.has(currency) || THREE_DECIMAL.has(currency) || TWO_DECIMAL.has(currency);
}

export function exponentOf(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

export function minimumChargeAmount(currency: string): number {
  return MINIMUM_CHARGE[currency] ?? 1;
}

/** 1234 usd -> "12.34"; -5 usd -> "-0.05"; 1234 jpy -> "1234"; 1234 bhd -> "1.234". */
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
