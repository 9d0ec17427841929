/**
 * Applying a verified PSP event to our orders. Idempotent and forward-only: the object the event points at is
 * retrieved from the PSP and goes through the same code as the executor and the sweeper, so a duplicate,
 * late, out-of-order or forged event leaves the state a clean run would.
 */
import type Stripe from 'stripe';
import { applyPayment } from '../payments/apply-payment';
import { completeCheckoutIfDone, getCheckout } from '../payments/checkouts';
import type { PaymentsContext } from '../payments/context';
import { applyHostedCheckout, hostedResult } from '../payments/hosted-page';
import { isTerminal, type PaymentOrder } from '../payments/model';
import { getOrder } from '../payments/order-transitions';
import type { Timing } from '../payments/timing';
import { applyPayoutEvent, isPayoutEvent, type PayoutEventOutcome } from '../payouts/events';
import { executorDependencies, payoutsContext } from '../payouts/wiring';
import { isRejection } from '../psp/errors';
import type { PaymentProvider } from '../psp/port';
import { applyMoneyBackEvent, isMoneyBackEvent } from '../refunds/events';
import { moneyBackDependencies } from '../refunds/wiring';
import { CHECKOUT_SESSION_EVENT_TYPES, PAYMENT_INTENT_EVENT_TYPES } from './subscribed-events';

/** What applying an event did, recorded in the inbox. */
export type ApplyOutcome =
  | 'applied'
  | 'ignored_type'
  | 'unknown_order'
  | 'no_change'
  | 'needs_attention'
  /** The PSP does not know the object the event points at (a forged or foreign event): nothing to act on. */
  | 'unknown_at_psp'
  | PayoutEventOutcome;

const PAYMENT_INTENT_EVENTS: ReadonlySet<string> = new Set(PAYMENT_INTENT_EVENT_TYPES);
const CHECKOUT_EVENTS: ReadonlySet<string> = new Set(CHECKOUT_SESSION_EVENT_TYPES);

/** The id of the object an event points at: the only part of the body we act on after asking the PSP. */
function objectIdOf(event: Stripe.Event): string | undefined {
  const id = (event.data?.object as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Applies one verified event. The event is only a hint: before anything moves, the object it points at is
 * retrieved from the PSP and what the PSP says now is applied (Stripe's advice; a validly signed body can
 * still be forged by whoever holds the secret, replayed from another account, or simply stale). A retrieval
 * that fails says nothing and is thrown, so the queue retries it; a PSP that does not know the object
 * answers `unknown_at_psp` and nothing moves. One exception, where nothing could move: a PaymentIntent event
 * whose order already holds the final state it reports (`alreadyFinal`) is not retrieved.
 */
export async function applyEvent(
  ctx: PaymentsContext,
  event: Stripe.Event,
  timing: Timing,
  psp: PaymentProvider,
): Promise<ApplyOutcome> {
  // Pay-outs (Connect bank payouts, transfers): their own module, which looks the payout up at the PSP.
  if (isPayoutEvent(event.type))
    return applyPayoutEvent(payoutsContext(), await executorDependencies(), event);
  // Refunds and disputes (lambdas/refunds/): their own module retrieves the object and posts it.
  if (isMoneyBackEvent(event.type)) return applyMoneyBackEvent(moneyBackDependencies(), event);
  const isPayment = PAYMENT_INTENT_EVENTS.has(event.type);
  if (!isPayment && !CHECKOUT_EVENTS.has(event.type)) return 'ignored_type';
  const objectId = objectIdOf(event);
  if (!objectId) return 'ignored_type';
  try {
    return isPayment
      ? await applyPaymentIntent(ctx, objectId, hintOf(event), timing, psp)
      : await applyCheckoutSession(ctx, objectId, psp);
  } catch (error) {
    // 400/404 from the PSP on a retrieval: no such object there. Every other error is indeterminate.
    if (isRejection(error)) return 'unknown_at_psp';
    throw error;
  }
}

/** What a PaymentIntent event says of itself (unverified: only ever used to skip work, never to move money). */
interface IntentHint {
  readonly paymentOrderId?: string;
  readonly status?: string;
}

function hintOf(event: Stripe.Event): IntentHint {
  const object = event.data?.object as { status?: unknown; metadata?: Record<string, unknown> } | undefined;
  const order = object?.metadata?.payment_order_id;
  return {
    ...(typeof order === 'string' && order ? { paymentOrderId: order } : {}),
    ...(typeof object?.status === 'string' ? { status: object.status } : {}),
  };
}

/**
 * The order already holds the final state the event reports, for this very PaymentIntent: the charge step
 * recorded the PSP's answer before its event arrived, as it usually does. Retrieving the intent could change
 * nothing (an order's status only moves forward, and a final one not at all), so the PSP is not asked. Any
 * other case (another intent for the order, a state that disagrees, an order not final) is retrieved.
 */
function alreadyFinal(order: PaymentOrder | undefined, pspPaymentId: string, hint: IntentHint): boolean {
  if (!order || order.psp_reference !== pspPaymentId) return false;
  return (
    (order.status === 'SUCCESS' && hint.status === 'succeeded') ||
    (order.status === 'FAILED' && hint.status === 'canceled')
  );
}

async function applyPaymentIntent(
  ctx: PaymentsContext,
  pspPaymentId: string,
  hint: IntentHint,
  timing: Timing,
  psp: PaymentProvider,
): Promise<ApplyOutcome> {
  const hinted = hint.paymentOrderId ? await getOrder(ctx, hint.paymentOrderId) : undefined;
  if (hinted && alreadyFinal(hinted, pspPaymentId, hint)) {
    // A redelivery after a crash must still close the checkout.
    await completeCheckoutIfDone(ctx, hinted.checkout_id);
    return 'no_change';
  }
  const payment = await psp.retrievePayment(pspPaymentId);
  // A hosted page's PaymentIntent without an order id (a page paying several orders): the event is a hint to
  // ask the PSP about the checkout's page (its checkout.session events may be lost), whose state is applied.
  if (!payment.paymentOrderId) {
    if (!payment.checkoutId) return 'ignored_type';
    return applyHostedPaymentHint(ctx, psp, payment.checkoutId);
  }
  // Read again after the PSP answered (as if the hint had not been read): what is applied is never older than it.
  const order = await getOrder(ctx, payment.paymentOrderId);
  if (!order) return 'unknown_order';
  const result = await applyPayment(ctx, order, payment, 'psp-webhook', timing, psp);
  // Also when nothing changed now: a redelivery after a crash must still close the checkout.
  if (isTerminal(result.order.status)) await completeCheckoutIfDone(ctx, order.checkout_id);
  return result.changed ? 'applied' : 'no_change';
}

async function applyCheckoutSession(
  ctx: PaymentsContext,
  sessionId: string,
  psp: PaymentProvider,
): Promise<ApplyOutcome> {
  // The session as the PSP has it now, and, once completed, its payment's own status (a delayed method).
  const session = await hostedResult(psp, sessionId);
  if (!session.checkoutId) return 'unknown_order';
  try {
    await applyHostedCheckout(ctx, session.checkoutId, session, 'psp-webhook');
  } catch (error) {
    if ((error as { code?: string }).code === 'not_found') return 'unknown_order';
    // Recorded for a person (lambdas/attention): retrying the event would only say the same again.
    if ((error as { code?: string }).code === 'needs_attention') return 'needs_attention';
    throw error;
  }
  await completeCheckoutIfDone(ctx, session.checkoutId);
  return 'applied';
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
