/**
 * The sweep's dispatcher on the real local runtime: it sends a shard worker only to the shards with an order
 * due (an idle minute sends none: no message, no worker, no lease writes), the order it found is swept to its
 * end, and a shard whose due index cannot be read is dispatched anyway.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrder, type PaymentsContext } from '../../../lambdas/payments';
import { dueShards } from '../../../lambdas/payments/due-shards';
import { dueShard, SWEEP_SHARDS } from '../../../lambdas/payments/keys';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  assertLedgerInvariants,
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { startTestSystem } from '../../support/system';

const SWEEP = 'sweep-payment-orders-every-minute';
let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;

beforeAll(async () => {
  system = await startTestSystem();
  ctx = paymentsContextOf(system);
  psp = testPaymentProvider(system);
});
afterAll(async () => {
  await system?.stop();
});

describe('the sweep dispatcher', () => {
  it('sends no worker while nothing is due, then one to the shard of the order that fell due, which it ends', async () => {
    expect(await system.runtime.runSchedule(SWEEP)).toEqual({ shards: 0, idle: SWEEP_SHARDS });
    expect(await dueShards(ctx.db, ctx.tables.payments, new Date())).toEqual({ shards: [], unread: 0 });

    // A checkout stored now: its orders are due a sweep only if their workflow has not ended them in 2 min.
    const fresh = await submitTestCheckout(system, ctx, psp, {
      label: 'fresh',
      orders: [{ seller: 'seller_books', amount: '11.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    expect((await dueShards(ctx.db, ctx.tables.payments, new Date())).shards).toEqual([]);
    expect(await system.runtime.runSchedule(SWEEP)).toEqual({ shards: 0, idle: SWEEP_SHARDS });
    // One stored 5 minutes ago whose workflow never ran: due now.
    const earlier = { ...ctx, clock: () => new Date(Date.now() - 5 * 60_000) };
    const { checkout } = await submitTestCheckout(system, earlier, psp, {
      label: 'dispatch',
      orders: [{ seller: 'seller_books', amount: '12.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const orderId = checkout.order_ids[0] ?? '';
    expect((await getOrder(ctx, orderId))?.status).toBe('NOT_STARTED');
    expect((await dueShards(ctx.db, ctx.tables.payments, new Date())).shards).toEqual([dueShard(orderId)]);

    expect(await system.runtime.runSchedule(SWEEP)).toEqual({ shards: 1, idle: SWEEP_SHARDS - 1 });
    const [order] = await waitForOrders(ctx, [orderId]);
    expect(order).toMatchObject({ status: 'SUCCESS', ledger_updated: true });
    await assertLedgerInvariants(ctx);
    // Terminal, so out of the due index: the next minute is idle again; the fresh one was left alone.
    expect(await system.runtime.runSchedule(SWEEP)).toEqual({ shards: 0, idle: SWEEP_SHARDS });
    expect((await getOrder(ctx, fresh.checkout.order_ids[0] ?? ''))?.status).toBe('NOT_STARTED');
  });

  it('dispatches a shard whose due index cannot be read (throttled), and only the others that are due', async () => {
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(db);
    try {
      mock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => {
        const shard = input.ExpressionAttributeValues[':pk'];
        if (shard === 'DUE#3')
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return { Items: shard === 'DUE#5' ? [{ pk: 'ORDER#o', gsi1pk: 'DUE#5' }] : [] };
      });
      expect(await dueShards(db, 'payments', new Date())).toEqual({ shards: [3, 5], unread: 1 });
    } finally {
      mock.restore();
    }
  });
});
