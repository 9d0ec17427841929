/**
 * Applying a verified PSP event to our orders. Idempotent and forward-only: it goes through the same
 * outcomes code as the executor and the sweeper, so a duplicate, late or out-of-order event leaves the state
 * a clean run would.
 */
import type Stripe from 'stripe';
import { applyPayment } from '../payments/apply-payment';
import { completeCheckoutIfDone, getCheckout } from '../payments/checkouts';
import type { PaymentsContext } from '../payments/context';
import { applyHostedCheckout, hostedResult } from '../payments/hosted-page';
import { isTerminal } from '../payments/model';
import { getOrder } from '../payments/order-transitions';
import type { Timing } from '../payments/timing';
import { applyPayoutEvent, isPayoutEvent, type PayoutEventOutcome } from '../payouts/events';
import { executorDependencies, payoutsContext } from '../payouts/wiring';
import type { PaymentProvider } from '../psp/port';
import { toHostedCheckout, toPspPayment } from '../psp/stripe-provider';
import { applyMoneyBackEvent, isMoneyBackEvent } from '../refunds/events';
import { moneyBackDependencies } from '../refunds/wiring';

/** What applying an event did, recorded in the inbox. */
export type ApplyOutcome =
  | 'applied'
  | 'ignored_type'
  | 'unknown_order'
  | 'no_change'
  | 'needs_attention'
  | PayoutEventOutcome;

const PAYMENT_INTENT_EVENTS = new Set([
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.canceled',
]);

const CHECKOUT_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
]);

export async function applyEvent(
  ctx: PaymentsContext,
  event: Stripe.Event,
  timing: Timing,
  /** Used to make a non-final failure final (cancel the PaymentIntent) before an order is FAILED. */
  psp?: PaymentProvider,
): Promise<ApplyOutcome> {
  // Pay-outs (Connect bank payouts, transfers): their own module.
  if (isPayoutEvent(event.type))
    return applyPayoutEvent(payoutsContext(), await executorDependencies(), event);
  if (PAYMENT_INTENT_EVENTS.has(event.type)) {
    const payment = toPspPayment(event.data.object as Stripe.PaymentIntent);
    // Hosted-page payments carry no order id, only the checkout's: the event is a hint to ask the PSP about the
    // checkout's page (its checkout.session events may be lost), and the page's state is applied.
    if (!payment.paymentOrderId) {
      if (!payment.checkoutId || !psp) return 'ignored_type';
      return applyHostedPaymentHint(ctx, psp, payment.checkoutId);
    }
    const order = await getOrder(ctx, payment.paymentOrderId);
    if (!order) return 'unknown_order';
    const result = await applyPayment(ctx, order, payment, 'psp-webhook', timing, psp);
    // Also when nothing changed now: a redelivery after a crash must still close the checkout.
    if (isTerminal(result.order.status)) await completeCheckoutIfDone(ctx, order.checkout_id);
    return result.changed ? 'applied' : 'no_change';
  }
  // Refunds and disputes (lambdas/refunds/): their own module retrieves the object and posts it.
  if (isMoneyBackEvent(event.type)) return applyMoneyBackEvent(moneyBackDependencies(), event);
  if (CHECKOUT_EVENTS.has(event.type)) {
    const session = toHostedCheckout(event.data.object as Stripe.Checkout.Session);
    if (!session.checkoutId) return 'unknown_order';
    const failed = event.type === 'checkout.session.async_payment_failed';
    try {
      await applyHostedCheckout(
        ctx,
        session.checkoutId,
        failed ? { ...session, paid: false, paymentFailed: true } : session,
        'psp-webhook',
      );
    } catch (error) {
      if ((error as { code?: string }).code === 'not_found') return 'unknown_order';
      // Recorded for a person (lambdas/attention): retrying the event would only say the same again.
      if ((error as { code?: string }).code === 'needs_attention') return 'needs_attention';
      throw error;
    }
    await completeCheckoutIfDone(ctx, session.checkoutId);
    return 'applied';
  }
  return 'ignored_type';
}

/** A hosted page's PaymentIntent moved: what the PSP says of the checkout's page now is applied to its orders. */
async function applyHostedPaymentHint(
  ctx: PaymentsContext,
  psp: PaymentProvider,
  checkoutId: string,
): Promise<ApplyOutcome> {
  const checkout = await getCheckout(ctx, checkoutId);
  if (!checkout) return 'unknown_order';
  if (checkout.mode !== 'hosted' || !checkout.psp_session_id || checkout.is_payment_done) return 'no_change';
  try {
    await applyHostedCheckout(
      ctx,
      checkoutId,
      await hostedResult(psp, checkout.psp_session_id),
      'psp-webhook',
    );
  } catch (error) {
    if ((error as { code?: string }).code === 'needs_attention') return 'needs_attention';
    throw error;
  }
  const done = await completeCheckoutIfDone(ctx, checkoutId);
  return done.orders.some((o) => isTerminal(o.status)) ? 'applied' : 'no_change';
}
