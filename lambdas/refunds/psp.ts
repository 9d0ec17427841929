/**
 * The PSP's side of refunds, disputes and transfer reversals (Stripe), behind a small port. Every create
 * carries our id as the idempotency key, so a retry (same key, within Stripe's 24 h) can only answer the
 * first result. Answers are classified by what they prove:
 *   - an object: it exists, with the status it has now;
 *   - a refusal (`invalid_request_error`, not an idempotency error, not 401/403/429/5xx): Stripe created
 *     nothing: evidence that no money moved;
 *   - anything else (timeout, connection, 5xx, 429, our 401/403, an idempotency error): NOT known; looked up.
 */
import Stripe from 'stripe';
import { type CurrencyCode, money } from '../money';
import { fromStripeAmount, toStripeAmount } from '../psp/currencies';
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

const REFUND_STATUS: Record<string, RefundStatus> = {
  pending: 'pending',
  requires_action: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
};

export function toPspRefund(refund: Stripe.Refund): PspRefund {
  const amount = fromStripeAmount(refund.amount, refund.currency);
  const pi = refund.payment_intent;
  const charge = refund.charge;
  return {
    id: refund.id,
    status: REFUND_STATUS[refund.status ?? 'pending'] ?? 'pending',
    amountMinor: Number(amount.minor),
    currency: amount.currency,
    ...(pi ? { paymentIntent: typeof pi === 'string' ? pi : pi.id } : {}),
    ...(charge ? { charge: typeof charge === 'string' ? charge : charge.id } : {}),
    ...(refund.failure_reason ? { failureReason: refund.failure_reason } : {}),
    ...(refund.reason ? { reason: refund.reason } : {}),
    ...(refund.metadata?.refund_id ? { refundId: refund.metadata.refund_id } : {}),
  };
}

export function toPspDispute(dispute: Stripe.Dispute): PspDispute {
  const amount = fromStripeAmount(dispute.amount, dispute.currency);
  const pi = dispute.payment_intent;
  return {
    id: dispute.id,
    status: dispute.status,
    amountMinor: Number(amount.minor),
    currency: amount.currency,
    ...(pi ? { paymentIntent: typeof pi === 'string' ? pi : pi.id } : {}),
    ...(dispute.reason ? { reason: dispute.reason } : {}),
    balanceTransactions: (dispute.balance_transactions ?? []).map((t) => ({ amount: t.amount, fee: t.fee })),
  };
}

function classify(error: unknown, what: string): Error {
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    !(error instanceof Stripe.errors.StripeIdempotencyError) &&
    (error.statusCode === 400 || error.statusCode === 404)
  ) {
    return new PspRefusedError(error.code ?? 'invalid_request', `${what}: ${error.message}`, {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new PspUnknownOutcomeError(`${what}: ${detail}`, { cause: error });
}

export class StripeMoneyBackProvider implements MoneyBackProvider {
  constructor(private readonly stripe: Stripe) {}

  async createRefund(request: Parameters<MoneyBackProvider['createRefund']>[0]): Promise<PspRefund> {
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: request.paymentIntent,
          amount: request.amountMinor,
          ...(request.reason ? { reason: request.reason as Stripe.RefundCreateParams.Reason } : {}),
          metadata: { refund_id: request.refundId, payment_order_id: request.paymentOrderId },
        },
        { idempotencyKey: request.refundId },
      );
      return toPspRefund(refund);
    } catch (error) {
      throw classify(error, `refund ${request.refundId}`);
    }
  }

  async retrieveRefund(pspRefundId: string): Promise<PspRefund> {
    try {
      return toPspRefund(await this.stripe.refunds.retrieve(pspRefundId));
    } catch (error) {
      throw classify(error, `refund ${pspRefundId}`);
    }
  }

  async findRefund(paymentIntent: string, refundId: string): Promise<PspRefund | undefined> {
    try {
      for await (const refund of this.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 })) {
        if (refund.metadata?.refund_id === refundId) return toPspRefund(refund);
      }
      return undefined;
    } catch (error) {
      throw classify(error, `refunds of ${paymentIntent}`);
    }
  }

  async refundsOfCharge(charge: string): Promise<PspRefund[]> {
    try {
      const out: PspRefund[] = [];
      for await (const refund of this.stripe.refunds.list({ charge, limit: 100 }))
        out.push(toPspRefund(refund));
      return out;
    } catch (error) {
      throw classify(error, `refunds of ${charge}`);
    }
  }

  async retrieveDispute(disputeId: string): Promise<PspDispute> {
    try {
      return toPspDispute(await this.stripe.disputes.retrieve(disputeId));
    } catch (error) {
      throw classify(error, `dispute ${disputeId}`);
    }
  }

  async ordersOfPayment(paymentIntent: string): Promise<PaymentOrders> {
    try {
      const pi = await this.stripe.paymentIntents.retrieve(paymentIntent);
      return paymentOrdersOf(pi.metadata);
    } catch (error) {
      throw classify(error, `payment ${paymentIntent}`);
    }
  }

  async reverseTransfer(request: Parameters<MoneyBackProvider['reverseTransfer']>[0]) {
    try {
      const reversal = await this.stripe.transfers.createReversal(
        request.transferId,
        {
          amount: toStripeAmount(money(request.currency, request.amountMinor)).amount,
          metadata: { ...request.metadata },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return {
        id: reversal.id,
        amountMinor: Number(fromStripeAmount(reversal.amount, reversal.currency).minor),
      };
    } catch (error) {
      throw classify(error, `reversal of ${request.transferId}`);
    }
  }
}
