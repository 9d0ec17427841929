/**
 * Issue 13.4 on the real local runtime: the PSP fails (the simulator's fault control API, /_sim/faults), the
 * shared circuit opens after the threshold, a persistently failing charge is sent a bounded number of times
 * (one layer retries: the workflow), new checkouts wait (psp_degraded) without a PSP request, and after the
 * PSP recovers the fanned-out sweeper completes every order with exactly one charge each.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrders, type PaymentsContext } from '../../../lambdas/payments';
import { isTerminal, type PaymentOrder } from '../../../lambdas/payments/model';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import { localDocumentClient } from '../../support/engines';
import {
  assertLedgerInvariants,
  assertOrderInvariants,
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { eventually } from '../../support/runtime';
import { startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;

beforeAll(async () => {
  system = await startTestSystem();
  // Read when the functions first build their circuit and timing (lazily, at their first invocation).
  Object.assign(process.env, {
    PSP_CIRCUIT_FAILURE_THRESHOLD: '3',
    // Longer than step 2 takes on a loaded machine (at 1.5 s a new checkout there sometimes probed already).
    PSP_CIRCUIT_COOL_DOWN_MS: '8000',
    PAYIN_EXECUTING_TIMEOUT_MS: '1000',
  });
  ctx = paymentsContextOf(system);
  psp = testPaymentProvider(system);
});
afterAll(async () => {
  await system?.stop();
});

async function sim(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${system.endpoints.psp}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function firedOf(faultId: string): Promise<number> {
  const { data } = (await sim('GET', 'faults')) as { data: { id: string; fired: number }[] };
  return data.find((f) => f.id === faultId)?.fired ?? 0;
}

function eventsOf(orderId: string, type: string): number {
  return system.psp.control
    .events()
    .filter((e) => e.type === type)
    .filter(
      (e) => (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id === orderId,
    ).length;
}

async function circuitState(): Promise<string | undefined> {
  const got = await localDocumentClient().send(
    new GetCommand({ TableName: system.names.tables.coordination ?? '', Key: { pk: 'PSP_CIRCUIT#stripe' } }),
  );
  return got.Item?.state as string | undefined;
}

describe('the PSP circuit breaker', () => {
  it('opens on PSP failures; orders wait, then complete after recovery with one charge each', async () => {
    const fault = (await sim('POST', 'faults', {
      kind: 'error',
      route: 'POST /v1/payment_intents',
      status: 503,
    })) as { id: string };

    // 1. A charge that fails every time: the workflow's 3 attempts are the only retries (no SDK retries).
    const first = await submitTestCheckout(system, ctx, psp, {
      label: 'cbfirst',
      orders: [{ seller: 'seller_cb_a', amount: '10.00' }],
      paymentMethod: 'pm_card_visa',
    });
    await system.runtime.stepFunctions.idle();
    expect(await firedOf(fault.id)).toBe(3);
    expect(await circuitState()).toBe('open');
    const [stuck] = await getOrders(ctx, first.checkout.order_ids);
    expect(stuck?.status).toBe('EXECUTING');
    expect(stuck?.psp_reference).toBeUndefined();

    // 2. While open, new checkouts send nothing to the PSP: their orders wait, with the reason, for the sweeper.
    const waiting = await Promise.all(
      ['cbwait1', 'cbwait2'].map((label, i) =>
        submitTestCheckout(system, ctx, psp, {
          label,
          orders: [
            { seller: `seller_cb_w${i}a`, amount: '5.00' },
            { seller: `seller_cb_w${i}b`, amount: '7.00' },
          ],
          paymentMethod: 'pm_card_visa',
        }),
      ),
    );
    await system.runtime.stepFunctions.idle();
    expect(await firedOf(fault.id)).toBe(3);
    const parkedIds = waiting.flatMap((w) => w.checkout.order_ids);
    const parked = await getOrders(ctx, parkedIds);
    for (const order of parked) {
      expect(order.status).toBe('NOT_STARTED');
      expect(order.pending_reason).toBe('psp_degraded');
      expect(Date.parse(order.deadline ?? '')).toBeGreaterThan(Date.now() - 5_000);
    }
    await assertOrderInvariants(system, ctx);

    // 3. The PSP recovers. The scheduled sweeper fans out per shard; after the cool-down one order probes,
    // the circuit closes, and every order completes.
    await sim('DELETE', `faults/${fault.id}`);
    const all = [...first.checkout.order_ids, ...parkedIds];
    const done = await eventually(async () => {
      await system.runtime.runSchedule('sweep-payment-orders-every-minute');
      await new Promise((r) => setTimeout(r, 300));
      const orders = await getOrders(ctx, all);
      return orders.every((o) => isTerminal(o.status)) ? orders : undefined;
    }, 45_000);
    const orders = await waitForOrders(ctx, all, (os: PaymentOrder[]) =>
      os.every((o) => o.status === 'SUCCESS'),
    );
    expect(done.map((o) => o.status)).toEqual(all.map(() => 'SUCCESS'));
    expect(await circuitState()).toBe('closed');
    for (const order of orders) {
      expect(order.pending_reason).toBeUndefined();
      expect(eventsOf(order.payment_order_id, 'payment_intent.created')).toBe(1);
      expect(eventsOf(order.payment_order_id, 'payment_intent.succeeded')).toBe(1);
    }
    await system.runtime.stepFunctions.idle();
    await assertOrderInvariants(system, ctx);
    await assertLedgerInvariants(ctx);
  });
});
