/**
 * Issue 8 (8): Express workflows run at least once. The pay-in workflow started twice for one checkout, and two
 * executeOrder at once for one order, charge once per order, and the losing run moves no order.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  dueOrders,
  executeOrder,
  getCheckout,
  getOrder,
  type PaymentOrder,
  type PaymentsContext,
  sweepDueOrders,
} from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { setCrashHook } from '../../../lambdas/shared/crash-point';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  availableBalance,
  executionDependencies,
  settledHistory,
  submitTestCheckout,
  usePayinSystem,
  waitForOrders,
} from '../../support/payin';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
usePayinSystem((s) => {
  ({ system, ctx, psp } = s);
});

function intentsOf(orderId: string, type: string): number {
  return new Set(
    system.psp.control
      .events()
      .filter((e) => e.type === type)
      .filter(
        (e) =>
          (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id === orderId,
      )
      .map((e) => (e.data.object as { id: string }).id),
  ).size;
}

/** Each status change of an order is recorded once, by one run, in version order. */
async function expectOneMovePerStatus(order: PaymentOrder): Promise<void> {
  const history = await settledHistory(ctx, order.payment_order_id);
  expect(history.map((h) => h.to)).toEqual(['NOT_STARTED', 'EXECUTING', 'SUCCESS']);
  expect(history.map((h) => h.version)).toEqual([1, 2, 3]);
  expect(order.version).toBe(3);
}

describe('at least once', () => {
  it('the pay-in workflow started twice for one checkout charges each order once', async () => {
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'twice',
      orders: [
        { seller: 'seller_twice_a', amount: '11.00' },
        { seller: 'seller_twice_b', amount: '22.00' },
      ],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const sfn = new SFNClient({
      endpoint: system.endpoints.stepFunctions,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const input = JSON.stringify({
      checkout_id: checkout.checkout_id,
      payment_order_ids: checkout.order_ids,
    });
    // Express has no exactly-once start: two executions (a retried StartExecution) run the same input at once.
    await Promise.all(
      ['a', 'b'].map((run) =>
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn: system.runtime.stepFunctions.arnOf('pay-in'),
            name: `${checkout.checkout_id}-${run}`,
            input,
          }),
        ),
      ),
    );
    sfn.destroy();
    const orders = await waitForOrders(ctx, checkout.order_ids);
    await system.runtime.stepFunctions.idle();
    for (const order of orders) {
      expect(order.status).toBe('SUCCESS');
      expect(intentsOf(order.payment_order_id, 'payment_intent.succeeded')).toBe(1);
      await expectOneMovePerStatus((await getOrder(ctx, order.payment_order_id)) ?? order);
    }
    expect(await availableBalance(ctx, 'seller_twice_a', 'USD')).toBe('9.90');
    expect(await availableBalance(ctx, 'seller_twice_b', 'USD')).toBe('19.80');
  });

  it('two executeOrder at once for one order: one charge, and the losing run moves nothing', async () => {
    for (let round = 0; round < 3; round++) {
      const { checkout } = await submitTestCheckout(system, ctx, psp, {
        label: `race${round}`,
        orders: [{ seller: `seller_race_${round}`, amount: '7.00' }],
        paymentMethod: 'pm_card_visa',
        startWorkflow: false,
      });
      const orderId = checkout.order_ids[0] ?? '';
      const deps = executionDependencies(system, ctx, psp);
      const runs = await Promise.allSettled([
        executeOrder(ctx, deps, orderId, 'pay-in-workflow'),
        executeOrder(ctx, deps, orderId, 'sweeper'),
      ]);
      // A losing run may answer the order or fail (the PSP's "key in use"); a retry of it changes nothing.
      const order = await getOrder(ctx, orderId);
      if (order?.status !== 'SUCCESS') await executeOrder(ctx, deps, orderId, 'sweeper');
      const done = (await getOrder(ctx, orderId)) as PaymentOrder;
      expect(done.status).toBe('SUCCESS');
      expect(runs.some((r) => r.status === 'fulfilled' && r.value.status === 'SUCCESS')).toBe(true);
      expect(intentsOf(orderId, 'payment_intent.created')).toBe(1);
      expect(intentsOf(orderId, 'payment_intent.succeeded')).toBe(1);
      await expectOneMovePerStatus(done);
      expect(await availableBalance(ctx, `seller_race_${round}`, 'USD')).toBe('6.30');
    }
  });

  it('a sweep that dies on a later order has already closed the checkouts of the orders it moved', async () => {
    const submit = (label: string) =>
      submitTestCheckout(system, ctx, psp, {
        label,
        orders: [{ seller: `seller_${label}`, amount: '7.00' }],
        paymentMethod: 'pm_card_visa',
        startWorkflow: false,
      });
    const first = (await submit('swept_first')).checkout;
    const second = (await submit('swept_dies')).checkout;
    const [firstId, secondId] = [first.order_ids[0] ?? '', second.order_ids[0] ?? ''];
    // The sweep's invocation dies at the second order's crash point: nothing it sends after that is sent.
    let dead = false;
    const db = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: system.endpoints.dynamodb,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    db.middlewareStack.add(
      (next) => async (args) => {
        if (dead) throw new Error('the process is dead');
        return next(args);
      },
      { step: 'initialize', name: 'deadProcess' },
    );
    // Its events lost too, so that only the sweep can close the checkout (the webhook would, otherwise).
    const loss = system.psp.control.addFault({ kind: 'loss', eventType: 'payment_intent.*' });
    setCrashHook((name, subject) => {
      if (name !== 'payin.confirmed' || subject !== secondId) return;
      dead = true;
      throw new Error(`crashed at ${name}`);
    });
    try {
      const at = new Date(Date.now() + 10 * 60_000);
      const due = (await dueOrders(ctx, at)).filter((o) => [firstId, secondId].includes(o.payment_order_id));
      due.sort((a, b) => (a.payment_order_id === firstId ? -1 : b.payment_order_id === firstId ? 1 : 0));
      expect(due.map((o) => o.payment_order_id)).toEqual([firstId, secondId]);
      await expect(
        sweepDueOrders({ ...ctx, db }, executionDependencies(system, ctx, psp), due),
      ).rejects.toThrow(/dead/);
      await system.psp.control.webhooksIdle();
    } finally {
      setCrashHook(undefined);
      system.psp.control.removeFault(loss);
      db.destroy();
    }
    expect((await getOrder(ctx, firstId))?.status).toBe('SUCCESS');
    expect((await getCheckout(ctx, first.checkout_id))?.is_payment_done).toBe(true);
    // The dead sweep's own order is still due: the next sweep finishes it and its checkout.
    expect((await getCheckout(ctx, second.checkout_id))?.is_payment_done).toBe(false);
  });
});
