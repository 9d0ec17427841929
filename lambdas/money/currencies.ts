/**
 * ISO 4217 minor-unit exponents of the active currencies: how many decimals an amount in that currency has
 * (USD 2, JPY 0, BHD 3). This table, not the PSP's, decides how decimal strings map to integer minor units.
 * Precious metals, testing and "no currency" codes (XAU, XTS, XXX...) have no exponent and are not listed.
 */

// biome-ignore format: a compact table reads better than one code per line
const TWO_DECIMALS = [
  'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BMD',
  'BND', 'BOB', 'BOV', 'BRL', 'BSD', 'BTN', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHE', 'CHF', 'CHW', 'CNY',
  'COP', 'COU', 'CRC', 'CUP', 'CVE', 'CZK', 'DKK', 'DOP', 'DZD', 'EGP', 'ERN', 'ETB', 'EUR', 'FJD', 'FKP',
  'GBP', 'GEL', 'GHS', 'GIP', 'GMD', 'GTQ', 'GYD', 'HKD', 'HNL', 'HTG', 'HUF', 'IDR', 'ILS', 'INR', 'IRR',
  'JMD', 'KES', 'KGS', 'KHR', 'KPW', 'KYD', 'KZT', 'LAK', 'LBP', 'LKR', 'LRD', 'LSL', 'MAD', 'MDL', 'MGA',
  'MKD', 'MMK', 'MNT', 'MOP', 'MRU', 'MUR', 'MVR', 'MWK', 'MXN', 'MXV', 'MYR', 'MZN', 'NAD', 'NGN', 'NIO',
  'NOK', 'NPR', 'NZD', 'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'QAR', 'RON', 'RSD', 'RUB', 'SAR', 'SBD',
  'SCR', 'SDG', 'SEK', 'SGD', 'SHP', 'SLE', 'SOS', 'SRD', 'SSP', 'STN', 'SVC', 'SYP', 'SZL', 'THB', 'TJS',
  'TMT', 'TOP', 'TRY', 'TTD', 'TWD', 'TZS', 'UAH', 'USD', 'USN', 'UYU', 'UZS', 'VED', 'VES', 'WST', 'XCD',
  'XCG', 'YER', 'ZAR', 'ZMW', 'ZWG',
] as const;

// biome-ignore format: a compact table reads better than one code per line
const ZERO_DECIMALS = [
  'BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF',
  'XOF', 'XPF',
] as const;

// biome-ignore format: a compact table reads better than one code per line
const THREE_DECIMALS = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'] as const;

const FOUR_DECIMALS = ['CLF', 'UYW'] as const;

export type CurrencyCode =
  | (typeof TWO_DECIMALS)[number]
  | (typeof ZERO_DECIMALS)[number]
  | (typeof THREE_DECIMALS)[number]
  | (typeof FOUR_DECIMALS)[number];

const EXPONENTS: ReadonlyMap<string, number> = new Map<string, number>([
  ...TWO_DECIMALS.map((code) => [code, 2] as const),
  ...ZERO_DECIMALS.map((code) => [code, 0] as const),
  ...THREE_DECIMALS.map((code) => [code, 3] as const),
  ...FOUR_DECIMALS.map((code) => [code, 4] as const),
]);

export const CURRENCY_CODES: readonly CurrencyCode[] = [...EXPONENTS.keys()] as CurrencyCode[];

export function isCurrencyCode(value: unknown): value is CurrencyCode {
  return typeof value === 'string' && EXPONENTS.has(value);
}

/** The number of decimals of the currency's minor unit. */
export function exponentOf(currency: CurrencyCode): number {
  const exponent = EXPONENTS.get(currency);
  // Unreachable for a CurrencyCode; guards values cast from outside the type system.
  if (exponent === undefined) throw new Error(`no ISO 4217 exponent for ${String(currency)}`);
  return exponent;
}
