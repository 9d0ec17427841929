/**
 * Driving orders with what the PSP says. The executor (right after the charge), the webhook consumer and the
 * sweeper all come through here, so an order moves the same way whichever news arrives first, and news that
 * arrives again or late changes nothing.
 */

import { equals, money } from '../money';
import { PspPermanentError } from '../psp/errors';
import type { PaymentProvider, PspPayment } from '../psp/port';
import type { RiskProvider } from '../risk/rules';
import { logger } from '../shared/logger';
import { PaymentError } from './errors';
import type { Actor, Checkout, PaymentOrder } from './model';
import { isTerminal } from './model';
import {
  completeCheckoutIfDone,
  getCheckout,
  getOrder,
  getOrders,
  nowOf,
  type PaymentsContext,
  postponeDeadline,
  recordRiskDecision,
  recordSuccess,
  type TransitionResult,
  transitionOrder,
} from './store';

export interface Timing {
  /** How long an order may stay EXECUTING before the sweeper asks the PSP (a lost response, a crash). */
  readonly executingTimeoutMs: number;
  /** How often the sweeper re-checks a PENDING order, and backs off from one it could not move. */
  readonly pendingRecheckMs: number;
  /** How long an order may stay PENDING (3-D Secure never answered) before it is canceled and FAILED. */
  readonly pendingExpiryMs: number;
  /**
   * How long after creation a charge may still be retried with the same idempotency key. Stripe keeps keys
   * 24 h; past this margin a retry could create a second charge, so the order goes to a person instead.
   */
  readonly idempotencyWindowMs: number;
}

export const DEFAULT_TIMING: Timing = {
  executingTimeoutMs: 2 * 60_000,
  pendingRecheckMs: 10 * 60_000,
  pendingExpiryMs: 24 * 60 * 60_000,
  idempotencyWindowMs: 20 * 60 * 60_000,
};

/** What executing an order needs besides storage. */
export interface ExecutionDependencies {
  readonly psp: PaymentProvider;
  readonly risk: RiskProvider;
  readonly timing?: Timing;
}

const later = (ctx: PaymentsContext, ms: number) => new Date(nowOf(ctx).getTime() + ms).toISOString();

