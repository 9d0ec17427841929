/**
 * Checkouts and payment orders in DynamoDB. Every change is a conditional write: an order moves only from the
 * version we read (optimistic concurrency) and only forward, and each move appends a history item in the same
 * transaction. A success is recorded with the ledger posting and the wallet in ONE TransactWriteItems.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CallerConditionFailedError, type LedgerContext, recordPayIn, type TransactItem } from '../ledger';
import { basisPointsOf, money } from '../money';
import { PaymentError } from './errors';
import { checkoutKey, DUE_INDEX, dueIndexKeys, historyKey, orderKey, SWEEP_SHARDS } from './keys';
import {
  type Actor,
  type Checkout,
  canTransition,
  isTerminal,
  type OrderHistoryEntry,
  type OrderStatus,
  type PaymentOrder,
} from './model';

export interface PaymentsContext {
  readonly db: DynamoDBDocumentClient;
  readonly tables: { readonly payments: string; readonly ledger: string; readonly wallets: string };
  readonly clock?: () => Date;
  /** The platform's commission on each pay-in, in basis points (0 = none). */
  readonly commissionBps?: number;
}

const MAX_ATTEMPTS = 6;
/** The context's clock (tests pass one), else the system's. */
export const nowOf = (ctx: PaymentsContext): Date => (ctx.clock ? ctx.clock() : new Date());
const nowIso = (ctx: PaymentsContext) => nowOf(ctx).toISOString();
const ledgerContext = (ctx: PaymentsContext): LedgerContext => ({
  db: ctx.db,
  tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets },
  ...(ctx.clock ? { clock: ctx.clock } : {}),
});

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as T;
}

function isConditionFailure(error: unknown): error is TransactionCanceledException {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}

/** What happened when a checkout was submitted. */
export interface CreateCheckoutResult {
  readonly created: boolean;
  readonly checkout: Checkout;
}

/**
 * Writes the checkout, its orders (NOT_STARTED) and their first history entries, all or nothing. The same
 * checkout_id with the same request answers the stored checkout; with another request, or an order id already
 * used elsewhere, it is a conflict and nothing is written.
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
    items.push({
      Put: {
        TableName: ctx.tables.payments,
        Item: {
          ...orderKey(order.payment_order_id),
          ...order,
          ...(order.deadline ? dueIndexKeys(order.payment_order_id, order.deadline) : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
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
        Item: { ...historyKey(order.payment_order_id, order.version), ...entry },
        ConditionExpression: 'attribute_not_exists(pk)',
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
      const order = orders[Math.floor((failedOrder - 1) / 2)];
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
        // The PSP answers the same session to a retried registration; a different one would be a bug.
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(psp_session_id) OR psp_session_id = :id)',
        ExpressionAttributeValues: { ':id': session.sessionId, ':url': session.url, ':at': nowIso(ctx) },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
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

export async function getOrder(ctx: PaymentsContext, orderId: string): Promise<PaymentOrder | undefined> {
  const got = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payments, Key: orderKey(orderId), ConsistentRead: true }),
  );
  return got.Item ? stripKeys<PaymentOrder>(got.Item) : undefined;
}

export async function getOrders(ctx: PaymentsContext, orderIds: readonly string[]): Promise<PaymentOrder[]> {
  const found = new Map<string, PaymentOrder>();
  for (let i = 0; i < orderIds.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = orderIds.slice(i, i + 100).map(orderKey);
    for (let attempt = 0; keys && keys.length > 0 && attempt < MAX_ATTEMPTS; attempt++) {
      const got: BatchGetCommandOutput = await ctx.db.send(
        new BatchGetCommand({
          RequestItems: { [ctx.tables.payments]: { Keys: keys, ConsistentRead: true } },
        }),
      );
      for (const item of got.Responses?.[ctx.tables.payments] ?? []) {
        const order = stripKeys<PaymentOrder>(item);
        found.set(order.payment_order_id, order);
      }
      keys = got.UnprocessedKeys?.[ctx.tables.payments]?.Keys;
      if (keys?.length) await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt));
    }
  }
  return orderIds.map((id) => found.get(id)).filter((o): o is PaymentOrder => o !== undefined);
}

export async function orderHistory(ctx: PaymentsContext, orderId: string): Promise<OrderHistoryEntry[]> {
  const out: OrderHistoryEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.tables.payments,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :hist)',
        ExpressionAttributeValues: { ':pk': orderKey(orderId).pk, ':hist': 'HIST#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) out.push(stripKeys<OrderHistoryEntry>(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export interface OrderChange {
  readonly to: OrderStatus;
  readonly actor: Actor;
  readonly reason: string;
  /** Attributes to set with the move (psp_reference, failure_code, pending_reason, ...). */
  readonly set?: Readonly<Record<string, string | number | boolean>>;
  /** A new deadline for a non-terminal order (the sweeper looks at it then). */
  readonly deadline?: string;
  /** Move only from these statuses (e.g. a risk decline fails orders that have not started, nothing else). */
  readonly onlyFrom?: readonly OrderStatus[];
}

export interface TransitionResult {
  readonly order: PaymentOrder;
  /** False when the order was already there or beyond: nothing was written. */
  readonly changed: boolean;
}

