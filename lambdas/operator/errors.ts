/** The operator API's error codes (answered through the API's error envelope, lambdas/api/errors.ts). */
export const OperatorErrorCode = {
  /** No operator key, or not the operator's key (the storefront's key is refused here too). */
  OperatorKeyRequired: 'operator_key_required',
  /** Actions need an Idempotency-Key: a retried redrive or replay must not act twice. */
  IdempotencyKeyRequired: 'idempotency_key_required',
  UnknownQueue: 'unknown_queue',
  /** Redrive takes a dead-letter queue: one that is another queue's `deadLetter`. */
  NotADeadLetterQueue: 'not_a_dead_letter_queue',
} as const;
export type OperatorErrorCode = (typeof OperatorErrorCode)[keyof typeof OperatorErrorCode];
