/**
 * The port of the PSP's side of refunds, disputes and transfer reversals: what the refund code needs to know,
 * with no PSP SDK behind it (the Stripe adapter is ./psp.ts), so that the functions that only read refunds
 * and disputes do not load the SDK. How each answer is classified is in ./psp.ts.
 */
import type { CurrencyCode } from '../money';
import type { RefundStatus } from './model';

export interface PspRefund {
  readonly id: string;
  readonly status: RefundStatus;
  readonly amountMinor: number;
  readonly currency: CurrencyCode;
  readonly paymentIntent?: string;
  readonly charge?: string;
  readonly failureReason?: string;
  readonly reason?: string;
  /** Ours when we made it (metadata.refund_id); absent for refunds made in the dashboard. */
  readonly refundId?: string;
}

export interface PspDispute {
  readonly id: string;
  readonly status: string;
  readonly amountMinor: number;
  readonly currency: CurrencyCode;
  readonly paymentIntent?: string;
  readonly reason?: string;
  /** Withdrawal and reinstatement as the PSP booked them: amount (signed) and fee, minor units. */
  readonly balanceTransactions: readonly { readonly amount: number; readonly fee: number }[];
}

/** What a PaymentIntent's metadata says it paid: its checkout, and its order ids (none when it names none). */
export interface PaymentOrders {
  readonly orderIds: readonly string[];
  readonly checkoutId?: string;
}

/** Reads a PaymentIntent's metadata: `payment_order_id` (one order), else `payment_order_ids` (a hosted page's). */
export function paymentOrdersOf(
  metadata: Readonly<Record<string, string>> | null | undefined,
): PaymentOrders {
  const one = metadata?.payment_order_id;
  const several = (metadata?.payment_order_ids ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  const orderIds = one ? [one] : [...new Set(several)];
  return { orderIds, ...(metadata?.checkout_id ? { checkoutId: metadata.checkout_id } : {}) };
}

export class PspRefusedError extends Error {
  constructor(
    readonly pspCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PspRefusedError';
  }
}

export class PspUnknownOutcomeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PspUnknownOutcomeError';
  }
}

export interface MoneyBackProvider {
  createRefund(request: {
    readonly refundId: string;
    readonly paymentOrderId: string;
    readonly paymentIntent: string;
    readonly amountMinor: number;
    readonly reason?: string;
  }): Promise<PspRefund>;
  retrieveRefund(pspRefundId: string): Promise<PspRefund>;
  /** Our refund at the PSP, found by its metadata (when its create answer was lost). */
  findRefund(paymentIntent: string, refundId: string): Promise<PspRefund | undefined>;
  /** Every refund of a charge (charge.refunded does not say which one happened). */
  refundsOfCharge(charge: string): Promise<PspRefund[]>;
  retrieveDispute(disputeId: string): Promise<PspDispute>;
  /**
   * The order(s) a PaymentIntent paid (its metadata), for refunds and disputes made outside our API: one for a
   * card checkout or a single-order hosted page, several for a hosted page that paid a multi-seller checkout.
   */
  ordersOfPayment(paymentIntent: string): Promise<PaymentOrders>;
  reverseTransfer(request: {
    readonly transferId: string;
    readonly amountMinor: number;
    readonly currency: CurrencyCode;
    readonly idempotencyKey: string;
    readonly metadata: Readonly<Record<string, string>>;
  }): Promise<{ readonly id: string; readonly amountMinor: number }>;
}
