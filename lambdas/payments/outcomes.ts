/**
 * Driving orders with what the PSP says. The executor (right after the charge), the webhook consumer and the
 * sweeper all come through here, so an order moves the same way whichever news arrives first, and news that
 * arrives again or late changes nothing.
 */
import { equals, money } from '../money';
import { PspTransientError } from '../psp/errors';
import type { PaymentProvider, PspPayment } from '../psp/port';
import { PaymentError } from './errors';
import type { Actor, PaymentOrder } from './model';
import { isTerminal } from './model';
import {
  completeCheckoutIfDone,
  getCheckout,
  getOrder,
  getOrders,
  type PaymentsContext,
  postponeDeadline,
  recordSuccess,
  type TransitionResult,
  transitionOrder,
} from './store';

export interface Timing {
  /** How long an order may stay EXECUTING before the sweeper asks the PSP (a lost response, a crash). */
  readonly executingTimeoutMs: number;
  /** How often the sweeper re-checks a PENDING order. */
  readonly pendingRecheckMs: number;
  /** How long an order may stay PENDING (3-D Secure never answered) before it is canceled and FAILED. */
  readonly pendingExpiryMs: number;
}

export const DEFAULT_TIMING: Timing = {
  executingTimeoutMs: 2 * 60_000,
  pendingRecheckMs: 10 * 60_000,
  pendingExpiryMs: 24 * 60 * 60_000,
};

const now = (ctx: PaymentsContext) => (ctx.clock ? ctx.clock() : new Date());
const later = (ctx: PaymentsContext, ms: number) => new Date(now(ctx).getTime() + ms).toISOString();

