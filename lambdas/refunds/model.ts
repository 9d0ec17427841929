/**
 * Refunds and disputes as we record them, and the one rule for their statuses: forward only.
 *
 * Refund: pending -> succeeded | failed | canceled, and succeeded -> failed (Stripe reports some refunds
 * succeeded and fails them days later). failed and canceled are final. A dispute: its PSP status as is
 * (warning_* inquiries move no money; needs_response / under_review hold funds; won / lost / warning_closed are
 * final), with the money steps we posted.
 */
import type { CurrencyCode } from '../money';

export const RefundStatus = {
  Pending: 'pending',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Canceled: 'canceled',
} as const;
export type RefundStatus = (typeof RefundStatus)[keyof typeof RefundStatus];

const NEXT: Record<RefundStatus, readonly RefundStatus[]> = {
  pending: ['succeeded', 'failed', 'canceled'],
  succeeded: ['failed'],
  failed: [],
  canceled: [],
};

export function canMoveRefund(from: RefundStatus, to: RefundStatus): boolean {
  return NEXT[from].includes(to);
}

export const isFinalRefund = (status: RefundStatus): boolean => NEXT[status].length === 0;

/** Where a refund was asked for: our API, or elsewhere (the PSP's dashboard), seen only as events. */
export const RefundOrigin = { Api: 'api', Psp: 'psp' } as const;
export type RefundOrigin = (typeof RefundOrigin)[keyof typeof RefundOrigin];

export interface RefundRecord {
  readonly refund_id: string;
  readonly payment_order_id: string;
  readonly seller_account: string;
  /** The checkout's buyer, for their totals. */
  readonly buyer_id?: string;
  readonly currency: CurrencyCode;
  readonly amount_minor: number;
  /** What the seller bears, the commission given back, and what the platform bears: sum = amount. */
  readonly seller_minor: number;
  readonly commission_minor: number;
  readonly platform_minor: number;
  readonly status: RefundStatus;
  readonly origin: RefundOrigin;
  readonly reason?: string;
  /** The PSP's refund id (re_...), once known. */
  readonly psp_refund_id?: string;
  /** The PSP's failure reason (e.g. expired_or_canceled_card) or its refusal code. */
  readonly failure_reason?: string;
  /** Set when the PSP's answer was ambiguous: the sweeper looks it up. */
  readonly needs_lookup?: boolean;
  /** Set when the seller had been paid out: the transfer reversal that claws the refund back (reversals.ts). */
  readonly reversal?: TransferReversalState;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}

/**
 * A refund whose seller had been paid out (their share became a receivable): the platform reverses the
 * payout's Connect transfer for it. pending: asked (or to be asked again with the same key); succeeded: the
 * seller's PSP balance paid the receivable back; refused: the PSP refused (e.g. balance_insufficient), the
 * receivable stays and the seller's next pay-ins net it.
 */
export interface TransferReversalState {
  readonly status: 'pending' | 'succeeded' | 'refused';
  readonly payout_id: string;
  readonly transfer_id: string;
  readonly amount_minor: number;
  readonly psp_reversal_id?: string;
  readonly failure_code?: string;
  readonly requested_at: string;
  readonly updated_at: string;
}

export interface DisputeRecord {
  readonly dispute_id: string;
  readonly payment_order_id: string;
  readonly seller_account: string;
  readonly currency: CurrencyCode;
  readonly amount_minor: number;
  readonly fee_minor: number;
  /** The PSP's status (warning_needs_response, needs_response, under_review, won, lost, warning_closed, ...). */
  readonly status: string;
  readonly reason?: string;
  readonly is_inquiry: boolean;
  /** Money steps posted: funds_withdrawn, funds_reinstated, lost. */
  readonly steps: readonly string[];
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}

export const FINAL_DISPUTE_STATUSES: ReadonlySet<string> = new Set([
  'won',
  'lost',
  'warning_closed',
  'prevented',
]);
