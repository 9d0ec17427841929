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
import { money } from '../money';
import { fromStripeAmount, toStripeAmount } from '../psp/currencies';
import type { RefundStatus } from './model';
import {
  type MoneyBackProvider,
  type PaymentOrders,
  type PspDispute,
  type PspRefund,
  PspRefusedError,
  PspUnknownOutcomeError,
  paymentOrdersOf,
} from './psp-port';

export * from './psp-port';

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