/** The order update and history item of one move, conditioned on the version we read. */
function transitionItems(
  ctx: PaymentsContext,
  order: PaymentOrder,
  change: OrderChange,
  at: string,
): TransactItem[] {
  const version = order.version + 1;
  const names: Record<string, string> = {
    '#status': 'status',
    '#version': 'version',
    '#updated_at': 'updated_at',
  };
  const values: Record<string, unknown> = {
    ':to': change.to,
    ':v': order.version,
    ':next': version,
    ':at': at,
  };
  const sets = ['#status = :to', '#version = :next', '#updated_at = :at'];
  const removes: string[] = [];
  for (const [name, value] of Object.entries(change.set ?? {})) {
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  if (isTerminal(change.to)) {
    removes.push('gsi1pk', 'gsi1sk', 'deadline');
  } else if (change.deadline) {
    const due = dueIndexKeys(order.payment_order_id, change.deadline);
    Object.assign(values, { ':deadline': change.deadline, ':g1pk': due.gsi1pk, ':g1sk': due.gsi1sk });
    sets.push('deadline = :deadline', 'gsi1pk = :g1pk', 'gsi1sk = :g1sk');
  }
  const history: OrderHistoryEntry = {
    version,
    from: order.status,
    to: change.to,
    at,
    actor: change.actor,
    reason: change.reason,
  };
  return [
    {
      Update: {
        TableName: ctx.tables.payments,
        Key: orderKey(order.payment_order_id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: '#version = :v',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    {
      Put: {
        TableName: ctx.tables.payments,
        Item: { ...historyKey(order.payment_order_id, version), ...history },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

async function mustGetOrder(ctx: PaymentsContext, orderId: string): Promise<PaymentOrder> {
  const order = await getOrder(ctx, orderId);
  if (!order)
    throw new PaymentError('not_found', `payment order ${orderId} not found`, { payment_order_id: orderId });
  return order;
}

/**
 * Moves an order forward (never SUCCESS: use recordSuccess, which also posts the money). A move that is not
 * forward from the current status changes nothing and answers the order as it is.
 */
export async function transitionOrder(
  ctx: PaymentsContext,
  orderId: string,
  change: OrderChange,
): Promise<TransitionResult> {
  if (change.to === 'SUCCESS') throw new Error('use recordSuccess to move an order to SUCCESS');
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const order = await mustGetOrder(ctx, orderId);
    if (!canTransition(order.status, change.to)) return { order, changed: false };
    if (change.onlyFrom && !change.onlyFrom.includes(order.status)) return { order, changed: false };
    const at = nowIso(ctx);
    try {
      await ctx.db.send(new TransactWriteCommand({ TransactItems: transitionItems(ctx, order, change, at) }));
      return { order: await mustGetOrder(ctx, orderId), changed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Someone else moved the order since we read it: read again and decide again.
    }
  }
  throw new PaymentError('contention', `payment order ${orderId} kept changing; try again`, {
    payment_order_id: orderId,
  });
}

/**
 * Records that the PSP captured the order's money: the order becomes SUCCESS with its wallet_updated and
 * ledger_updated flags, the pay-in is posted to the ledger and the seller's wallet is credited, in one
 * transaction. Recording it again changes nothing. An order already FAILED is not moved (answered with
 * changed=false): money captured for a failed order is a break for reconciliation, not a silent flip.
 */
export async function recordSuccess(
  ctx: PaymentsContext,
  orderId: string,
  details: { pspReference: string; actor: Actor; reason: string },
): Promise<TransitionResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const order = await mustGetOrder(ctx, orderId);
    if (!canTransition(order.status, 'SUCCESS')) return { order, changed: false };
    const at = nowIso(ctx);
    const gross = money(order.currency, order.amount_minor);
    // The rate fixed on the order when the buyer checked out, whatever the configuration says today.
    const commission = basisPointsOf(gross, order.commission_bps ?? ctx.commissionBps ?? 0, 'half_up');
    const extraItems = transitionItems(
      ctx,
      order,
      {
        to: 'SUCCESS',
        actor: details.actor,
        reason: details.reason,
        set: { psp_reference: details.pspReference, wallet_updated: true, ledger_updated: true },
      },
      at,
    );
    try {
      const posted = await recordPayIn(
        ledgerContext(ctx),
        { paymentOrderId: orderId, sellerId: order.seller_account, gross, commission },
        { extraItems },
      );
      // A replayed posting wrote nothing now (the order moved with it the first time).
      return { order: await mustGetOrder(ctx, orderId), changed: !posted.replayed };
    } catch (error) {
      if (!(error instanceof CallerConditionFailedError)) throw error;
    }
  }
  throw new PaymentError('contention', `payment order ${orderId} kept changing; try again`, {
    payment_order_id: orderId,
  });
}

/** Orders that are not terminal and whose deadline has passed, oldest first per shard. */
export async function dueOrders(
  ctx: PaymentsContext,
  now: Date,
  limitPerShard = 50,
): Promise<PaymentOrder[]> {
  const pages = await Promise.all(
    Array.from({ length: SWEEP_SHARDS }, (_, shard) =>
      ctx.db.send(
        new QueryCommand({
          TableName: ctx.tables.payments,
          IndexName: DUE_INDEX,
          KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :now',
          ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':now': `${now.toISOString()}#~` },
          Limit: limitPerShard,
        }),
      ),
    ),
  );
  return pages.flatMap((page) => (page.Items ?? []).map((item) => stripKeys<PaymentOrder>(item)));
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

/** Pushes a waiting order's deadline (no status change, so no history entry); a no-op if it moved meanwhile. */
export async function postponeDeadline(
  ctx: PaymentsContext,
  order: PaymentOrder,
  deadline: string,
): Promise<void> {
  const due = dueIndexKeys(order.payment_order_id, deadline);
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: orderKey(order.payment_order_id),
        UpdateExpression: 'SET deadline = :d, gsi1pk = :pk, gsi1sk = :sk',
        ConditionExpression: '#version = :v',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':d': deadline,
          ':pk': due.gsi1pk,
          ':sk': due.gsi1sk,
          ':v': order.version,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
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
