/** Money: ISO 4217 currencies and integer minor-unit amounts, with conversions at the edges. */
export { CURRENCY_CODES, type CurrencyCode, exponentOf, isCurrencyCode } from './currencies';
export { MoneyError, MoneyErrorCode } from './errors';
export * from './money';
