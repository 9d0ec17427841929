/**
 * Issue 8 (1, 2): an order is FAILED only on the PSP's evidence, and the PSP's id is stored before the
 * irreversible step. On the local system with the real Stripe SDK against the simulator.
 */
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { dueOrders, getOrder, type PaymentsContext, sweepDueOrders } from '../../../lambdas/payments';
import { applyPayment } from '../../../lambdas/payments/apply-payment';
import { createStripeClient, StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
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

function submitQuiet(label: string, amount = '5.00', paymentMethod = 'pm_card_visa') {
  return submitTestCheckout(system, ctx, psp, {
    label,
    orders: [{ seller: `seller_${label}`, amount }],
    paymentMethod,
    startWorkflow: false,
  });
}

async function sweepAt(at: number, context: PaymentsContext = ctx, provider = psp) {
  return sweepDueOrders(
    context,
    executionDependencies(system, context, provider),
    await dueOrders(context, new Date(at)),
  );
}

function succeededIntents(orderId: string): number {
  return new Set(
    system.psp.control
      .events()
      .filter((e) => e.type === 'payment_intent.succeeded')
      .filter(
        (e) =>
          (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id === orderId,
      )
      .map((e) => (e.data.object as { id: string }).id),
  ).size;
}

describe('FAILED only on evidence', () => {
  it('a reused idempotency key (type idempotency_error, empty code) leaves the order unresolved, not FAILED', async () => {
    const { checkout } = await submitQuiet('idem');
    const orderId = checkout.order_ids[0] ?? '';
    // Someone used the order's keys with other parameters first (our bug): the PSP answers idempotency_error.
    const raw = new Stripe('sk_test_e2e', {
      host: new URL(system.endpoints.psp).hostname,
      port: Number(new URL(system.endpoints.psp).port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    for (const key of [`payin-${orderId}`, `payin-create-${orderId}`]) {
      await raw.paymentIntents.create({ amount: 999, currency: 'usd' }, { idempotencyKey: key });
    }
    const [waiting] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'NOT_STARTED'),
    );
    const report = await sweepAt(Date.parse(waiting?.deadline ?? '') + 1_000);
    expect(report.errors.map((e) => e.payment_order_id)).toContain(orderId);
    const order = await getOrder(ctx, orderId);
    expect(order?.status).toBe('EXECUTING');
    expect(order?.failure_code).toBeUndefined();
  });

  it('our own 401 (a wrong or rotated key) fails no buyer: the order waits and completes with the right key', async () => {
    const { checkout } = await submitQuiet('unauth');
    const orderId = checkout.order_ids[0] ?? '';
    const wrongKey = new StripePaymentProvider(
      createStripeClient({ apiKey: 'sk_live_revoked', apiBase: system.endpoints.psp, timeoutMs: 2_000 }),
    );
    const [waiting] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'NOT_STARTED'),
    );
    const due = Date.parse(waiting?.deadline ?? '') + 1_000;
    const report = await sweepAt(due, ctx, wrongKey);
    expect(report.errors.map((e) => e.payment_order_id)).toContain(orderId);
    expect((await getOrder(ctx, orderId))?.status).toBe('EXECUTING');
    // The key is fixed: the next sweep (after the back-off) charges once.
    await sweepAt(due + 60 * 60_000);
    expect((await getOrder(ctx, orderId))?.status).toBe('SUCCESS');
    expect(succeededIntents(orderId)).toBe(1);
  });
  it("keeps the decline as the reason when our own cancel's payment_intent.canceled is applied first", async () => {
    const { checkout } = await submitQuiet('declrace', '5.00', 'pm_card_chargeDeclinedInsufficientFunds');
    const orderId = checkout.order_ids[0] ?? '';
    // The webhook consumer wins the race: the canceled intent (as a PSP that clears last_payment_error on
    // cancel shows it) is applied before our cancel call returns to the executor.
    const racing = Object.create(psp) as StripePaymentProvider;
    racing.cancelPayment = async (id, key) => {
      const canceled = await psp.cancelPayment(id, key);
      const current = await getOrder(ctx, orderId);
      if (current) {
        const { failureMessage: _dropped, ...bare } = canceled;
        await applyPayment(ctx, current, { ...bare, failureCode: 'canceled' }, 'psp-webhook');
      }
      return canceled;
    };
    const [waiting] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'NOT_STARTED'),
    );
    await sweepAt(Date.parse(waiting?.deadline ?? '') + 1_000, ctx, racing);
    const order = await getOrder(ctx, orderId);
    expect(order).toMatchObject({ status: 'FAILED', failure_code: 'insufficient_funds' });
    expect(order?.pending_reason).toBeUndefined();
  });
});

describe("the PSP's id before the irreversible step", () => {
  it('stores the PaymentIntent id before confirming; a lost confirmation is resolved by id', async () => {
    // The confirmation never gets an answer (the PSP is down for it); the create went through.
    system.psp.control.addFault({
      route: 'POST /v1/payment_intents/:id/confirm',
      kind: 'error',
      status: 503,
      count: 100,
    });
    const { checkout } = await submitQuiet('confirm_lost');
    const orderId = checkout.order_ids[0] ?? '';
    const [waiting] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'NOT_STARTED'),
    );
    const due = Date.parse(waiting?.deadline ?? '') + 1_000;
    await sweepAt(due);
    const stuck = await getOrder(ctx, orderId);
    expect(stuck?.status).toBe('EXECUTING');
    expect(stuck?.psp_reference).toMatch(/^pi_/);
    system.psp.control.clearFaults();
    await sweepAt(due + 60 * 60_000);
    const done = await getOrder(ctx, orderId);
    expect(done).toMatchObject({ status: 'SUCCESS', psp_reference: stuck?.psp_reference });
    expect(succeededIntents(orderId)).toBe(1);
  });

  it('an order untouched for 21 h (past the PSP key window margin) is still charged, once', async () => {
    const { checkout } = await submitQuiet('late');
    const orderId = checkout.order_ids[0] ?? '';
    const later = Date.now() + 21 * 60 * 60_000;
    const lateCtx: PaymentsContext = { ...ctx, clock: () => new Date(later) };
    const report = await sweepAt(later, lateCtx);
    expect(report.errors.filter((e) => e.payment_order_id === orderId)).toEqual([]);
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order?.status).toBe('SUCCESS');
    expect(succeededIntents(orderId)).toBe(1);
    expect((await settledHistory(ctx, orderId)).map((h) => h.to)).toEqual([
      'NOT_STARTED',
      'EXECUTING',
      'SUCCESS',
    ]);
  });
});
