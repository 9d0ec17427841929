/** Reconciliation's errors: a code a caller can act on, and the data to act with. */
export const ReconciliationErrorCode = {
  NotFound: 'not_found',
  ValidationError: 'validation_error',
  /** The resolution does not apply to this break (e.g. a write-off without an amount). */
  NotApplicable: 'not_applicable',
} as const;
export type ReconciliationErrorCode = (typeof ReconciliationErrorCode)[keyof typeof ReconciliationErrorCode];

export class ReconciliationError extends Error {
  constructor(
    readonly code: ReconciliationErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ReconciliationError';
  }
}
