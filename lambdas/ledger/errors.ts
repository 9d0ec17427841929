/**
 * Errors of the ledger and wallets. Each has a stable `code`, the HTTP status a handler should answer with,
 * whether its message may be shown to the caller, whether retrying the same call can succeed, and the data
 * needed to act on it. Handlers map them by type or `statusCode`, never by message.
 */

export const LedgerErrorCode = {
  InvalidTransaction: 'ledger_invalid_transaction',
  UnbalancedTransaction: 'ledger_unbalanced_transaction',
  TooManyItems: 'ledger_too_many_items',
  /** The transaction id was already posted with other content: an idempotency key reused. */
  ConflictingTransaction: 'ledger_conflicting_transaction',
  InsufficientFunds: 'ledger_insufficient_funds',
  /** One of the caller's own TransactWriteItems (e.g. "order not terminal") failed its condition. */
  CallerConditionFailed: 'ledger_caller_condition_failed',
  HoldNotFound: 'ledger_hold_not_found',
  HoldNotPending: 'ledger_hold_not_pending',
  InvalidCursor: 'ledger_invalid_cursor',
  /** Conflicts or throttling outlasted the bounded retries: nothing was written, try again later. */
  Contention: 'ledger_contention',
  /** Stored data contradicts an invariant: a bug or a manual edit. Never retried, always alarmed. */
  Integrity: 'ledger_integrity',
} as const;

export type LedgerErrorCode = (typeof LedgerErrorCode)[keyof typeof LedgerErrorCode];

export abstract class LedgerError extends Error {
  abstract readonly code: LedgerErrorCode;
  abstract readonly statusCode: number;
  readonly retryable: boolean = false;

  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Client errors may be shown; server errors are logged with their details and answered generically. */
  get expose(): boolean {
    return this.statusCode < 500;
  }
}

export class InvalidTransactionError extends LedgerError {
  readonly code = LedgerErrorCode.InvalidTransaction;
  readonly statusCode = 400;
}

export class UnbalancedTransactionError extends LedgerError {
  readonly code = LedgerErrorCode.UnbalancedTransaction;
  readonly statusCode = 400;
}

export class TooManyItemsError extends LedgerError {
  readonly code = LedgerErrorCode.TooManyItems;
  readonly statusCode = 400;
}

export class ConflictingTransactionError extends LedgerError {
  readonly code = LedgerErrorCode.ConflictingTransaction;
  readonly statusCode = 409;

  constructor(readonly transactionId: string) {
    super(`transaction ${transactionId} was already posted with different content`, { transactionId });
  }
}

export type WalletBalanceName = 'available' | 'reserved' | 'paid_out' | 'receivable' | 'dispute_held';

export class InsufficientFundsError extends LedgerError {
  readonly code = LedgerErrorCode.InsufficientFunds;
  readonly statusCode = 409;

  constructor(
    readonly sellerId: string,
    readonly currency: string,
    readonly balance: WalletBalanceName,
    readonly requestedMinor: bigint,
    readonly currentMinor: bigint,
  ) {
    super(`seller ${sellerId} has ${currentMinor} ${currency} ${balance}, needs ${requestedMinor}`, {
      sellerId,
      currency,
      balance,
      requested: requestedMinor.toString(),
      current: currentMinor.toString(),
    });
  }
}

export class CallerConditionFailedError extends LedgerError {
  readonly code = LedgerErrorCode.CallerConditionFailed;
  readonly statusCode = 409;

  constructor(
    /** Index of the failed item in the caller's `extraItems`. */
    readonly itemIndex: number,
    /** The item's value before the attempt, when DynamoDB returned it (ReturnValuesOnConditionCheckFailure). */
    readonly currentItem: Readonly<Record<string, unknown>> | undefined,
  ) {
    super(`caller's item #${itemIndex} failed its condition; nothing was written`, { itemIndex });
  }
}

export class HoldNotFoundError extends LedgerError {
  readonly code = LedgerErrorCode.HoldNotFound;
  readonly statusCode = 404;
}

export class HoldNotPendingError extends LedgerError {
  readonly code = LedgerErrorCode.HoldNotPending;
  readonly statusCode = 409;

  constructor(
    readonly payoutId: string,
    readonly status: string | undefined,
  ) {
    super(`hold for payout ${payoutId} is ${status ?? 'unknown'}, not reserved`, { payoutId, status });
  }
}

export class InvalidCursorError extends LedgerError {
  readonly code = LedgerErrorCode.InvalidCursor;
  readonly statusCode = 400;
}

export class LedgerContentionError extends LedgerError {
  readonly code = LedgerErrorCode.Contention;
  readonly statusCode = 503;
  override readonly retryable = true;
}

export class LedgerIntegrityError extends LedgerError {
  readonly code = LedgerErrorCode.Integrity;
  readonly statusCode = 500;
}
