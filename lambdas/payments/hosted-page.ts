/**
 * The hosted page (a Checkout Session): applying its result to every order of its checkout, and the
 * sweeper's look at a checkout whose page nobody reported on.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { equals, type Money, money } from '../money';
import type { HostedCheckout, PaymentProvider } from '../psp/port';
import { getCheckout } from './checkouts';
import { nowIso, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import { checkoutKey } from './keys';
import { type Actor, CANCELED_FAILURE, type Checkout, isTerminal, type PaymentOrder } from './model';
import { getOrders, transitionOrder } from './order-transitions';
import { recordSuccess } from './record-success';

/** A hosted-page (Checkout Session) result, as the PSP reports it. */
export interface HostedResult {
  readonly status: 'open' | 'complete' | 'expired';
  readonly paid: boolean;
  readonly pspPaymentId?: string;
  /** A delayed payment method failed after the page completed. */
  readonly paymentFailed?: boolean;
  /** The PSP's id of the page (Checkout Session) and what it charged: checked against the checkout. */
  readonly sessionId?: string;
  readonly amount?: Money;
}

/**
 * Why a paid page must not be posted: another page than the checkout's, or another amount or currency than
 * the checkout's total (as card mode checks per order). Undefined when it matches.
 */
function paidPageMismatch(checkout: Checkout, result: HostedResult): string | undefined {
  if (result.sessionId && checkout.psp_session_id && result.sessionId !== checkout.psp_session_id)
    return `the page ${result.sessionId} is not the checkout's (${checkout.psp_session_id})`;
  if (!result.amount) return 'the PSP did not say what the page charged';
  if (!equals(result.amount, money(checkout.currency, checkout.total_minor)))
    return `the page charged ${result.amount.minor} ${result.amount.currency}, the checkout totals ${checkout.total_minor} ${checkout.currency}`;
  return undefined;
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
  const paid = result.status === 'complete' && result.paid && result.pspPaymentId;
  const mismatch = paid ? paidPageMismatch(checkout, result) : undefined;
  if (mismatch) {
    // Never post an amount we did not ask for: the orders stay PENDING and a person decides.
    await ctx.attention?.record({
      kind: 'amount_mismatch',
      subjectType: 'checkout',
      subjectId: checkoutId,
      summary: `hosted page of checkout ${checkoutId}: ${mismatch}`,
      details: {
        checkout_id: checkoutId,
        psp_reference: result.pspPaymentId ?? '',
        psp_session_id: result.sessionId ?? '',
        expected_minor: String(checkout.total_minor),
        expected_currency: checkout.currency,
        psp_amount_minor: result.amount?.minor.toString() ?? '',
        psp_currency: result.amount?.currency ?? '',
      },
    });
    throw new PaymentError('needs_attention', `hosted page of checkout ${checkoutId}: ${mismatch}`, {
      checkout_id: checkoutId,
    });
  }
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
      // Expired by our cancel (the checkout says so) or by its own clock: the same outcome, told apart.
      await transitionOrder(ctx, order.payment_order_id, {
        to: 'FAILED',
        actor,
        reason: checkout.canceled_at
          ? 'the storefront canceled the checkout; its hosted page was expired unpaid'
          : 'the hosted payment page expired unpaid',
        set: checkout.canceled_at
          ? { failure_code: CANCELED_FAILURE.code, failure_reason: CANCELED_FAILURE.reason }
          : {
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

/** What the PSP says about a hosted checkout, including a delayed payment's own status once the page completed. */
export async function hostedResult(
  psp: PaymentProvider,
  sessionId: string,
): Promise<HostedResult & Pick<HostedCheckout, 'checkoutId'>> {
  const session = await psp.retrieveHostedCheckout(sessionId);
  if (session.status !== 'complete' || session.paid || !session.pspPaymentId) return session;
  const payment = await psp.retrievePayment(session.pspPaymentId);
  if (payment.status === 'succeeded') return { ...session, paid: true };
  if (payment.status === 'failed' || payment.status === 'canceled')
    return { ...session, paymentFailed: true };
  return session;
}

/** The sweeper's look at one hosted checkout (its orders share the page and its payment). */
export async function sweepHostedCheckout(
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
  // The page was never registered (the PSP was down and the storefront gave up): nobody can pay it. Closed
  // first, conditional on no page being registered meanwhile, so a late retry of the submission cannot
  // register one for orders FAILED here (the buyer would pay FAILED orders).
  if (!(await closeUnregisteredPage(ctx, checkoutId))) {
    const registered = await getCheckout(ctx, checkoutId);
    if (registered?.psp_session_id) {
      await applyHostedCheckout(
        ctx,
        checkoutId,
        await hostedResult(psp, registered.psp_session_id),
        'sweeper',
      );
    }
    return;
  }
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

/** Marks a checkout's page closed if none is registered; false when one was (a retry registered it first). */
async function closeUnregisteredPage(ctx: PaymentsContext, checkoutId: string): Promise<boolean> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: checkoutKey(checkoutId),
        UpdateExpression: 'SET page_closed_at = if_not_exists(page_closed_at, :at), updated_at = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(psp_session_id)',
        ExpressionAttributeValues: { ':at': nowIso(ctx) },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
