/**
 * Applying a verified PSP event to our orders. Idempotent and forward-only: it goes through the same
 * outcomes code as the executor and the sweeper, so a duplicate, late or out-of-order event leaves the state
 * a clean run would.
 */
import type Stripe from 'stripe';
import { applyPayment } from '../payments/apply-payment';
import { completeCheckoutIfDone } from '../payments/checkouts';
import type { PaymentsContext } from '../payments/context';
import { applyHostedCheckout } from '../payments/hosted-page';
import { isTerminal } from '../payments/model';
import { getOrder } from '../payments/order-transitions';
import type { Timing } from '../payments/timing';
import type { PaymentProvider } from '../psp/port';
import { toHostedCheckout, toPspPayment } from '../psp/stripe-provider';

/** What applying an event did, recorded in the inbox. */
export type ApplyOutcome = 'applied' | 'ignored_type' | 'unknown_order' | 'no_change';

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
  if (PAYMENT_INTENT_EVENTS.has(event.type)) {
    const payment = toPspPayment(event.data.object as Stripe.PaymentIntent);
    // Hosted-page payments carry no order id: their checkout.session events complete the orders.
    if (!payment.paymentOrderId) return 'ignored_type';
    const order = await getOrder(ctx, payment.paymentOrderId);
    if (!order) return 'unknown_order';
    const result = await applyPayment(ctx, order, payment, 'psp-webhook', timing, psp);
    // Also when nothing changed now: a redelivery after a crash must still close the checkout.
    if (isTerminal(result.order.status)) await completeCheckoutIfDone(ctx, order.checkout_id);
    return result.changed ? 'applied' : 'no_change';
  }
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
      throw error;
    }
    await completeCheckoutIfDone(ctx, session.checkoutId);
    return 'applied';
  }
  return 'ignored_type';
}
