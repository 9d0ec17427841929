/**
 * What the API answers about checkouts and orders: amounts as decimal strings in the currency's exponent, never
 * a payment-method token or anything card-like, never internal bookkeeping (request hashes, index keys).
 */
import { formatAmount, money } from '../money';
import type { Checkout, OrderHistoryEntry, PaymentOrder } from '../payments/model';

export interface PaymentOrderView {
  readonly payment_order_id: string;
  readonly checkout_id: string;
  readonly seller_account: string;
  readonly amount: string;
  readonly currency: string;
  readonly status: string;
  readonly mode: string;
  readonly psp_reference?: string;
  readonly failure_code?: string;
  readonly failure_reason?: string;
  readonly pending_reason?: string;
  readonly wallet_updated: boolean;
  readonly ledger_updated: boolean;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface CheckoutView {
  readonly checkout_id: string;
  readonly buyer_info: Checkout['buyer'];
  readonly mode: string;
  readonly currency: string;
  readonly total_amount: string;
  readonly is_payment_done: boolean;
  /** Hosted-page mode: the PSP's token of the registration and the page to send the buyer to. */
  readonly psp_token?: string;
  readonly payment_page_url?: string;
  readonly payment_page_expires_at?: string;
  readonly canceled_at?: string;
  readonly payment_orders: readonly PaymentOrderView[];
  readonly created_at: string;
  readonly updated_at: string;
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  value === undefined ? {} : ({ [key]: value } as Record<K, string>);

export function paymentOrderView(order: PaymentOrder): PaymentOrderView {
  return {
    payment_order_id: order.payment_order_id,
    checkout_id: order.checkout_id,
    seller_account: order.seller_account,
    amount: formatAmount(money(order.currency, order.amount_minor)),
    currency: order.currency,
    status: order.status,
    mode: order.mode,
    ...optional('psp_reference', order.psp_reference),
    ...optional('failure_code', order.failure_code),
    ...optional('failure_reason', order.failure_reason),
    ...optional('pending_reason', order.pending_reason),
    wallet_updated: order.wallet_updated,
    ledger_updated: order.ledger_updated,
    created_at: order.created_at,
    updated_at: order.updated_at,
  };
}

export function checkoutView(checkout: Checkout, orders: readonly PaymentOrder[]): CheckoutView {
  const byId = new Map(orders.map((o) => [o.payment_order_id, o]));
  // In the order the storefront sent them.
  const ordered = checkout.order_ids
    .map((id) => byId.get(id))
    .filter((o): o is PaymentOrder => o !== undefined);
  return {
    checkout_id: checkout.checkout_id,
    buyer_info: checkout.buyer,
    mode: checkout.mode,
    currency: checkout.currency,
    total_amount: formatAmount(money(checkout.currency, checkout.total_minor)),
    is_payment_done: checkout.is_payment_done,
    ...optional('psp_token', checkout.psp_session_id),
    ...optional('payment_page_url', checkout.payment_page_url),
    ...optional('payment_page_expires_at', checkout.session_expires_at),
    ...optional('canceled_at', checkout.canceled_at),
    payment_orders: ordered.map(paymentOrderView),
    created_at: checkout.created_at,
    updated_at: checkout.updated_at,
  };
}

export function historyView(history: readonly OrderHistoryEntry[]) {
  return history.map((entry) => ({
    version: entry.version,
    from: entry.from,
    to: entry.to,
    at: entry.at,
    actor: entry.actor,
    reason: entry.reason,
  }));
}