/** Applies the PSP's view of one order's payment. */
export async function applyPayment(
  ctx: PaymentsContext,
  order: PaymentOrder,
  payment: PspPayment,
  actor: Actor,
  timing: Timing = DEFAULT_TIMING,
): Promise<TransitionResult> {
  switch (payment.status) {
    case 'succeeded': {
      const expected = money(order.currency, order.amount_minor);
      if (!equals(payment.amount, expected)) {
        // Never post an amount we did not ask for: leave the order for a person (reconciliation flags it).
        throw new PaymentError(
          'payment_order_conflict',
          `PSP amount differs for order ${order.payment_order_id}`,
          {
            payment_order_id: order.payment_order_id,
            psp_amount_minor: payment.amount.minor.toString(),
            psp_currency: payment.amount.currency,
          },
        );
      }
      return recordSuccess(ctx, order.payment_order_id, {
        pspReference: payment.pspPaymentId,
        actor,
        reason: 'PSP reports the payment succeeded',
      });
    }
    case 'failed':
    case 'canceled':
      return transitionOrder(ctx, order.payment_order_id, {
        to: 'FAILED',
        actor,
        reason: `PSP reports the payment ${payment.status}`,
        set: {
          psp_reference: payment.pspPaymentId,
          failure_code: payment.failureCode ?? payment.status,
          failure_reason: payment.failureMessage ?? `the payment was ${payment.status}`,
        },
      });
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

/**
 * Executes one card-mode order: EXECUTING, then one charge at the PSP keyed by the order id, then the outcome.
 * Safe to run any number of times, concurrently too: the PSP's idempotency makes every run see the same
 * charge, and the conditional writes make every run after the first a no-op.
 */
export async function executeOrder(
  ctx: PaymentsContext,
  psp: PaymentProvider,
  orderId: string,
  actor: Actor,
  timing: Timing = DEFAULT_TIMING,
): Promise<PaymentOrder> {
  const order = await getOrder(ctx, orderId);
  if (!order)
    throw new PaymentError('not_found', `payment order ${orderId} not found`, { payment_order_id: orderId });
  if (isTerminal(order.status)) return order;
  const checkout = await getCheckout(ctx, order.checkout_id);
  if (!checkout?.payment_method) {
    throw new PaymentError('not_found', `checkout ${order.checkout_id} has no payment method`, {
      checkout_id: order.checkout_id,
    });
  }
  if (order.status === 'NOT_STARTED') {
    await transitionOrder(ctx, orderId, {
      to: 'EXECUTING',
      actor,
      reason: 'charging the buyer at the PSP',
      deadline: later(ctx, timing.executingTimeoutMs),
    });
  }
  const payment =
    order.status === 'PENDING' && order.psp_reference
      ? await psp.retrievePayment(order.psp_reference)
      : await psp.charge({
          paymentOrderId: orderId,
          checkoutId: order.checkout_id,
          sellerAccount: order.seller_account,
          amount: money(order.currency, order.amount_minor),
          paymentMethod: checkout.payment_method,
          buyerId: checkout.buyer.buyer_id,
        });
  const current = (await getOrder(ctx, orderId)) ?? order;
  return (await applyPayment(ctx, current, payment, actor, timing)).order;
}

/** Applies a hosted-page (Checkout Session) result to every order of its checkout. */
export async function applyHostedCheckout(
  ctx: PaymentsContext,
  checkoutId: string,
  result: {
    status: 'open' | 'complete' | 'expired';
    paid: boolean;
    pspPaymentId?: string;
    /** A delayed payment method failed after the page completed. */
    paymentFailed?: boolean;
  },
  actor: Actor,
  timing: Timing = DEFAULT_TIMING,
): Promise<PaymentOrder[]> {
  const checkout = await getCheckout(ctx, checkoutId);
  if (!checkout)
    throw new PaymentError('not_found', `checkout ${checkoutId} not found`, { checkout_id: checkoutId });
  const orders = await getOrders(ctx, checkout.order_ids);
  for (const order of orders) {
    if (isTerminal(order.status)) continue;
    if (result.status === 'complete' && result.paid && result.pspPaymentId) {
      await recordSuccess(ctx, order.payment_order_id, {
        pspReference: result.pspPaymentId,
        actor,
        reason: 'the buyer paid on the hosted page',
      });
    } else if (result.paymentFailed) {
      await transitionOrder(ctx, order.payment_order_id, {
        to: 'FAILED',
        actor,
        reason: 'the payment made on the hosted page failed',
        set: {
          failure_code: 'payment_failed',
          failure_reason: 'the payment method failed after checkout',
          ...(result.pspPaymentId ? { psp_reference: result.pspPaymentId } : {}),
        },
      });
    } else if (result.status === 'expired') {
      await transitionOrder(ctx, order.payment_order_id, {
        to: 'FAILED',
        actor,
        reason: 'the hosted payment page expired unpaid',
        set: {
          failure_code: 'checkout_expired',
          failure_reason: 'the buyer did not pay before the page expired',
        },
      });
    } else if (result.status === 'complete') {
      // Completed but not yet paid (a delayed method): wait for the payment's own news.
      await transitionOrder(ctx, order.payment_order_id, {
        to: 'PENDING',
        actor,
        reason: 'hosted page completed; payment not settled yet',
        set: {
          pending_reason: 'processing',
          ...(result.pspPaymentId ? { psp_reference: result.pspPaymentId } : {}),
        },
        deadline: later(ctx, timing.pendingRecheckMs),
      });
    }
  }
  return getOrders(ctx, checkout.order_ids);
}

export interface SweepReport {
  readonly examined: number;
  readonly moved: number;
  readonly stillOpen: number;
  readonly errors: readonly { payment_order_id: string; error: string }[];
}

/**
 * The sweeper: orders whose deadline passed are driven forward by asking the PSP, through the same code as
 * the webhook. A card order that never got an answer is charged again with the same idempotency key (the PSP
 * answers the first charge); a PENDING one is looked up; one pending past its expiry is canceled.
 */
export async function sweepDueOrders(
  ctx: PaymentsContext,
  psp: PaymentProvider,
  dueOrders: readonly PaymentOrder[],
  timing: Timing = DEFAULT_TIMING,
): Promise<SweepReport> {
  let moved = 0;
  let stillOpen = 0;
  const errors: { payment_order_id: string; error: string }[] = [];
  const checkouts = new Set<string>();
  for (const due of dueOrders) {
    try {
      const before = await getOrder(ctx, due.payment_order_id);
      if (!before || isTerminal(before.status)) continue;
      let after: PaymentOrder | undefined;
      if (before.mode === 'hosted') {
        const checkout = await getCheckout(ctx, before.checkout_id);
        if (!checkout?.psp_session_id) {
          // The page was never registered (the PSP was down and the storefront gave up): nobody can pay it.
          after = (
            await transitionOrder(ctx, before.payment_order_id, {
              to: 'FAILED',
              actor: 'sweeper',
              reason: 'the hosted payment page was never registered with the PSP',
              set: {
                failure_code: 'hosted_page_not_registered',
                failure_reason: 'the payment page was never created',
              },
            })
          ).order;
        } else {
          const session = await psp.retrieveHostedCheckout(checkout.psp_session_id);
          const orders = await applyHostedCheckout(ctx, before.checkout_id, session, 'sweeper', timing);
          after = orders.find((o) => o.payment_order_id === before.payment_order_id);
        }
      } else if (before.status === 'PENDING' && before.psp_reference) {
        const expired = now(ctx).getTime() - Date.parse(before.created_at) > timing.pendingExpiryMs;
        const payment = expired
          ? await psp.cancelPayment(before.psp_reference, `cancel-${before.payment_order_id}`)
          : await psp.retrievePayment(before.psp_reference);
        after = (await applyPayment(ctx, before, payment, 'sweeper', timing)).order;
      } else {
        after = await executeOrder(ctx, psp, before.payment_order_id, 'sweeper', timing);
      }
      if (after && after.status !== before.status) moved++;
      if (after && !isTerminal(after.status)) {
        stillOpen++;
        // Still waiting: look again later rather than on every sweep.
        if (after.status === before.status) {
          await postponeDeadline(ctx, after, later(ctx, timing.pendingRecheckMs));
        }
      }
      checkouts.add(before.checkout_id);
    } catch (error) {
      errors.push({
        payment_order_id: due.payment_order_id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      if (!(error instanceof PspTransientError) && !(error instanceof PaymentError)) throw error;
    }
  }
  for (const checkoutId of checkouts) await completeCheckoutIfDone(ctx, checkoutId);
  return { examined: dueOrders.length, moved, stillOpen, errors };
}
