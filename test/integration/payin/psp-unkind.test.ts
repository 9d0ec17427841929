/**
 * Issue 8 (3): a pay-in under the PSP's unkind answers. A 5xx that Stripe SAVED for an idempotency key
 * (raised once the request began executing, so every retry with that key gets it again), our key refused
 * after a rotation (401), and a per-account rate limit (429). Each ends with one charge per order and every
 * order terminal, or waiting with a deadline and a record for a person.
 */
import { describe, expect, it } from 'vitest';
import { attentionId, getAttention } from '../../../lambdas/attention';
import { dueOrders, getOrder, type PaymentsContext, sweepDueOrders } from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { localSecretValueEnvVar } from '../../../lib/manifest';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  attentionContextOf,
  executionDependencies,
  submitTestCheckout,
  usePayinSystem,
  waitForOrders,
} from '../../support/payin';
import { eventually } from '../../support/runtime';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
usePayinSystem(
  (s) => {
    ({ system, ctx, psp } = s);
  },
  {
    afterEachTest: async (s) => {
      s.system.psp.control.setRateLimit(undefined);
      await s.system.psp.control.webhooksIdle();
    },
  },
);

const FAR_FUTURE = () => new Date(Date.now() + 365 * 86_400_000);

function intentsOf(orderId: string): { created: Set<string>; succeeded: Set<string> } {
  const created = new Set<string>();
  const succeeded = new Set<string>();
  for (const event of system.psp.control.events()) {
    const object = event.data.object as { id?: string; metadata?: Record<string, string> };
    if (object.metadata?.payment_order_id !== orderId || !object.id) continue;
    if (event.type === 'payment_intent.created') created.add(object.id);
    if (event.type === 'payment_intent.succeeded') succeeded.add(object.id);
  }
  return { created, succeeded };
}

describe('a 5xx the PSP saved for the idempotency key', () => {
  it.each([
    ['confirm, work committed', 'POST /v1/payment_intents/:id/confirm', true],
    ['confirm, nothing committed', 'POST /v1/payment_intents/:id/confirm', false],
    ['create, work committed', 'POST /v1/payment_intents', true],
    ['create, nothing committed', 'POST /v1/payment_intents', false],
  ])(
    'on %s: the order ends SUCCESS with one charge (lookup by id or a new key, not a stuck order)',
    async (_what, route, executed) => {
      system.psp.control.addFault({ kind: 'stored_error', route, executed, count: 1 });
      const { checkout } = await submitTestCheckout(system, ctx, psp, {
        label: 'saved500',
        orders: [{ seller: 'seller_saved500', amount: '11.00' }],
        paymentMethod: 'pm_card_visa',
      });
      const [order] = await waitForOrders(ctx, checkout.order_ids, undefined, 60_000);
      expect(order?.status).toBe('SUCCESS');
      const { created, succeeded } = intentsOf(order?.payment_order_id ?? '');
      expect(succeeded.size).toBe(1);
      expect(order?.psp_reference).toBe([...succeeded][0]);
      // A create whose work was committed leaves one unconfirmed intent nobody confirms (it charges nothing).
      expect(created.size).toBe(route === 'POST /v1/payment_intents' && executed ? 2 : 1);
    },
  );
});

describe('our key refused after a rotation (401)', () => {
  it('does not fail the order: it waits, a person is told, and it is charged once the key is fixed', async () => {
    // The PSP rolls the key the functions hold; their secret is not updated yet.
    const functionsKey = system.runtime.environment[localSecretValueEnvVar('stripe-api-key')] ?? '';
    const newKey = `sk_test_rolled${Date.now().toString(36)}`;
    system.psp.control.rotateApiKey(functionsKey, newKey);
    try {
      const { checkout } = await submitTestCheckout(system, ctx, psp, {
        label: 'rotated',
        orders: [{ seller: 'seller_rotated', amount: '13.00' }],
        paymentMethod: 'pm_card_visa',
      });
      const orderId = checkout.order_ids[0] ?? '';
      const record = await eventually(
        () =>
          getAttention(
            attentionContextOf(system),
            attentionId({
              kind: 'psp_credentials_refused',
              subjectType: 'payment_order',
              subjectId: orderId,
            }),
          ),
        60_000,
      );
      expect(record).toMatchObject({
        status: 'OPEN',
        details: { payment_order_id: orderId, http_status: 401 },
      });
      const waiting = await getOrder(ctx, orderId);
      expect(waiting?.status).toBe('EXECUTING');
      expect(waiting?.deadline).toBeDefined();
      // The key is fixed (here: the sweeper runs with a key the PSP accepts): the order is charged, once.
      const report = await sweepDueOrders(
        ctx,
        executionDependencies(system, ctx, psp),
        await dueOrders(ctx, FAR_FUTURE()),
      );
      expect(report.errors).toEqual([]);
      expect((await getOrder(ctx, orderId))?.status).toBe('SUCCESS');
      expect(intentsOf(orderId).succeeded.size).toBe(1);
    } finally {
      system.psp.control.rotateApiKey(newKey, functionsKey);
    }
  });
});

describe('a per-account rate limit (429)', () => {
  it('a burst of checkouts ends with every order terminal or waiting, each charged once, and the rest after the sweeper', async () => {
    system.psp.control.setRateLimit({ requestsPerSecond: 2, burst: 3 });
    const submitted = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        submitTestCheckout(system, ctx, psp, {
          label: `limited${i}`,
          orders: [
            { seller: 'seller_limited', amount: '5.00' },
            { seller: 'seller_limited_b', amount: '6.00' },
          ],
          paymentMethod: 'pm_card_visa',
        }),
      ),
    );
    const orderIds = submitted.flatMap((s) => s.checkout.order_ids);
    // The workflows end (terminal orders, or orders left for the sweeper with a deadline).
    const payIn = system.runtime.stepFunctions.arnOf('pay-in');
    await eventually(
      async () =>
        system.runtime.stepFunctions.listExecutions(payIn, 'RUNNING').length === 0 ? true : undefined,
      120_000,
    );
    expect(system.psp.control.rateLimit()?.limited).toBeGreaterThan(0);
    system.psp.control.setRateLimit(undefined);
    for (const orderId of orderIds) {
      const order = await getOrder(ctx, orderId);
      expect(order?.status).not.toBe('FAILED');
    }
    await sweepDueOrders(ctx, executionDependencies(system, ctx, psp), await dueOrders(ctx, FAR_FUTURE()));
    const orders = await waitForOrders(ctx, orderIds, undefined, 60_000);
    expect(orders.map((o) => o.status)).toEqual(orderIds.map(() => 'SUCCESS'));
    for (const orderId of orderIds) expect(intentsOf(orderId).succeeded.size).toBe(1);
  });
});
