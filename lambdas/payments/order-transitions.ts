/**
 * Order transitions: reading orders and their history, and moving an order forward. Every move is ONE
 * conditional write of the order item on the version we read (optimistic concurrency), only forward. The same
 * write keeps the due index (gsi1pk/gsi1sk, attributes of the order item) and carries the move itself
 * (`last_transition`); the history item is appended from the table's stream (history-projection.ts), off
 * the write path, so history is eventually consistent (it lags the order by the stream's delay).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TransactItem } from '../ledger';
import { businessMetrics } from '../shared/metrics';
import { MAX_ATTEMPTS, nowIso, nowOf, type PaymentsContext, stripKeys } from './context';
import { PaymentError } from './errors';
import { dueIndexKeys, orderKey } from './keys';
import {
  type Actor,
  canTransition,
  isTerminal,
  type OrderHistoryEntry,
  type OrderStatus,
  type PaymentOrder,
} from './model';

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

/**
 * An order's history, oldest first. Materialised from the table's stream: a move made a moment ago may not be
 * in it yet (eventually consistent, about a second behind the order).
 */
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
  /**
   * Move only while the order has no PSP id stored (conditional): an order without one was never confirmed,
   * so nothing can have been charged; once an id is stored, only the PSP's answer about it may end the order.
   */
  readonly onlyWithoutPspReference?: boolean;
}

export interface TransitionResult {
  readonly order: PaymentOrder;
  /** False when the order was already there or beyond: nothing was written. */
  readonly changed: boolean;
}

/**
 * The one update of one move, conditioned on the version we read: the status, the due index, and the move as
 * `last_transition` (from which the stream's consumer appends the history item).
 */
export function transitionUpdate(
  ctx: PaymentsContext,
  order: PaymentOrder,
  change: OrderChange,
  at: string,
): NonNullable<TransactItem['Update']> {
  const version = order.version + 1;
  const names: Record<string, string> = {
    '#status': 'status',
    '#version': 'version',
    '#updated_at': 'updated_at',
    '#last_transition': 'last_transition',
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
    // A terminal order waits for nothing: its deadline, its place in the due index and why it waited all go.
    removes.push('gsi1pk', 'gsi1sk', 'deadline', 'pending_reason');
  } else {
    // pending_reason says why the order waits NOW: a move that does not give a new one clears the old one
    // (e.g. psp_degraded once the order is EXECUTING).
    if (!change.set || !('pending_reason' in change.set)) removes.push('pending_reason');
  }
  if (!isTerminal(change.to) && change.deadline) {
    const due = dueIndexKeys(order.payment_order_id, change.deadline);
    Object.assign(values, { ':deadline': change.deadline, ':g1pk': due.gsi1pk, ':g1sk': due.gsi1sk });
    sets.push('deadline = :deadline', 'gsi1pk = :g1pk', 'gsi1sk = :g1sk');
  }
  const transition: OrderHistoryEntry = {
    version,
    from: order.status,
    to: change.to,
    at,
    actor: change.actor,
    reason: change.reason,
  };
  values[':transition'] = transition;
  sets.push('#last_transition = :transition');
  return {
    TableName: ctx.tables.payments,
    Key: orderKey(order.payment_order_id),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: change.onlyWithoutPspReference
      ? '#version = :v AND attribute_not_exists(psp_reference)'
      : '#version = :v',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

export async function mustGetOrder(ctx: PaymentsContext, orderId: string): Promise<PaymentOrder> {
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
    if (change.onlyWithoutPspReference && order.psp_reference) return { order, changed: false };
    const at = nowIso(ctx);
    try {
      const updated = await ctx.db.send(
        new UpdateCommand({ ...transitionUpdate(ctx, order, change, at), ReturnValues: 'ALL_NEW' }),
      );
      // Once per order: only the run whose conditional write made it FAILED counts it (the failure-rate alarm).
      if (change.to === 'FAILED') businessMetrics.payInFailed();
      return { order: stripKeys<PaymentOrder>(updated.Attributes ?? {}), changed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Someone else moved the order since we read it: read again and decide again.
    }
  }
  throw new PaymentError('contention', `payment order ${orderId} kept changing; try again`, {
    payment_order_id: orderId,
  });
}

/**
 * Notes the PSP's decline on a still-open order before the declined intent is canceled (no status change, no
 * history entry): whichever of our cancel's answer and its `payment_intent.canceled` event is applied first,
 * the FAILED order then carries the decline, not "canceled". Only for the intent the order stores.
 */
export async function noteDecline(
  ctx: PaymentsContext,
  orderId: string,
  pspReference: string,
  decline: { readonly code: string; readonly reason: string },
): Promise<void> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: orderKey(orderId),
        UpdateExpression: 'SET decline_code = :code, decline_reason = :reason',
        ConditionExpression:
          'attribute_exists(pk) AND psp_reference = :ref AND NOT (#status IN (:success, :failed))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':ref': pspReference,
          ':code': decline.code,
          ':reason': decline.reason,
          ':success': 'SUCCESS',
          ':failed': 'FAILED',
        },
      }),
    );
  } catch (error) {
    // Terminal already, or another intent: nothing to note (the order's own outcome stands).
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/**
 * Stores the PSP's id of an order's payment before it is confirmed (no status change, so no history entry).
 * The first id stored wins: a concurrent run that created another intent (possible only after the PSP forgot
 * the key) reads back the stored one and confirms that, never its own. Answers the order as stored.
 */
export async function attachPspReference(
  ctx: PaymentsContext,
  orderId: string,
  pspReference: string,
): Promise<PaymentOrder> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: orderKey(orderId),
        UpdateExpression: 'SET psp_reference = :ref',
        ConditionExpression:
          'attribute_exists(pk) AND #status = :executing AND (attribute_not_exists(psp_reference) OR psp_reference = :ref)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':ref': pspReference, ':executing': 'EXECUTING' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  return mustGetOrder(ctx, orderId);
}

/** Why an order waits while the PSP is degraded (the shared circuit is open). */
export const PSP_DEGRADED = 'psp_degraded';

/**
 * The PSP is degraded (its circuit is open): the order is not failed (nothing proves money did not move) and
 * not moved. It waits: its deadline goes past the circuit's cool-down (plus jitter, up to a quarter of the wait
 * and at most 10 s, so a backlog
 * does not return at one instant) and, unless it already waits on the buyer (PENDING), its pending_reason says
 * why. No status change, so no history entry; conditional on the version read, so a concurrent move wins.
 */
export async function waitForPsp(
  ctx: PaymentsContext,
  order: PaymentOrder,
  retryAt: string,
): Promise<PaymentOrder> {
  const wait = Math.max(0, Date.parse(retryAt) - nowOf(ctx).getTime());
  const jitter = Math.floor(Math.random() * Math.min(10_000, wait / 4));
  const deadline = new Date(Date.parse(retryAt) + jitter).toISOString();
  const due = dueIndexKeys(order.payment_order_id, deadline);
  const reason = order.status === 'PENDING' ? {} : { ':reason': PSP_DEGRADED };
  try {
    const updated = await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: orderKey(order.payment_order_id),
        UpdateExpression: `SET deadline = :d, gsi1pk = :pk, gsi1sk = :sk${order.status === 'PENDING' ? '' : ', pending_reason = :reason'}`,
        ConditionExpression: '#version = :v',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':d': deadline,
          ':pk': due.gsi1pk,
          ':sk': due.gsi1sk,
          ':v': order.version,
          ...reason,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return stripKeys<PaymentOrder>(updated.Attributes ?? {});
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return mustGetOrder(ctx, order.payment_order_id);
  }
}
