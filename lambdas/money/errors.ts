/**
 * Errors of the money module. Each carries a machine-readable `code` and is a client error (400): bad input
 * from an API body, a PSP payload or a settlement file, never a fault of ours.
 */

export const MoneyErrorCode = {
  /** The amount arrived as a JSON number: floats cannot carry money exactly. */
  AmountIsFloat: 'amount_is_float',
  /** Not a plain decimal string such as "12.34" (exponents, spaces, "+", leading zeros, ".5"). */
  InvalidAmountFormat: 'invalid_amount_format',
  TooManyDecimals: 'amount_too_many_decimals',
  AmountNegative: 'amount_negative',
  AmountZero: 'amount_zero',
  AmountOutOfRange: 'amount_out_of_range',
  UnknownCurrency: 'unknown_currency',
  CurrencyMismatch: 'currency_mismatch',
  /** A Stripe integer amount that is not a safe integer. */
  InvalidMinorAmount: 'invalid_minor_amount',
  InvalidAllocation: 'invalid_allocation',
  /** A valid ISO 4217 currency the payment provider cannot charge (lambdas/psp/currencies.ts). */
  CurrencyNotSupported: 'currency_not_supported',
  /** An amount the payment provider cannot represent exactly (e.g. "100.50" MGA, "12.34" HUF, "1.234" KWD). */
  AmountPrecisionNotSupported: 'amount_precision_not_supported',
  /** Below the payment provider's minimum charge for the currency. */
  AmountBelowMinimum: 'amount_below_minimum',
  /** Above the payment provider's maximum charge (eight digits of its unit). */
  AmountAboveMaximum: 'amount_above_maximum',
} as const;

export type MoneyErrorCode = (typeof MoneyErrorCode)[keyof typeof MoneyErrorCode];

export class MoneyError extends Error {
  readonly statusCode = 400;
  /** Safe to show the client: it names what was wrong with their input. */
  readonly expose = true;

  constructor(
    readonly code: MoneyErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'MoneyError';
  }
}
