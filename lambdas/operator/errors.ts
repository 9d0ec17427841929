/** The operator API's error codes (answered through the API's error envelope, lambdas/api/errors.ts). */
export const OperatorErrorCode = {
  /** No operator key, or not the operator's key (the storefront's key is refused here too). */
  OperatorKeyRequired: 'operator_key_required',
  /** Actions need an Idempotency-Key: a retried redrive or replay must not act twice. */
  IdempotencyKeyRequired: 'idempotency_key_required',
  UnknownQueue: 'unknown_queue',
  /** Redrive takes a dead-letter queue: one that is another queue's `deadLetter`. */
  NotADeadLetterQueue: 'not_a_dead_letter_queue',
  /** A needs-attention record or a reconciliation break that is resolved already. */
  AlreadyResolved: 'already_resolved',
  /** The resolution does not apply to this break (e.g. link on a break without a settlement row). */
  NotApplicable: 'not_applicable',
  /** Pause/resume of a seller without payout settings (PUT /v1/sellers/{seller_account} first). */
  SellerNotFound: 'seller_not_found',
} as const;
export type OperatorErrorCode = (typeof OperatorErrorCode)[keyof typeof OperatorErrorCode];