function orderNotFound(orderId: string): PaymentError {
  return new PaymentError('not_found', `payment order ${orderId} not found`, { payment_order_id: orderId });
}

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
      // A break for reconciliation and finance: never a silent flip of a terminal status.
      logger.error('money captured for a FAILED order', {
        payment_order_id: order.payment_order_id,
        psp_reference: payment.pspPaymentId,
      });
    }
    return { order, changed: false };
  }
  switch (payment.status) {
    case 'succeeded': {
      const expected = money(order.currency, order.amount_minor);
      if (!equals(payment.amount, expected)) {
        // Never post an amount we did not ask for: leave the order for a person (reconciliation flags it).
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
        const settled = await psp.cancelPayment(payment.pspPaymentId, `cancel-${order.payment_order_id}`);
        // Canceling a payment that meanwhile succeeded answers its success: apply that instead.
        if (settled.status !== 'canceled') return applyPayment(ctx, order, settled, actor, timing);
      }
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

/**
 * The checkout's risk decision: the stored one, or (first time) the provider's, stored so it cannot change.
 * A decline fails the orders that have not started; an order already charging is left to finish.
 */
export async function decideRisk(
  ctx: PaymentsContext,
  checkout: Checkout,
  risk: RiskProvider,
  actor: Actor,
): Promise<'approve' | 'decline'> {
  let decision = checkout.risk_decision;
  let reasons = checkout.risk_reasons ?? [];
  if (!decision) {
    const assessed = await risk.assess({
      checkoutId: checkout.checkout_id,
      buyerId: checkout.buyer.buyer_id,
      ...(checkout.buyer.email ? { buyerEmail: checkout.buyer.email } : {}),
      currency: checkout.currency,
      totalMinor: BigInt(checkout.total_minor),
    });
    ({ decision, reasons } = await recordRiskDecision(ctx, checkout.checkout_id, assessed));
  }
  if (decision === 'decline') {
    const why = reasons.join(',') || 'declined';
    for (const orderId of checkout.order_ids) {
      await transitionOrder(ctx, orderId, {
        to: 'FAILED',
        actor,
        reason: `risk check declined the checkout (${why})`,
        set: { failure_code: 'risk_declined', failure_reason: `declined by risk rules: ${why}` },
        onlyFrom: ['NOT_STARTED'],
      });
    }
  }
  return decision;
}

/**
 * Executes one card-mode order: the risk decision, EXECUTING, then one charge at the PSP keyed by the order
 * id, then the outcome. Safe to run any number of times, concurrently too: the PSP's idempotency makes every
 * run see the same charge, and the conditional writes make every run after the first a no-op.
 */
export async function executeOrder(
  ctx: PaymentsContext,
  deps: ExecutionDependencies,
  orderId: string,
  actor: Actor,
): Promise<PaymentOrder> {
  const timing = deps.timing ?? DEFAULT_TIMING;
  let order = await getOrder(ctx, orderId);
  if (!order) throw orderNotFound(orderId);
  if (isTerminal(order.status)) return order;
  const checkout = await getCheckout(ctx, order.checkout_id);
  if (!checkout?.payment_method) {
    throw new PaymentError('not_found', `checkout ${order.checkout_id} has no payment method`, {
      checkout_id: order.checkout_id,
    });
  }
  // Never charge before the checkout was approved (the workflow may never have run its risk step).
  if ((await decideRisk(ctx, checkout, deps.risk, actor)) === 'decline') {
    return (await getOrder(ctx, orderId)) ?? order;
  }
  if (order.status === 'NOT_STARTED') {
    // What the move answers decides what to do: another run may have moved the order meanwhile.
    order = (
      await transitionOrder(ctx, orderId, {
        to: 'EXECUTING',
        actor,
        reason: 'charging the buyer at the PSP',
        deadline: later(ctx, timing.executingTimeoutMs),
        onlyFrom: ['NOT_STARTED'],
      })
    ).order;
    if (isTerminal(order.status)) return order;
  }
  let payment: PspPayment;
  if (order.status === 'PENDING' && order.psp_reference) {
    payment = await deps.psp.retrievePayment(order.psp_reference);
  } else if (order.status === 'EXECUTING') {
    if (nowOf(ctx).getTime() - Date.parse(order.created_at) > timing.idempotencyWindowMs) {
      throw new PaymentError(
        'needs_attention',
        `order ${orderId} is still unresolved near the end of the PSP's idempotency window; not charging again`,
        { payment_order_id: orderId },
      );
    }
    try {
      payment = await deps.psp.charge({
        paymentOrderId: orderId,
        checkoutId: order.checkout_id,
        sellerAccount: order.seller_account,
        amount: money(order.currency, order.amount_minor),
        paymentMethod: checkout.payment_method,
        buyerId: checkout.buyer.buyer_id,
      });
    } catch (error) {
      // The PSP refused the request itself (an unknown payment method, say): final for this order. A reused
      // idempotency key with other parameters is our bug, not the buyer's: that goes to a person.
      if (error instanceof PspPermanentError && error.pspCode !== 'idempotency_error') {
        return (
          await transitionOrder(ctx, orderId, {
            to: 'FAILED',
            actor,
            reason: 'the PSP rejected the charge request',
            set: {
              failure_code: error.pspCode ?? 'psp_rejected',
              failure_reason: 'the PSP rejected the charge',
            },
          })
        ).order;
      }
      throw error;
    }
  } else {
    return order;
  }
  const current = (await getOrder(ctx, orderId)) ?? order;
  return (await applyPayment(ctx, current, payment, actor, timing, deps.psp)).order;
}

/** A hosted-page (Checkout Session) result, as the PSP reports it. */
export interface HostedResult {
  readonly status: 'open' | 'complete' | 'expired';
  readonly paid: boolean;
  readonly pspPaymentId?: string;
  /** A delayed payment method failed after the page completed. */
  readonly paymentFailed?: boolean;
}

/** Applies a hosted-page (Checkout Session) result to every order of its checkout. */
export async function applyHostedCheckout(
  ctx: PaymentsContext,
  checkoutId: string,
  result: HostedResult,
  actor: Actor,
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
    }
    // Open, or completed with a delayed payment not settled yet: the orders stay PENDING (awaiting the
    // payment's own news, or the sweeper's next look).
  }
  return getOrders(ctx, checkout.order_ids);
}

export interface SweepReport {
  readonly examined: number;
  readonly moved: number;
  readonly stillOpen: number;
  readonly errors: readonly { payment_order_id: string; error: string }[];
}

