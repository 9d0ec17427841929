/**
 * Settlement amounts: major-unit decimals ("12.34", "-5.00", JPY "1200") to integer minor units, with the
 * currency's exponent. The one place that decides it, so it can switch to the PSP's own currency table
 * (lambdas/psp/currencies.ts) without touching the parsers.
 */
import { type CurrencyCode, fromMajorUnits, parseCurrency } from '../money';

/** The PSP writes currencies in lower case (`usd`); ours are ISO upper case. */
export function settlementCurrency(value: string): CurrencyCode {
  return parseCurrency(value.trim().toUpperCase());
}

export function toMinor(value: string, currency: CurrencyCode): bigint {
  return fromMajorUnits(value, currency).minor;
}
