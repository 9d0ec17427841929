/**
 * Canceling a checkout (POST /v1/checkouts/{checkout_id}/cancel): the storefront gives up on it, e.g. to switch
 * the buyer from the hosted page to a card, as cancel + a new checkout. The checkout is marked canceled first
 * (so no page is registered for it any more and no order of it starts), then each way money could still move is
 * closed AT THE PSP, whose answer decides every order:
 *   - the hosted page is expired (a completed page stays complete: its payment is posted, SUCCESS wins);
 *   - a card order with a PaymentIntent has it canceled (one that succeeded first stays SUCCESS);
 *   - a card order with no PaymentIntent id stored was never confirmed: it is FAILED by a write conditioned on
 *     the id still being absent, so an executor that stores its id first makes us cancel that intent instead.
 * Unpaid orders end FAILED with failure_code `canceled`. Canceling again does the same steps with the same
 * idempotency keys and answers the same orders.
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PaymentProvider } from '../psp/port';
import { applyPayment } from './apply-payment';
import { completeCheckoutIfDone, getCheckout } from './checkouts';
import { MAX_ATTEMPTS, nowIso, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import { applyHostedCheckout, hostedResult } from './hosted-page';
import { checkoutKey } from './keys';
import { CANCELED_FAILURE, type Checkout, isTerminal, type PaymentOrder } from './model';
import { getOrders, mustGetOrder, transitionOrder } from './order-transitions';
import { DEFAULT_TIMING, type Timing } from './timing';

export interface CancelResult {
  readonly checkout: Checkout;
  readonly orders: readonly PaymentOrder[];
}

/** Marks the checkout canceled once (the first time stands); answers it as stored. */
export async function markCheckoutCanceled(ctx: PaymentsContext, checkoutId: string): Promise<Checkout> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: checkoutKey(checkoutId),
        UpdateExpression: 'SET canceled_at = :at, updated_at = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(canceled_at)',
        ExpressionAttributeValues: { ':at': nowIso(ctx) },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const stored = await getCheckout(ctx, checkoutId);
  if (!stored)
    throw new PaymentError('not_found', `checkout ${checkoutId} not found`, { checkout_id: checkoutId });
  return stored;
}

/** Cancels a checkout: see the module comment. Throws not_found for an unknown checkout. */
export async function cancelCheckout(
  ctx: PaymentsContext,
  psp: PaymentProvider,
  checkoutId: string,
  timing: Timing = DEFAULT_TIMING,
): Promise<CancelResult> {
  const existing = await getCheckout(ctx, checkoutId);
  if (!existing)
    throw new PaymentError('not_found', `checkout ${checkoutId} not found`, { checkout_id: checkoutId });
  const checkout = await markCheckoutCanceled(ctx, checkoutId);
  if (checkout.mode === 'hosted') await cancelHosted(ctx, psp, checkout);
  else for (const orderId of checkout.order_ids) await cancelCardOrder(ctx, psp, orderId, timing);
  const progress = await completeCheckoutIfDone(ctx, checkoutId);
  return { checkout: progress.checkout, orders: await getOrders(ctx, checkout.order_ids) };
}

async function cancelHosted(ctx: PaymentsContext, psp: PaymentProvider, checkout: Checkout): Promise<void> {
  if (!checkout.psp_session_id) {
    // No page was ever registered (and none will be now): nobody can have paid.
    for (const orderId of checkout.order_ids) await failCanceled(ctx, orderId, false);
    return;
  }
  await psp.expireHostedCheckout(checkout.psp_session_id, `expire-${checkout.checkout_id}`);
  // Expiring also cancels the page's open PaymentIntent (a 3-D Secure attempt on the page, say): Stripe
  // refuses a direct cancel of a Checkout Session's intent.
  // What the PSP says now decides: complete and paid -> SUCCESS; expired -> FAILED (canceled).
  await applyHostedCheckout(
    ctx,
    checkout.checkout_id,
    await hostedResult(psp, checkout.psp_session_id),
    'api',
  );
}

async function cancelCardOrder(
  ctx: PaymentsContext,
  psp: PaymentProvider,
  orderId: string,
  timing: Timing,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const order = await mustGetOrder(ctx, orderId);
    if (isTerminal(order.status)) return;
    if (!order.psp_reference) {
      // Never confirmed (the executor confirms only a stored id): fail it unless an id was stored meanwhile.
      const moved = await failCanceled(ctx, orderId, true);
      if (moved.changed || isTerminal(moved.order.status)) return;
      continue; // an id was stored first: cancel that intent on the next pass
    }
    // The PSP serialises this against a confirmation: whichever came first is what the intent says now.
    const payment = await psp.cancelPayment(order.psp_reference, `cancel-${orderId}`);
    await applyPayment(ctx, await mustGetOrder(ctx, orderId), payment, 'api', timing, psp);
    return;
  }
  throw new PaymentError('contention', `payment order ${orderId} kept changing; try again`, {
    payment_order_id: orderId,
  });
}

function failCanceled(ctx: PaymentsContext, orderId: string, onlyWithoutPspReference: boolean) {
  return transitionOrder(ctx, orderId, {
    to: 'FAILED',
    actor: 'api',
    reason: 'the storefront canceled the checkout before it was paid',
    set: { failure_code: CANCELED_FAILURE.code, failure_reason: CANCELED_FAILURE.reason },
    ...(onlyWithoutPspReference ? { onlyWithoutPspReference: true } : {}),
  });
}
