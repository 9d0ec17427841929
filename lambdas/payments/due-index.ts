/**
 * The sweeper's due index (gsi1, sparse: only orders that are not terminal): reading the orders whose deadline
 * passed, and pushing a waiting order's deadline.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PaymentsContext } from './context';
import { DUE_INDEX, dueIndexKeys, dueQuery, orderKey, SWEEP_SHARDS } from './keys';
import { isTerminal, type PaymentOrder } from './model';
import { getOrders } from './order-transitions';

/** An order the due index lists: its id only (the index copies keys only; the sweeper reads the order itself). */
export interface DueOrder {
  readonly payment_order_id: string;
}

const dueOrderOf = (item: Record<string, unknown>): DueOrder => ({
  payment_order_id: String(item.pk).slice('ORDER#'.length),
});

/**
 * Orders that are not terminal and whose deadline has passed, oldest first per shard, each read from the table
 * (consistently) after the index named it: an operator's and a test's view. The sweeper pages by shard.
 */
export async function dueOrders(
  ctx: PaymentsContext,
  now: Date,
  limitPerShard = 50,
): Promise<PaymentOrder[]> {
  const pages = await Promise.all(
    Array.from({ length: SWEEP_SHARDS }, (_, shard) => dueOrdersPage(ctx, shard, now, limitPerShard)),
  );
  const ids = pages.flatMap((page) => page.orders.map((o) => o.payment_order_id));
  const byId = new Map((await getOrders(ctx, ids)).map((o) => [o.payment_order_id, o]));
  // Still due when read: an order that became terminal meanwhile left the index.
  return ids.flatMap((id) => {
    const order = byId.get(id);
    return order && !isTerminal(order.status) ? [order] : [];
  });
}

/** One page of one shard's due orders (oldest deadline first), and where the next page starts, if any. */
export async function dueOrdersPage(
  ctx: PaymentsContext,
  shard: number,
  now: Date,
  limit: number,
  startKey?: Record<string, unknown>,
): Promise<{ orders: DueOrder[]; nextKey?: Record<string, unknown> }> {
  const page = await ctx.db.send(
    new QueryCommand({
      TableName: ctx.tables.payments,
      IndexName: DUE_INDEX,
      ...dueQuery(shard, now),
      Limit: limit,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  return {
    orders: (page.Items ?? []).map(dueOrderOf),
    ...(page.LastEvaluatedKey ? { nextKey: page.LastEvaluatedKey } : {}),
  };
}

/**
 * Pushes a waiting order's deadline (no status change, so no history entry); a no-op if it moved meanwhile.
 * With `stuck`, also counts a sweep that could not move the order (`stuck_sweeps`). Answers that count
 * (undefined when nothing was written).
 */
export async function postponeDeadline(
  ctx: PaymentsContext,
  order: PaymentOrder,
  deadline: string,
  stuck = false,
): Promise<number | undefined> {
  const due = dueIndexKeys(order.payment_order_id, deadline);
  try {
    const updated = await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: orderKey(order.payment_order_id),
        UpdateExpression: `SET deadline = :d, gsi1pk = :pk, gsi1sk = :sk${stuck ? ' ADD stuck_sweeps :one' : ''}`,
        ConditionExpression: '#version = :v',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: {
          ':d': deadline,
          ':pk': due.gsi1pk,
          ':sk': due.gsi1sk,
          ':v': order.version,
          ...(stuck ? { ':one': 1 } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Number(updated.Attributes?.stuck_sweeps ?? 0);
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return undefined;
  }
}
