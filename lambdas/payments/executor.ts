/**
 * The executor: charging one card-mode order at the PSP in two steps, so the PSP's id is ours before anything
 * irreversible happens. (1) Create the PaymentIntent unconfirmed (no money moves; key payin-create-{order}),
 * (2) store its id on the order (conditional: the first id stored wins), (3) confirm that stored intent (key
 * payin-confirm-{order}). An order without a psp_reference was therefore never confirmed: provably uncharged.
 * With one, every retry, the sweeper and reconciliation look the payment up by id, whatever the PSP's key window.
 */
import { money } from '../money';
import type { CircuitGate } from '../psp/circuit-breaker';
import { isRejection, PspIdempotencyError, PspUnauthorizedError } from '../psp/errors';
import type { PaymentProvider, PspPayment } from '../psp/port';
import type { RiskProvider } from '../risk/rules';
import { crashPoint } from '../shared/crash-point';
import { applyPayment } from './apply-payment';
import { getCheckout } from './checkouts';
import { later, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import { type Actor, CANCELED_FAILURE, type Checkout, isTerminal, type PaymentOrder } from './model';
import { attachPspReference, getOrder, transitionOrder, waitForPsp } from './order-transitions';
import { decideRisk } from './risk-gate';
import type { Timing } from './timing';
import { DEFAULT_TIMING } from './timing';

/** What executing an order needs besides storage. */
export interface ExecutionDependencies {
  readonly psp: PaymentProvider;
  readonly risk: RiskProvider;
  readonly timing?: Timing;
  /**
   * The shared "PSP degraded" state: while it is open no new PSP call starts; the order keeps its status and
   * waits (pending_reason `psp_degraded`, deadline after the cool-down) for the sweeper. Omitted: no gate
   * (the caller holds a permit already, as the sweeper does per order).
   */
  readonly circuit?: CircuitGate;
}

function orderNotFound(orderId: string): PaymentError {
  return new PaymentError('not_found', `payment order ${orderId} not found`, { payment_order_id: orderId });
}

/** A PaymentIntent that was never confirmed: confirming it is the next step. */
function awaitingConfirmation(payment: PspPayment): boolean {
  return (
    payment.status === 'pending' &&
    (payment.pendingReason === 'requires_confirmation' || payment.pendingReason === 'requires_payment_method')
  );
}

/**
 * Executes one card-mode order: the risk decision, EXECUTING, then create / store id / confirm, then the
 * outcome. Safe to run any number of times, concurrently too: the PSP's idempotency and the stored id make
 * every run act on the same PaymentIntent, and the conditional writes make every run after the first a no-op.
 * Only the PSP's evidence fails an order: a refused create (nothing exists), or the intent's own status.
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
  if (checkout.canceled_at && order.status === 'NOT_STARTED') {
    // Canceled before this order started: it never will (the cancel fails it too; whichever writes first).
    return (
      await transitionOrder(ctx, orderId, {
        to: 'FAILED',
        actor,
        reason: 'the storefront canceled the checkout before it was paid',
        set: { failure_code: CANCELED_FAILURE.code, failure_reason: CANCELED_FAILURE.reason },
        onlyFrom: ['NOT_STARTED'],
      })
    ).order;
  }
  // Never charge before the checkout was approved (the workflow may never have run its risk step).
  if ((await decideRisk(ctx, checkout, deps.risk, actor)) === 'decline') {
    return (await getOrder(ctx, orderId)) ?? order;
  }
  if (
    deps.circuit &&
    (order.status === 'EXECUTING' || order.status === 'NOT_STARTED' || order.psp_reference)
  ) {
    const permit = await deps.circuit.permit();
    // The PSP is failing: not a failure of this order (nothing proves money did not move), a wait.
    if (!permit.allowed) return waitForPsp(ctx, order, permit.retryAt);
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
    const known = order;
    payment = await deps.psp.retrievePayment(order.psp_reference).catch(async (error: unknown) => {
      await reportPspTrouble(ctx, known, known.psp_reference, error);
      throw error;
    });
  } else if (order.status === 'EXECUTING') {
    const charged = await charge(ctx, deps, order, checkout, actor);
    if ('order' in charged) return charged.order;
    payment = charged.payment;
  } else {
    return order;
  }
  const current = (await getOrder(ctx, orderId)) ?? order;
  return (await applyPayment(ctx, current, payment, actor, timing, deps.psp)).order;
}

/** Create (or find) the intent, store its id, confirm it: answers what the PSP says, or the order if it ended. */
async function charge(
  ctx: PaymentsContext,
  deps: ExecutionDependencies,
  order: PaymentOrder,
  checkout: Checkout,
  actor: Actor,
): Promise<{ payment: PspPayment } | { order: PaymentOrder }> {
  const orderId = order.payment_order_id;
  let reference = order.psp_reference;
  let payment: PspPayment | undefined;
  if (!reference) {
    try {
      payment = await deps.psp.createPayment({
        paymentOrderId: orderId,
        checkoutId: order.checkout_id,
        sellerAccount: order.seller_account,
        amount: money(order.currency, order.amount_minor),
        paymentMethod: checkout.payment_method ?? '',
        buyerId: checkout.buyer.buyer_id,
      });
    } catch (error) {
      if (isRejection(error)) {
        // The PSP refused to create the payment (an unknown payment method, say): nothing exists to charge.
        const failed = await transitionOrder(ctx, orderId, {
          to: 'FAILED',
          actor,
          reason: 'the PSP refused to create the payment; nothing was charged',
          set: {
            failure_code: error.pspCode ?? 'psp_rejected',
            failure_reason: 'the PSP rejected the payment request',
          },
        });
        return { order: failed.order };
      }
      await reportPspTrouble(ctx, order, undefined, error);
      throw error;
    }
    const stored = await attachPspReference(ctx, orderId, payment.pspPaymentId);
    if (stored.psp_reference !== payment.pspPaymentId) payment = undefined; // another run's intent won
    if (isTerminal(stored.status) || !stored.psp_reference) return { order: stored };
    reference = stored.psp_reference;
  }
  // A retry, the sweeper or a concurrent run: look first, confirm only an intent nobody confirmed yet.
  if (!payment) {
    const known = reference;
    payment = await deps.psp.retrievePayment(known).catch(async (error: unknown) => {
      await reportPspTrouble(ctx, order, known, error);
      throw error;
    });
  }
  if (!awaitingConfirmation(payment)) return { payment };
  let confirmed: PspPayment;
  try {
    confirmed = await deps.psp.confirmPayment(reference, orderId);
  } catch (error) {
    await reportPspTrouble(ctx, order, reference, error);
    // Refused (e.g. confirmed meanwhile by a concurrent run): what the intent is now is the evidence.
    if (isRejection(error)) return { payment: await deps.psp.retrievePayment(reference) };
    throw error;
  }
  // The PSP charged and nothing is written yet: a crash here leaves the order for a retry or the sweeper.
  crashPoint('payin.confirmed', orderId);
  return { payment: confirmed };
}

/**
 * PSP refusals that say nothing about the payment but need a person: a key reused with other parameters (our
 * bug, and the first attempt may have charged), and our own credentials refused (a rotated or wrong key: the
 * order waits; nothing was done by the refused call). Both are recorded once per order; the error is rethrown
 * by the caller, so the order keeps its state and deadline.
 */
export async function reportPspTrouble(
  ctx: PaymentsContext,
  order: PaymentOrder,
  pspReference: string | undefined,
  error: unknown,
): Promise<void> {
  if (error instanceof PspUnauthorizedError) {
    await ctx.attention?.record({
      kind: 'psp_credentials_refused',
      subjectType: 'payment_order',
      subjectId: order.payment_order_id,
      summary: `the PSP refused our API key while charging order ${order.payment_order_id}: check the stripe-api-key secret (rotated or revoked?)`,
      details: {
        payment_order_id: order.payment_order_id,
        checkout_id: order.checkout_id,
        psp_reference: pspReference ?? '',
        http_status: error.httpStatus ?? 0,
        psp_code: error.pspCode ?? '',
      },
    });
    return;
  }
  if (!(error instanceof PspIdempotencyError)) return;
  await ctx.attention?.record({
    kind: 'idempotency_conflict',
    subjectType: 'payment_order',
    subjectId: order.payment_order_id,
    summary: `the PSP refused order ${order.payment_order_id}'s idempotency key (reused with other parameters)`,
    details: {
      payment_order_id: order.payment_order_id,
      checkout_id: order.checkout_id,
      psp_reference: pspReference ?? '',
      psp_error: error.message,
    },
  });
}