/** What the PSP says about a hosted checkout, including a delayed payment's own status once the page completed. */
async function hostedResult(psp: PaymentProvider, sessionId: string): Promise<HostedResult> {
  const session = await psp.retrieveHostedCheckout(sessionId);
  if (session.status !== 'complete' || session.paid || !session.pspPaymentId) return session;
  const payment = await psp.retrievePayment(session.pspPaymentId);
  if (payment.status === 'succeeded') return { ...session, paid: true };
  if (payment.status === 'failed' || payment.status === 'canceled')
    return { ...session, paymentFailed: true };
  return session;
}

/**
 * The sweeper: orders whose deadline passed are driven forward by asking the PSP, through the same code as
 * the webhook. A card order that never got an answer is charged again with the same idempotency key (the PSP
 * answers the first charge); a PENDING one is looked up; one pending past its expiry is canceled. One order's
 * failure never stops the sweep: it is reported and looked at again later.
 */
export async function sweepDueOrders(
  ctx: PaymentsContext,
  deps: ExecutionDependencies,
  dueOrders: readonly PaymentOrder[],
): Promise<SweepReport> {
  const timing = deps.timing ?? DEFAULT_TIMING;
  let moved = 0;
  let stillOpen = 0;
  const errors: { payment_order_id: string; error: string }[] = [];
  const checkouts = new Set<string>();
  const hostedDone = new Set<string>();
  for (const due of dueOrders) {
    const before = await getOrder(ctx, due.payment_order_id);
    if (!before || isTerminal(before.status)) continue;
    checkouts.add(before.checkout_id);
    try {
      let after: PaymentOrder | undefined;
      if (before.mode === 'hosted') {
        // One look per checkout: its orders share the page and its payment.
        if (!hostedDone.has(before.checkout_id)) {
          hostedDone.add(before.checkout_id);
          await sweepHostedCheckout(ctx, deps.psp, before.checkout_id);
        }
        after = await getOrder(ctx, before.payment_order_id);
      } else if (before.status === 'PENDING' && before.psp_reference) {
        const expired = nowOf(ctx).getTime() - Date.parse(before.created_at) > timing.pendingExpiryMs;
        const payment = expired
          ? await deps.psp.cancelPayment(before.psp_reference, `cancel-${before.payment_order_id}`)
          : await deps.psp.retrievePayment(before.psp_reference);
        after = (await applyPayment(ctx, before, payment, 'sweeper', timing, deps.psp)).order;
      } else {
        after = await executeOrder(ctx, deps, before.payment_order_id, 'sweeper');
      }
      if (after && after.status !== before.status) moved++;
      if (after && !isTerminal(after.status)) {
        stillOpen++;
        // Still waiting: look again later rather than on every sweep.
        if (after.status === before.status)
          await postponeDeadline(ctx, after, later(ctx, timing.pendingRecheckMs));
      }
    } catch (error) {
      errors.push({
        payment_order_id: before.payment_order_id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      // Back off, so that one order that cannot move does not hold its shard's place in every sweep.
      const current = await getOrder(ctx, before.payment_order_id);
      if (current && !isTerminal(current.status)) {
        await postponeDeadline(ctx, current, later(ctx, timing.pendingRecheckMs));
      }
    }
  }
  for (const checkoutId of checkouts) await completeCheckoutIfDone(ctx, checkoutId);
  return { examined: dueOrders.length, moved, stillOpen, errors };
}

async function sweepHostedCheckout(
  ctx: PaymentsContext,
  psp: PaymentProvider,
  checkoutId: string,
): Promise<void> {
  const checkout = await getCheckout(ctx, checkoutId);
  if (!checkout) return;
  if (checkout.psp_session_id) {
    await applyHostedCheckout(ctx, checkoutId, await hostedResult(psp, checkout.psp_session_id), 'sweeper');
    return;
  }
  // The page was never registered (the PSP was down and the storefront gave up): nobody can pay it.
  for (const orderId of checkout.order_ids) {
    await transitionOrder(ctx, orderId, {
      to: 'FAILED',
      actor: 'sweeper',
      reason: 'the hosted payment page was never registered with the PSP',
      set: {
        failure_code: 'hosted_page_not_registered',
        failure_reason: 'the payment page was never created',
      },
    });
  }
}
