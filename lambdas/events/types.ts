/**
 * Domain events: what other receivers (analytics, notifications, finance tools) learn about money movements.
 * Each event is a versioned envelope around a closed set of types. `id` is derived from the change that caused
 * the event (the item's key and its version), so a redelivered event carries the same id and receivers
 * deduplicate on it: delivery is at-least-once, never exactly-once.
 */

export const DomainEventType = {
  PaymentOrderSucceeded: 'payment_order.succeeded',
  PaymentOrderFailed: 'payment_order.failed',
  CheckoutCompleted: 'checkout.completed',
  RefundSucceeded: 'refund.succeeded',
  RefundFailed: 'refund.failed',
  DisputeOpened: 'dispute.opened',
  DisputeClosed: 'dispute.closed',
  PayoutPaid: 'payout.paid',
  PayoutFailed: 'payout.failed',
  PayoutReturned: 'payout.returned',
} as const;
export type DomainEventType = (typeof DomainEventType)[keyof typeof DomainEventType];

/** Version of the envelope and data schema; a breaking change gets a new version, never a silent edit. */
export const DOMAIN_EVENT_SCHEMA_VERSION = 1;

export interface DomainEventEnvelope<T extends DomainEventType, D> {
  /** Stable across redeliveries: `{pk}#v{version}` of the item whose change caused the event. */
  readonly id: string;
  readonly type: T;
  /** When the change was made (the item's `updated_at`), not when the event was published. */
  readonly occurred_at: string;
  readonly version: typeof DOMAIN_EVENT_SCHEMA_VERSION;
  readonly data: D;
}

/** An amount three ways: the decimal string of the API, integer minor units, and the ISO 4217 currency. */
export interface EventAmount {
  /** e.g. "12.34" (USD), "1000" (JPY), "1.234" (BHD). */
  readonly amount: string;
  readonly amount_minor: number;
  readonly currency: string;
}

export interface PaymentOrderSucceededData extends EventAmount {
  readonly payment_order_id: string;
  readonly checkout_id: string;
  readonly seller_account: string;
  /** The PSP's id of the payment (e.g. a PaymentIntent id), when known. */
  readonly psp_reference?: string;
  /** The order's version after the change: orders events of one order. */
  readonly order_version: number;
}

export interface PaymentOrderFailedData extends PaymentOrderSucceededData {
  /** The PSP's decline or error code, when known (e.g. `card_declined`). */
  readonly failure_code?: string;
  readonly failure_reason?: string;
}

export interface CheckoutCompletedData {
  readonly checkout_id: string;
  readonly buyer_id: string;
  readonly order_count: number;
  readonly checkout_version: number;
}

export type PaymentOrderSucceeded = DomainEventEnvelope<'payment_order.succeeded', PaymentOrderSucceededData>;
export type PaymentOrderFailed = DomainEventEnvelope<'payment_order.failed', PaymentOrderFailedData>;
export type CheckoutCompleted = DomainEventEnvelope<'checkout.completed', CheckoutCompletedData>;

export interface RefundEventData extends EventAmount {
  readonly refund_id: string;
  readonly payment_order_id: string;
  readonly seller_account: string;
  /** `api` (ours) or `psp` (made elsewhere, e.g. the PSP's dashboard). */
  readonly origin: string;
  readonly psp_refund_id?: string;
  readonly failure_reason?: string;
  readonly refund_version: number;
}

export interface DisputeEventData extends EventAmount {
  readonly dispute_id: string;
  readonly payment_order_id: string;
  readonly seller_account: string;
  /** The PSP's status (needs_response, warning_needs_response, won, lost, warning_closed, ...). */
  readonly status: string;
  readonly is_inquiry: boolean;
  readonly dispute_version: number;
}

export type RefundSucceeded = DomainEventEnvelope<'refund.succeeded', RefundEventData>;
export type RefundFailed = DomainEventEnvelope<'refund.failed', RefundEventData>;
export type DisputeOpened = DomainEventEnvelope<'dispute.opened', DisputeEventData>;
export type DisputeClosed = DomainEventEnvelope<'dispute.closed', DisputeEventData>;

export interface PayoutEventData extends EventAmount {
  readonly payout_id: string;
  readonly seller_account: string;
  /** `stripe_connect` or `payee_network`. */
  readonly provider: string;
  /** The connected account or payee paid. */
  readonly destination: string;
  /** The provider's reference (Stripe: the transfer; the payee network: the payment). */
  readonly provider_reference?: string;
  /** Stripe: the connected account's bank payout. */
  readonly bank_payout_id?: string;
  /** Failed or returned: the provider's code and what the seller is told. */
  readonly failure_code?: string;
  readonly failure_message?: string;
  /** The payout's version after the change: orders events of one payout. */
  readonly payout_version: number;
}

export type PayoutPaid = DomainEventEnvelope<'payout.paid', PayoutEventData>;
export type PayoutFailed = DomainEventEnvelope<'payout.failed', PayoutEventData>;
export type PayoutReturned = DomainEventEnvelope<'payout.returned', PayoutEventData>;

export type DomainEvent =
  | PaymentOrderSucceeded
  | PaymentOrderFailed
  | CheckoutCompleted
  | RefundSucceeded
  | RefundFailed
  | DisputeOpened
  | DisputeClosed
  | PayoutPaid
  | PayoutFailed
  | PayoutReturned;
