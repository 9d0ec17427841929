/**
 * The checkouts store (the seeds' "payment event"): writing a checkout with its orders all or nothing, the
 * hosted page's registration, the risk decision recorded once, and closing the checkout (is_payment_done)
 * once every order is terminal.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../ledger';
import { nowIso, type PaymentsContext, stripKeys } from './context';
import { PaymentError } from './errors';
import { checkoutKey, dueIndexKeys, orderKey } from './keys';
import { type Checkout, isTerminal, type OrderHistoryEntry, type PaymentOrder } from './model';
import { getOrders } from './order-transitions';

/** What happened when a checkout was submitted. */
export interface CreateCheckoutResult {
  readonly created: boolean;
  readonly checkout: Checkout;
}

/**
 * Writes the checkout and its orders (NOT_STARTED, each carrying its first history entry), all or nothing.
 * The same checkout_id with the same request answers the stored checkout; with another request, or an order id
 * already used elsewhere, it is a conflict and nothing is written.
 */
export async function createCheckout(
  ctx: PaymentsContext,
  checkout: Checkout,
  orders: readonly PaymentOrder[],
): Promise<CreateCheckoutResult> {
  const items: TransactItem[] = [
    {
      Put: {
        TableName: ctx.tables.payments,
        Item: { ...checkoutKey(checkout.checkout_id), ...checkout },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ];
  for (const order of orders) {
    // The first history entry rides on the order item; the stream's consumer appends it to the history.
    const entry: OrderHistoryEntry = {
      version: order.version,
      from: null,
      to: order.status,
      at: order.created_at,
      actor: 'api',
      reason: 'checkout submitted',
    };
    items.push({
      Put: {
        TableName: ctx.tables.payments,
        Item: {
          ...orderKey(order.payment_order_id),
          ...order,
          ...(order.deadline ? dueIndexKeys(order.payment_order_id, order.deadline) : {}),
          last_transition: entry,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  try {
    await ctx.db.send(new TransactWriteCommand({ TransactItems: items }));
    return { created: true, checkout };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    if (reasons[0]?.Code === 'ConditionalCheckFailed') {
      const existing = await getCheckout(ctx, checkout.checkout_id);
      if (existing && existing.request_hash === checkout.request_hash)
        return { created: false, checkout: existing };
      throw new PaymentError(
        'checkout_conflict',
        `checkout ${checkout.checkout_id} exists with a different request`,
        {
          checkout_id: checkout.checkout_id,
        },
      );
    }
    const failedOrder = reasons.findIndex((r, i) => i > 0 && r.Code === 'ConditionalCheckFailed');
    if (failedOrder > 0) {
      const order = orders[failedOrder - 1];
      throw new PaymentError(
        'payment_order_conflict',
        `payment_order_id ${order?.payment_order_id} is already used by another checkout`,
        { payment_order_id: order?.payment_order_id },
      );
    }
    throw error;
  }
}

/** Stores what the PSP answered when the hosted page was registered (the token), before the API answers. */
export async function attachHostedSession(
  ctx: PaymentsContext,
  checkoutId: string,
  session: { sessionId: string; url: string },
): Promise<Checkout> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: checkoutKey(checkoutId),
        UpdateExpression: 'SET psp_session_id = :id, payment_page_url = :url, updated_at = :at',
        // The PSP answers the same session to a retried registration; a different one would be a bug. A
        // canceled checkout, or one whose orders the sweeper FAILED for want of a page, gets none (the caller
        // expires the one the PSP just made).
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(canceled_at) AND attribute_not_exists(page_closed_at) AND (attribute_not_exists(psp_session_id) OR psp_session_id = :id)',
        ExpressionAttributeValues: { ':id': session.sessionId, ':url': session.url, ':at': nowIso(ctx) },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      const current = await getCheckout(ctx, checkoutId);
      if ((current?.canceled_at || current?.page_closed_at) && current.psp_session_id === undefined)
        return current;
      throw new PaymentError(
        'checkout_conflict',
        `checkout ${checkoutId} is registered with another PSP session`,
        {
          checkout_id: checkoutId,
        },
      );
    }
    throw error;
  }
  const stored = await getCheckout(ctx, checkoutId);
  if (!stored)
    throw new PaymentError('not_found', `checkout ${checkoutId} not found`, { checkout_id: checkoutId });
  return stored;
}

export async function getCheckout(ctx: PaymentsContext, checkoutId: string): Promise<Checkout | undefined> {
  const got = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payments, Key: checkoutKey(checkoutId), ConsistentRead: true }),
  );
  return got.Item ? stripKeys<Checkout>(got.Item) : undefined;
}

export interface CheckoutProgress {
  readonly checkout: Checkout;
  readonly orders: readonly PaymentOrder[];
  readonly done: boolean;
}

/** Sets is_payment_done once every order is terminal (once: conditioned on it not being set yet). */
export async function completeCheckoutIfDone(
  ctx: PaymentsContext,
  checkoutId: string,
): Promise<CheckoutProgress> {
  const checkout = await getCheckout(ctx, checkoutId);
  if (!checkout)
    throw new PaymentError('not_found', `checkout ${checkoutId} not found`, { checkout_id: checkoutId });
  const orders = await getOrders(ctx, checkout.order_ids);
  const allTerminal = orders.length === checkout.order_count && orders.every((o) => isTerminal(o.status));
  if (!allTerminal || checkout.is_payment_done) return { checkout, orders, done: checkout.is_payment_done };
  const succeeded = orders.filter((o) => o.status === 'SUCCESS').length;
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: checkoutKey(checkoutId),
        UpdateExpression:
          'SET is_payment_done = :done, succeeded_count = :s, failed_count = :f, updated_at = :at, #version = #version + :one',
        ConditionExpression: 'is_payment_done = :not_done',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':done': true,
          ':not_done': false,
          ':s': succeeded,
          ':f': orders.length - succeeded,
          ':at': nowIso(ctx),
          ':one': 1,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const updated = (await getCheckout(ctx, checkoutId)) ?? checkout;
  return { checkout: updated, orders, done: true };
}

/**
 * Records the checkout's risk decision once: the first decision stands (a re-run of the risk step, or the
 * sweeper assessing a checkout whose workflow never ran, cannot overturn it). Answers the stored decision.
 */
export async function recordRiskDecision(
  ctx: PaymentsContext,
  checkoutId: string,
  decision: { decision: 'approve' | 'decline'; reasons: readonly string[] },
): Promise<{ decision: 'approve' | 'decline'; reasons: readonly string[] }> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: checkoutKey(checkoutId),
        UpdateExpression: 'SET risk_decision = :d, risk_reasons = :r, updated_at = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(risk_decision)',
        ExpressionAttributeValues: {
          ':d': decision.decision,
          ':r': [...decision.reasons],
          ':at': nowIso(ctx),
        },
      }),
    );
    return decision;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const stored = await getCheckout(ctx, checkoutId);
    if (!stored?.risk_decision)
      throw new PaymentError('not_found', `checkout ${checkoutId} not found`, { checkout_id: checkoutId });
    return { decision: stored.risk_decision, reasons: stored.risk_reasons ?? [] };
  }
}
