/**
 * Payment events (checkouts) and payment orders: the statuses an order moves through and the one rule that
 * governs them — forward only. SUCCESS and FAILED are terminal; nothing ever moves an order backwards, so
 * late, duplicate and out-of-order news about an order can only confirm what we know or move it on.
 */
import type { CurrencyCode } from '../money';

export const OrderStatus = {
  NotStarted: 'NOT_STARTED',
  Executing: 'EXECUTING',
  Pending: 'PENDING',
  Success: 'SUCCESS',
  Failed: 'FAILED',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

const RANK: Record<OrderStatus, number> = { NOT_STARTED: 0, EXECUTING: 1, PENDING: 2, SUCCESS: 3, FAILED: 3 };

export function isTerminal(status: OrderStatus): boolean {
  return status === 'SUCCESS' || status === 'FAILED';
}

/** Forward only: a terminal status never changes, and no status returns to an earlier one. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  if (isTerminal(from)) return false;
  return RANK[to] > RANK[from];
}

/** The statuses from which `to` may be reached. */
export function allowedFrom(to: OrderStatus): OrderStatus[] {
  return (Object.values(OrderStatus) as OrderStatus[]).filter((from) => canTransition(from, to));
}

export const PaymentMode = { Card: 'card', Hosted: 'hosted' } as const;
export type PaymentMode = (typeof PaymentMode)[keyof typeof PaymentMode];

/** Who or what moved an order: recorded in its history. */
export const Actor = {
  Api: 'api',
  Workflow: 'pay-in-workflow',
  Webhook: 'psp-webhook',
  Sweeper: 'sweeper',
  Reconciliation: 'reconciliation',
} as const;
export type Actor = (typeof Actor)[keyof typeof Actor];

/** The failure of an unpaid order whose checkout the storefront canceled (POST /v1/checkouts/{id}/cancel). */
export const CANCELED_FAILURE = { code: 'canceled', reason: 'the checkout was canceled' } as const;

export interface BuyerInfo {
  readonly buyer_id: string;
  readonly email?: string;
  readonly name?: string;
  readonly country?: string;
}

export interface PaymentOrder {
  readonly payment_order_id: string;
  readonly checkout_id: string;
  readonly seller_account: string;
  readonly amount_minor: number;
  readonly currency: CurrencyCode;
  readonly status: OrderStatus;
  readonly version: number;
  readonly mode: PaymentMode;
  /** The PSP's id for the payment (a PaymentIntent id). */
  readonly psp_reference?: string;
  readonly failure_code?: string;
  readonly failure_reason?: string;
  readonly pending_reason?: string;
  /**
   * The PSP's decline, noted before we cancel a declined intent: the cancel's own `payment_intent.canceled`
   * can be applied first (by the webhook consumer), and must not replace the real reason with "canceled".
   */
  readonly decline_code?: string;
  readonly decline_reason?: string;
  /** When the sweeper should look at this order if nothing else moved it. */
  readonly deadline?: string;
  /** Sweeps that could not move this order (errors, or still EXECUTING): a person is told after N. */
  readonly stuck_sweeps?: number;
  readonly wallet_updated: boolean;
  readonly ledger_updated: boolean;
  /** The platform's commission rate when the buyer checked out, in basis points. */
  readonly commission_bps?: number;
  /**
   * The move that made this version, written with it: the stream's consumer appends it to the history
   * (lambdas/payments/history-projection.ts). Absent on orders written before it existed.
   */
  readonly last_transition?: OrderHistoryEntry;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface Checkout {
  readonly checkout_id: string;
  readonly buyer: BuyerInfo;
  readonly mode: PaymentMode;
  readonly currency: CurrencyCode;
  readonly total_minor: number;
  readonly order_ids: readonly string[];
  readonly order_count: number;
  readonly is_payment_done: boolean;
  /** The PSP token for the payment method (card mode): an opaque id such as pm_..., never card data. */
  readonly payment_method?: string;
  /** Hosted-page mode: the PSP's registration (Checkout Session id, the nonce) and the page to send the buyer to. */
  readonly psp_session_id?: string;
  readonly payment_page_url?: string;
  readonly session_expires_at?: string;
  /** The risk check's decision, recorded once before any order is charged. */
  readonly risk_decision?: 'approve' | 'decline';
  readonly risk_reasons?: readonly string[];
  /**
   * When the storefront canceled the checkout (POST /v1/checkouts/{id}/cancel): from then on no page is
   * registered and no order starts; its unpaid orders are FAILED with failure_code `canceled`.
   */
  readonly canceled_at?: string;
  /**
   * Hosted-page mode: when the sweeper gave up on a page never registered (its first submission failed at
   * the PSP and no retry came in time) and FAILED the orders. Written only while no page is registered; from
   * then on none is (a late retry of the submission gets the FAILED orders, not a payable page).
   */
  readonly page_closed_at?: string;
  /** Hash of the canonical request: the same checkout_id with another body is a conflict. */
  readonly request_hash: string;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface OrderHistoryEntry {
  readonly version: number;
  readonly from: OrderStatus | null;
  readonly to: OrderStatus;
  readonly at: string;
  readonly actor: Actor;
  readonly reason: string;
}
