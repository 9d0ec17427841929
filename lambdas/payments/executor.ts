/**
 * The executor: charging one card-mode order at the PSP and applying the answer.
 */
import { money } from '../money';
import { PspPermanentError } from '../psp/errors';
import type { PaymentProvider, PspPayment } from '../psp/port';
import type { RiskProvider } from '../risk/rules';
import { applyPayment } from './apply-payment';
import { getCheckout } from './checkouts';
import { later, nowOf, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import { type Actor, isTerminal, type PaymentOrder } from './model';
import { getOrder, transitionOrder } from './order-transitions';
import { decideRisk } from './risk-gate';
import { DEFAULT_TIMING, type Timing } from './timing';

/** What executing an order needs besides storage. */
export interface ExecutionDependencies {
  readonly psp: PaymentProvider;
  readonly risk: RiskProvider;
  readonly timing?: Timing;
}

function orderNotFound(orderId: string): PaymentError {
  return new PaymentError('not_found', `payment order ${orderId} not found`, { payment_order_id: orderId });
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
