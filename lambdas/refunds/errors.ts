/** Errors of refunds and disputes, each with a machine-readable code, its HTTP status and the data to act. */
export const RefundErrorCode = {
  NotFound: 'not_found',
  /** Only a SUCCESS order (money captured) can be refunded. */
  OrderNotRefundable: 'order_not_refundable',
  /** More than what remains to refund (captured less what was already refunded or is pending). */
  AmountExceedsRefundable: 'amount_exceeds_refundable',
  /** Nothing remains to refund. */
  AlreadyRefunded: 'already_refunded',
  CurrencyMismatch: 'currency_mismatch',
  Contention: 'contention',
  /** The PSP answered something we cannot map onto our record: a person looks at it. */
  NeedsAttention: 'needs_attention',
} as const;
export type RefundErrorCode = (typeof RefundErrorCode)[keyof typeof RefundErrorCode];

const STATUS: Record<RefundErrorCode, number> = {
  not_found: 404,
  order_not_refundable: 409,
  amount_exceeds_refundable: 422,
  already_refunded: 409,
  currency_mismatch: 422,
  contention: 503,
  needs_attention: 500,
};

export class RefundError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: RefundErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RefundError';
    this.statusCode = STATUS[code];
  }
}
