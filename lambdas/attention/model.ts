/**
 * Needs-attention records: outcomes the system cannot resolve by itself and a person must act on. One record
 * per (kind, subject): recording the same problem again changes nothing, so every path may record freely.
 */

/** What went wrong. Other areas append their kinds here (refunds, payouts, reconciliation). */
export const AttentionKind = {
  /** The PSP captured another amount or currency than the order's or checkout's total. */
  AmountMismatch: 'amount_mismatch',
  /** The PSP captured money for an order we recorded FAILED: refund it or re-open it by hand. */
  CapturedForFailedOrder: 'captured_for_failed_order',
  /** The sweeper looked at the order N times and could not move it. */
  UnresolvedAfterSweeps: 'unresolved_after_sweeps',
  /** An idempotency key was reused with other parameters at the PSP: our bug; the first attempt may have charged. */
  IdempotencyConflict: 'idempotency_conflict',
  /** A refund still pending at the PSP past the limit (REFUND_ATTENTION_AFTER_HOURS): ask the PSP, or the buyer. */
  RefundStuckPending: 'refund_stuck_pending',
  /** Our refund is not at the PSP after its 24 h key window: asking again could refund twice; a person decides. */
  RefundNotFoundAtPsp: 'refund_not_found_at_psp',
  /** A paid-out seller's transfer reversal failed for a reason other than their balance, or stays unknown. */
  TransferReversalFailed: 'transfer_reversal_failed',
  /** A refund or dispute made at the PSP on a payment that paid several orders: which one bears it? */
  MoneyBackUnattributed: 'money_back_unattributed',
  /**
   * The PSP refused OUR credentials (401/403: a rotated, revoked or wrong key). The order waits (nothing was
   * charged by the refused call); a person fixes the secret, then the sweeper resumes it.
   */
  PspCredentialsRefused: 'psp_credentials_refused',
  /**
   * A payout's money is at the destination and the provider refused both the step on (the bank payout) and the
   * step back (the transfer reversal): pay the seller by hand, or take the money back once their balance allows.
   */
  PayoutStuckAtProvider: 'payout_stuck_at_provider',
  /** The payout sweeper's lookups of a payout failed N times in a row: its hold stays reserved meanwhile. */
  PayoutUnresolvedAfterLookups: 'payout_unresolved_after_lookups',
} as const;
export type AttentionKind = (typeof AttentionKind)[keyof typeof AttentionKind];

/** What the record is about. */
export const AttentionSubjectType = {
  PaymentOrder: 'payment_order',
  Checkout: 'checkout',
  Payout: 'payout',
  Refund: 'refund',
  SettlementRow: 'settlement_row',
} as const;
export type AttentionSubjectType = (typeof AttentionSubjectType)[keyof typeof AttentionSubjectType];

export const AttentionStatus = { Open: 'OPEN', Resolved: 'RESOLVED' } as const;
export type AttentionStatus = (typeof AttentionStatus)[keyof typeof AttentionStatus];

export interface AttentionInput {
  readonly kind: AttentionKind;
  readonly subjectType: AttentionSubjectType;
  readonly subjectId: string;
  /** One line a person reads first. */
  readonly summary: string;
  /** What is needed to act: ids (order, checkout, PSP reference), amounts as strings. Never secrets or card data. */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

export interface AttentionRecord extends AttentionInput {
  readonly attention_id: string;
  readonly status: AttentionStatus;
  readonly opened_at: string;
  /** How many times the problem was recorded (the first write and every repeat). */
  readonly occurrences: number;
  readonly resolved_at?: string;
  readonly resolved_by?: string;
  readonly resolution?: string;
}

/** What the payments code (and others) are given to report a problem; see lambdas/attention/store.ts. */
export interface AttentionSink {
  record(input: AttentionInput): Promise<void>;
}
