/**
 * What the payments code needs from a payment service provider, in our own terms. The Stripe adapter maps
 * Stripe's objects onto these closed types; another PSP would be another adapter behind the same port.
 */
import type { Money } from '../money';

export const PspPaymentStatus = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  /** Waiting for the buyer (3-D Secure) or for the payment method to settle (processing). */
  Pending: 'pending',
  Canceled: 'canceled',
} as const;
export type PspPaymentStatus = (typeof PspPaymentStatus)[keyof typeof PspPaymentStatus];

export interface PspPayment {
  readonly pspPaymentId: string;
  readonly status: PspPaymentStatus;
  readonly amount: Money;
  /** For failed payments: the PSP's code (e.g. card_declined / insufficient_funds) and its message. */
  readonly failureCode?: string;
  readonly failureMessage?: string;
  /** For pending payments: why (requires_action, processing). */
  readonly pendingReason?: string;
  /** Our ids, echoed back from the PSP's metadata. */
  readonly paymentOrderId?: string;
  readonly checkoutId?: string;
}

export interface ChargeRequest {
  /** Our id, and the base of the idempotency keys toward the PSP: one charge per payment order, whatever the retries. */
  readonly paymentOrderId: string;
  readonly checkoutId: string;
  readonly sellerAccount: string;
  readonly amount: Money;
  /** The PSP's token for the buyer's payment method (pm_...). */
  readonly paymentMethod: string;
  readonly buyerId: string;
}

export interface HostedCheckoutRequest {
  /** Our id, and the idempotency key of the registration. */
  readonly checkoutId: string;
  readonly currency: Money['currency'];
  readonly lines: readonly { paymentOrderId: string; sellerAccount: string; amount: Money }[];
  readonly buyerEmail?: string;
  readonly successUrl: string;
  readonly cancelUrl: string;
  readonly expiresAt: Date;
}

export interface HostedCheckout {
  /** The PSP's id of the registration: the nonce the buyer's payment is tied to. */
  readonly sessionId: string;
  readonly url: string;
  readonly status: 'open' | 'complete' | 'expired';
  readonly paid: boolean;
  readonly pspPaymentId?: string;
  readonly expiresAt: string;
  readonly checkoutId?: string;
  /** What the page charges (its total), when the PSP says. */
  readonly amount?: Money;
}

/**
 * What the buyer must do for a payment waiting on them (3-D Secure): handed to the storefront live, never
 * stored (the client secret must not be kept or logged).
 */
export interface BuyerAction {
  /** For the PSP's client library (Stripe.js `handleNextAction`). */
  readonly clientSecret: string;
  /** Where to send the buyer instead, when the PSP gives a page. */
  readonly redirectUrl?: string;
}

export interface PaymentProvider {
  /** The buyer's pending action for a payment, or undefined when none is waiting. */
  buyerAction(pspPaymentId: string): Promise<BuyerAction | undefined>;
  /** Creates the payment unconfirmed (no money moves); idempotent per order. */
  createPayment(request: ChargeRequest): Promise<PspPayment>;
  /** Confirms a created payment: the irreversible step; idempotent per order. */
  confirmPayment(pspPaymentId: string, paymentOrderId: string): Promise<PspPayment>;
  retrievePayment(pspPaymentId: string): Promise<PspPayment>;
  cancelPayment(pspPaymentId: string, idempotencyKey: string): Promise<PspPayment>;
  createHostedCheckout(request: HostedCheckoutRequest): Promise<HostedCheckout>;
  retrieveHostedCheckout(sessionId: string): Promise<HostedCheckout>;
  /**
   * Makes the hosted page unpayable (Stripe: expire the Checkout Session; its open PaymentIntent is canceled).
   * A page that already completed or expired is answered as it is: the PSP's state is the answer.
   */
  expireHostedCheckout(sessionId: string, idempotencyKey: string): Promise<HostedCheckout>;
}
