/** Errors of the payments area, each with a machine-readable code and the data needed to act. */
export const PaymentErrorCode = {
  CheckoutConflict: 'checkout_conflict',
  PaymentOrderConflict: 'payment_order_conflict',
  NotFound: 'not_found',
  Contention: 'contention',
  /** Something only a person should resolve (an amount the PSP changed, an idempotency window running out). */
  NeedsAttention: 'needs_attention',
} as const;
export type PaymentErrorCode = (typeof PaymentErrorCode)[keyof typeof PaymentErrorCode];

export class PaymentError extends Error {
  constructor(
    readonly code: PaymentErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PaymentError';
  }
}
