/** Errors of the pay-out area: a machine-readable code, the HTTP status an API answers with, data to act on. */
export const PayoutErrorCode = {
  ValidationError: 'validation_error',
  SellerNotFound: 'seller_not_found',
  NotFound: 'not_found',
  /** More than the payable balance was asked for: nothing was reserved. */
  InsufficientFunds: 'insufficient_funds',
  /** The seller cannot be paid right now (paused, destination errored, negative, dispute hold...). */
  NotPayable: 'payout_not_payable',
  /** Concurrent pay-outs of one seller kept colliding: nothing was written, retry. */
  Contention: 'contention',
} as const;
export type PayoutErrorCode = (typeof PayoutErrorCode)[keyof typeof PayoutErrorCode];

const STATUS: Record<PayoutErrorCode, number> = {
  validation_error: 400,
  seller_not_found: 404,
  not_found: 404,
  insufficient_funds: 422,
  payout_not_payable: 422,
  contention: 503,
};

export class PayoutError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: PayoutErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PayoutError';
    this.statusCode = STATUS[code];
  }
}

/**
 * A provider failure that may pass (timeout, connection, 5xx, 429): retried with the same idempotency key,
 * and never a reason to release the hold. The workflow's Retry matches on this name.
 */
export class PayoutProviderTransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayoutProviderTransientError';
  }
}

/** The provider refused in a way that will not change on retry but does not prove anything: needs a person. */
export class PayoutProviderPermanentError extends Error {
  constructor(
    message: string,
    readonly providerCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PayoutProviderPermanentError';
  }
}
