/**
 * Reconciliation's vocabulary: a settlement row in our terms (whatever file or API it came from), the classes
 * every row (and every record the PSP should have settled) ends in, and how each class is handled.
 */
import type { CurrencyCode } from '../money';

export const InputFormat = {
  /** Stripe's `payout_reconciliation.itemized.5` (and the other itemized balance reports: same columns). */
  StripeItemized: 'stripe_itemized',
  /** Our simple CSV: id, category, currency, amount, fee [, net, payment_intent_id, payment_order_id, ...]. */
  Generic: 'generic_csv',
  /** The PSP's API: `GET /v1/balance_transactions?payout=`. */
  PspApi: 'psp_api',
} as const;
export type InputFormat = (typeof InputFormat)[keyof typeof InputFormat];

/** Reporting categories we act on; any other is an unexplained row (investigation). */
export const Category = {
  Charge: 'charge',
  Refund: 'refund',
  Dispute: 'dispute',
  DisputeReversal: 'dispute_reversal',
  Fee: 'fee',
  Transfer: 'transfer',
  TransferReversal: 'transfer_reversal',
  Payout: 'payout',
  PayoutReversal: 'payout_reversal',
  Adjustment: 'other_adjustment',
} as const;
export type Category = (typeof Category)[keyof typeof Category];

export interface SettlementRow {
  /** Physical line in the file (1 = header); for API input, the item's position. */
  readonly line: number;
  readonly balanceTransactionId: string;
  /** `reporting_category` as the PSP wrote it (lower case). */
  readonly category: string;
  readonly sourceId: string;
  readonly currency: CurrencyCode;
  /** Integer minor units, signed as the PSP signs them (charges positive, refunds and payouts negative). */
  readonly gross: bigint;
  readonly fee: bigint;
  readonly net: bigint;
  readonly paymentIntentId?: string;
  readonly chargeId?: string;
  readonly paymentOrderId?: string;
  readonly checkoutId?: string;
  readonly payoutId?: string;
  /** Our refund id (`refund_metadata[refund_id]`) on refund rows. */
  readonly refundId?: string;
  /** Our payout id (`transfer_metadata[payout_id]`, the transfer's group) on transfer and reversal rows. */
  readonly transferPayoutId?: string;
  readonly createdAt?: string;
}

export const BreakClass = {
  Matched: 'matched',
  /** A row for which we hold no record. */
  MissingInternally: 'missing_internally',
  /** A record the PSP should have settled by now, with no row. */
  MissingInFile: 'missing_in_file',
  AmountMismatch: 'amount_mismatch',
  FeeMismatch: 'fee_mismatch',
  CurrencyMismatch: 'currency_mismatch',
  /** The PSP settled what we hold as NOT_STARTED, EXECUTING, PENDING or FAILED. */
  StatusMismatch: 'status_mismatch',
  /** The checkout's total is right, the sellers' shares are not. */
  SplitMismatch: 'split_mismatch',
  DuplicateRow: 'duplicate_row',
  /** The rows a payout paid out do not add up to the payout. */
  PayoutMismatch: 'payout_mismatch',
  /** A row that could not be read (line and reason). */
  MalformedRow: 'malformed_row',
  /** A row that fits no class (an unknown category, no id to match by). */
  Unexplained: 'unexplained',
} as const;
export type BreakClass = (typeof BreakClass)[keyof typeof BreakClass];

/** Rows that are not breaks, counted apart: captured by us, not expected in a file yet. */
export const AWAITING_SETTLEMENT = 'awaiting_settlement';

export const Handling = {
  None: 'none',
  /** Repaired through the normal idempotent path (the webhook's and the sweeper's code). */
  AutoRepaired: 'auto_repaired',
  /** Could not be repaired automatically: on the finance queue with what a person needs. */
  Finance: 'finance',
  /** Fits no class: on the investigation queue. */
  Investigation: 'investigation',
} as const;
export type Handling = (typeof Handling)[keyof typeof Handling];

export interface Break {
  /** Stable across runs of the same day: `{class}:{reference}`. */
  readonly id: string;
  readonly class: BreakClass;
  readonly handling: Handling;
  readonly detail: string;
  /** The row (absent for a record missing from the file and for a payout total). */
  readonly row?: SettlementRow;
  readonly line?: number;
  readonly paymentOrderId?: string;
  readonly checkoutId?: string;
  readonly payoutId?: string;
  /** Our record the break is about, when not an order: `refund rf_...`, `dispute dp_...`, `payout pout_...`. */
  readonly record?: string;
  /** What we expected, where the class is about a difference (minor units, as strings for JSON). */
  readonly expected?: Readonly<Record<string, string>>;
  readonly actual?: Readonly<Record<string, string>>;
}

/** What to do for a class that is not matched, unless a matcher repaired it. */
export function defaultHandling(cls: BreakClass): Handling {
  switch (cls) {
    case 'matched':
      return 'none';
    case 'malformed_row':
    case 'unexplained':
      return 'investigation';
    default:
      return 'finance';
  }
}
