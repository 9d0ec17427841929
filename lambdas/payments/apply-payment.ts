/**
 * Applying a PSP fact: the executor (right after the charge), the webhook consumer and the sweeper all come
 * through here, so an order moves the same way whichever news arrives first, and news that arrives again or
 * late changes nothing.
 */
import { equals, money } from '../money';
import type { PaymentProvider, PspPayment } from '../psp/port';
import { logger } from '../shared/logger';
import { later, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import { type Actor, isTerminal, type PaymentOrder } from './model';
import { noteDecline, type TransitionResult, transitionOrder } from './order-transitions';
import { recordSuccess } from './record-success';
import { DEFAULT_TIMING, type Timing } from './timing';

/**
 * Applies the PSP's view of one order's payment. A failure that the PSP does not consider final (the buyer
 * could still confirm the same PaymentIntent) is made final first by canceling it, when a PSP client is
 * given: otherwise money could be captured later for an order we recorded as FAILED.
 */
export async function applyPayment(
  ctx: PaymentsContext,
  order: PaymentOrder,
  payment: PspPayment,
  actor: Actor,
  timing: Timing = DEFAULT_TIMING,
  psp?: PaymentProvider,
): Promise<TransitionResult> {
  if (isTerminal(order.status)) {
    if (order.status === 'FAILED' && payment.status === 'succeeded') {
      // A break for a person (refund it, or re-open the order): never a silent flip of a terminal status.
      logger.error('money captured for a FAILED order', {
        payment_order_id: order.payment_order_id,
        psp_reference: payment.pspPaymentId,
      });
      await ctx.attention?.record({
        kind: 'captured_for_failed_order',
        subjectType: 'payment_order',
        subjectId: order.payment_order_id,
        summary: `the PSP captured ${payment.amount.minor} ${payment.amount.currency} (minor units) for FAILED order ${order.payment_order_id}`,
        details: {
          payment_order_id: order.payment_order_id,
          checkout_id: order.checkout_id,
          psp_reference: payment.pspPaymentId,
          captured_minor: payment.amount.minor.toString(),
          captured_currency: payment.amount.currency,
          failure_code: order.failure_code ?? '',
        },
      });
    }
    return { order, changed: false };
  }
  switch (payment.status) {
    case 'succeeded': {
      const expected = money(order.currency, order.amount_minor);
      if (!equals(payment.amount, expected)) {
        // Never post an amount we did not ask for: leave the order for a person (reconciliation flags it).
        await ctx.attention?.record({
          kind: 'amount_mismatch',
          subjectType: 'payment_order',
          subjectId: order.payment_order_id,
          summary: `the PSP captured another amount than order ${order.payment_order_id}'s`,
          details: {
            payment_order_id: order.payment_order_id,
            checkout_id: order.checkout_id,
            psp_reference: payment.pspPaymentId,
            expected_minor: String(order.amount_minor),
            expected_currency: order.currency,
            psp_amount_minor: payment.amount.minor.toString(),
            psp_currency: payment.amount.currency,
          },
        });
        throw new PaymentError('needs_attention', `PSP amount differs for order ${order.payment_order_id}`, {
          payment_order_id: order.payment_order_id,
          psp_amount_minor: payment.amount.minor.toString(),
          psp_currency: payment.amount.currency,
        });
      }
      return recordSuccess(ctx, order.payment_order_id, {
        pspReference: payment.pspPaymentId,
        actor,
        reason: 'PSP reports the payment succeeded',
      });
    }
    case 'failed':
    case 'canceled': {
      if (payment.status === 'failed' && psp) {
        if (order.psp_reference === payment.pspPaymentId) {
          await noteDecline(ctx, order.payment_order_id, payment.pspPaymentId, {
            code: payment.failureCode ?? payment.status,
            reason: payment.failureMessage ?? `the payment was ${payment.status}`,
          });
        }
        const settled = await psp.cancelPayment(payment.pspPaymentId, `cancel-${order.payment_order_id}`);
        // Canceling a payment that meanwhile succeeded answers its success: apply that instead.
        if (settled.status !== 'canceled') return applyPayment(ctx, order, settled, actor, timing);
      }
      // The intent was canceled after a decline we noted (our own cancel): the decline is the reason.
      const declined =
        payment.status === 'canceled' && order.decline_code && order.psp_reference === payment.pspPaymentId
          ? { code: order.decline_code, reason: order.decline_reason ?? `the payment was declined` }
          : undefined;
      return transitionOrder(ctx, order.payment_order_id, {
        to: 'FAILED',
        actor,
        reason: `PSP reports the payment ${payment.status}`,
        set: {
          psp_reference: payment.pspPaymentId,
          failure_code: declined?.code ?? payment.failureCode ?? payment.status,
          failure_reason: declined?.reason ?? payment.failureMessage ?? `the payment was ${payment.status}`,
        },
      });
    }
    case 'pending': {
      if (order.status === 'PENDING') return { order, changed: false };
      return transitionOrder(ctx, order.payment_order_id, {
        to: 'PENDING',
        actor,
        reason: `PSP reports the payment is waiting (${payment.pendingReason ?? 'pending'})`,
        set: { psp_reference: payment.pspPaymentId, pending_reason: payment.pendingReason ?? 'pending' },
        deadline: later(ctx, timing.pendingRecheckMs),
      });
    }
    default:
      throw new Error(`unknown PSP payment status ${String((payment as PspPayment).status)}`);
  }
}
