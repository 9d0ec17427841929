/**
 * Issue 15 (4): an order's status change is ONE conditional write of the order item (no transaction), which also
 * keeps the due index; its history item is appended from the table's stream, exactly once per version, even when
 * the stream's records are delivered again and out of order.
 */
import { ConditionalCheckFailedException, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { itemChange } from '../../../lambdas/events';
import {
  dueOrders,
  getOrder,
  later,
  orderHistory,
  type PaymentOrder,
  type PaymentsContext,
  projectOrderHistory,
  transitionOrder,
  transitionUpdate,
} from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { toLambdaRecord } from '../../../sandbox/dynamodb-stream-source';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../../sandbox/local-system';
import { engineEndpoints, localDynamoClient } from '../../support/engines';
import { settledHistory, submitTestCheckout, usePayinSystem } from '../../support/payin';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
usePayinSystem((s) => {
  ({ system, ctx, psp } = s);
});

/** The payments context on a client that records every DynamoDB command sent (name and input). */
function countingContext(): {
  ctx: PaymentsContext;
  sent: { name: string; input: Record<string, unknown> }[];
} {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = localDynamoClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ name: String(context.commandName), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize' },
  );
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { ctx: { ...ctx, db }, sent };
}

/** Every record the payments table's stream holds about one order's items, in stream order per shard. */
async function streamRecordsOf(orderId: string): Promise<DynamoDBRecord[]> {
  const table = await localDynamoClient().send(new DescribeTableCommand({ TableName: ctx.tables.payments }));
  const streamArn = table.Table?.LatestStreamArn ?? '';
  const streams = new DynamoDBStreamsClient({
    endpoint: engineEndpoints().dynamodb,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const records: DynamoDBRecord[] = [];
  try {
    const stream = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of stream.StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const batch = page.Records ?? [];
        for (const r of batch) {
          if (r.dynamodb?.Keys?.pk?.S === `ORDER#${orderId}`) records.push(toLambdaRecord(r, streamArn));
        }
        // An open shard answers an empty page (and a next iterator) once everything in it was read.
        iterator = batch.length > 0 ? page.NextShardIterator : undefined;
      }
    }
  } finally {
    streams.destroy();
  }
  return records;
}

async function newOrder(label: string): Promise<PaymentOrder> {
  const { orders } = await submitTestCheckout(system, ctx, psp, {
    label,
    orders: [{ seller: `seller_${label}`, amount: '7.00' }],
    paymentMethod: 'pm_card_visa',
    startWorkflow: false,
  });
  const [order] = orders;
  if (!order) throw new Error('no order submitted');
  return order;
}

describe('order history off the write path', () => {
  it('a status change is one conditional UpdateItem that also keeps the due index, and no transaction', async () => {
    // Prepare
    const order = await newOrder('onewrite');
    const counted = countingContext();
    const deadline = later(ctx, 60_000);

    // Act
    const executing = await transitionOrder(counted.ctx, order.payment_order_id, {
      to: 'EXECUTING',
      actor: 'pay-in-workflow',
      reason: 'test: charging',
      deadline,
    });
    const writesToExecuting = counted.sent.splice(0);
    const dueWhileExecuting = await dueOrders(ctx, new Date(Date.parse(deadline) + 1_000), 1_000);
    const failed = await transitionOrder(counted.ctx, order.payment_order_id, {
      to: 'FAILED',
      actor: 'pay-in-workflow',
      reason: 'test: declined',
      set: { failure_code: 'card_declined', failure_reason: 'test decline' },
    });
    const writesToFailed = counted.sent.splice(0);
    const dueWhenFailed = await dueOrders(ctx, new Date(Date.parse(deadline) + 1_000), 1_000);

    // Assess: the version is read, then one conditional update on it; the answer is that update's result.
    for (const writes of [writesToExecuting, writesToFailed]) {
      expect(writes.map((w) => w.name)).toEqual(['GetItemCommand', 'UpdateItemCommand']);
      expect(writes[1]?.input.ConditionExpression).toBe('#version = :v');
    }
    expect(executing).toMatchObject({ changed: true, order: { status: 'EXECUTING', version: 2, deadline } });
    expect(failed).toMatchObject({ changed: true, order: { status: 'FAILED', version: 3 } });
    expect(failed.order.deadline).toBeUndefined();
    // The sparse due index: in it while waiting, out of it once terminal (the same write did both).
    const ids = (orders: PaymentOrder[]) => orders.map((o) => o.payment_order_id);
    expect(ids(dueWhileExecuting)).toContain(order.payment_order_id);
    expect(ids(dueWhenFailed)).not.toContain(order.payment_order_id);
  });

  it('a move on a version already moved on is refused by its condition', async () => {
    // Prepare
    const order = await newOrder('stale');
    await transitionOrder(ctx, order.payment_order_id, {
      to: 'EXECUTING',
      actor: 'pay-in-workflow',
      reason: 'test: charging',
      deadline: later(ctx, 60_000),
    });

    // Act: a second run that read version 1 tries its own move.
    const stale = ctx.db.send(
      new UpdateCommand(
        transitionUpdate(ctx, order, { to: 'PENDING', actor: 'psp-webhook', reason: 'late' }, 'x'),
      ),
    );

    // Assess
    await expect(stale).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(await getOrder(ctx, order.payment_order_id)).toMatchObject({ status: 'EXECUTING', version: 2 });
    await transitionOrder(ctx, order.payment_order_id, {
      to: 'FAILED',
      actor: 'pay-in-workflow',
      reason: 'test: declined',
    });
  });

  it('history is appended from the stream once per version, and replayed or reordered records change nothing', async () => {
    // Prepare: an order moved twice (version 1 written with the checkout).
    const order = await newOrder('replay');
    const orderId = order.payment_order_id;
    await transitionOrder(ctx, orderId, {
      to: 'EXECUTING',
      actor: 'pay-in-workflow',
      reason: 'test: charging',
      deadline: later(ctx, 60_000),
    });
    await transitionOrder(ctx, orderId, {
      to: 'FAILED',
      actor: 'sweeper',
      reason: 'test: declined',
      set: { failure_code: 'card_declined' },
    });
    const history = await settledHistory(ctx, orderId);
    const records = await streamRecordsOf(orderId);

    // Act: the consumer gets every record again, newest first, twice; then each order change once more directly.
    const replay = [...records].reverse();
    const answer = await system.runtime.host.invoke('publish-domain-events', {
      Records: [...replay, ...replay],
    });
    const wrote = await Promise.all(records.map((r) => projectOrderHistory(ctx, itemChange(r))));

    // Assess
    expect(history).toEqual([
      expect.objectContaining({ version: 1, from: null, to: 'NOT_STARTED', actor: 'api' }),
      expect.objectContaining({ version: 2, from: 'NOT_STARTED', to: 'EXECUTING', actor: 'pay-in-workflow' }),
      expect.objectContaining({ version: 3, from: 'EXECUTING', to: 'FAILED', actor: 'sweeper' }),
    ]);
    expect(history.map((h) => h.reason)).toEqual(['checkout submitted', 'test: charging', 'test: declined']);
    // The order item's three versions, and the three history items the consumer appended from them.
    expect(records.map((r) => `${r.eventName} ${r.dynamodb?.Keys?.sk?.S}`).sort()).toEqual(
      [
        'INSERT META',
        'MODIFY META',
        'MODIFY META',
        'INSERT HIST#000001',
        'INSERT HIST#000002',
        'INSERT HIST#000003',
      ].sort(),
    );
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(wrote.every((w) => w === false)).toBe(true);
    expect(await orderHistory(ctx, orderId)).toEqual(history);
  });
});
