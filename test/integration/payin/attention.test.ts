/**
 * Issue 8 (6): a channel to a person. Each outcome that needs one writes a needs-attention record (queryable,
 * carrying what is needed to act) and emits the metric the alarm watches; the sweeper's per-order failures and
 * the age of the oldest open order are metrics.
 */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttentionContext,
  attentionSink,
  getAttention,
  listAttention,
  MetricName,
  recordAttention,
  recordingMetrics,
  resolveAttention,
} from '../../../lambdas/attention';
import { money } from '../../../lambdas/money';
import {
  applyHostedCheckout,
  applyPayment,
  dueOrders,
  getOrder,
  getOrders,
  type PaymentsContext,
  sweepDueOrders,
  transitionOrder,
} from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  assertLedgerInvariants,
  attentionContextOf,
  executionDependencies,
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let attention: AttentionContext;
let psp: StripePaymentProvider;
const metrics = recordingMetrics();

beforeAll(async () => {
  system = await startTestSystem();
  attention = { ...attentionContextOf(system), metrics };
  ctx = { ...paymentsContextOf(system), attention: attentionSink(attention), metrics };
  psp = testPaymentProvider(system);
});
afterEach(async () => {
  system.psp.control.clearFaults();
  await assertLedgerInvariants(ctx);
});
afterAll(async () => {
  await system?.stop();
});

const emitted = (name: string) => metrics.emitted.filter((m) => m.name === name);

describe('the needs-attention store', () => {
  it('records once per (kind, subject), lists by status newest first, resolves, and re-opens on a repeat', async () => {
    const before = emitted(MetricName.NeedsAttention).length;
    const input = {
      kind: 'amount_mismatch',
      subjectType: 'checkout',
      subjectId: `co_store_${Date.now()}`,
      summary: 'test',
      details: { checkout_id: 'x', expected_minor: '100' },
    } as const;
    const first = await recordAttention(attention, input);
    const again = await recordAttention(attention, input);
    expect(first.opened).toBe(true);
    expect(again.opened).toBe(false);
    expect(again.record).toMatchObject({ status: 'OPEN', occurrences: 2, subjectId: input.subjectId });
    expect(emitted(MetricName.NeedsAttention).length).toBe(before + 1);
    const open = await listAttention(attention, { status: 'OPEN' });
    expect(open.map((r) => r.attention_id)).toContain(first.record.attention_id);
    const resolved = await resolveAttention(attention, first.record.attention_id, {
      resolvedBy: 'ops@example.com',
      note: 'refunded',
    });
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolved_by: 'ops@example.com' });
    await expect(
      resolveAttention(attention, first.record.attention_id, { resolvedBy: 'x', note: 'y' }),
    ).rejects.toMatchObject({ code: 'already_resolved' });
    expect((await listAttention(attention, { status: 'OPEN' })).map((r) => r.attention_id)).not.toContain(
      first.record.attention_id,
    );
    expect((await listAttention(attention, { status: 'RESOLVED' })).map((r) => r.attention_id)).toContain(
      first.record.attention_id,
    );
    const reopened = await recordAttention(attention, input);
    expect(reopened.opened).toBe(true);
    expect(reopened.record.status).toBe('OPEN');
  });
});

describe('outcomes that need a person', () => {
  it('an order still unresolved after N sweeps: a record, and the sweeper failure metric', async () => {
    system.psp.control.addFault({
      route: 'POST /v1/payment_intents',
      kind: 'error',
      status: 503,
      count: 1000,
    });
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'stuck',
      orders: [{ seller: 'seller_stuck', amount: '3.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const orderId = checkout.order_ids[0] ?? '';
    const deps = {
      ...executionDependencies(system, ctx, psp),
      timing: {
        executingTimeoutMs: 60_000,
        pendingRecheckMs: 60_000,
        pendingRecheckMaxMs: 60_000,
        pendingExpiryMs: 24 * 3600_000,
        attentionAfterSweeps: 3,
      },
    };
    let at = Date.now() + 5 * 60_000;
    for (let sweep = 0; sweep < 3; sweep++) {
      const sweepCtx = { ...ctx, clock: () => new Date(at) };
      const due = (await dueOrders(sweepCtx, new Date(at))).filter((o) => o.payment_order_id === orderId);
      expect(due).toHaveLength(1);
      await sweepDueOrders(sweepCtx, deps, due);
      at += 5 * 60_000;
    }
    const record = await getAttention(attention, `unresolved_after_sweeps:payment_order:${orderId}`);
    expect(record).toMatchObject({ status: 'OPEN', details: { payment_order_id: orderId, stuck_sweeps: 3 } });
    expect((await getOrder(ctx, orderId))?.status).toBe('EXECUTING');
    expect(emitted(MetricName.SweeperOrderFailures).some((m) => m.value >= 1)).toBe(true);
    expect(emitted(MetricName.OldestOpenOrderAgeSeconds).at(-1)?.value).toBeGreaterThanOrEqual(10 * 60);
  });

  it('an idempotency conflict at the PSP: a record naming the order', async () => {
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'conflict',
      orders: [{ seller: 'seller_conflict', amount: '4.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const orderId = checkout.order_ids[0] ?? '';
    const url = new URL(system.endpoints.psp);
    const raw = new Stripe('sk_test_e2e', { host: url.hostname, port: Number(url.port), protocol: 'http' });
    await raw.paymentIntents.create(
      { amount: 999, currency: 'usd' },
      { idempotencyKey: `payin-create-${orderId}` },
    );
    const [waiting] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'NOT_STARTED'),
    );
    await sweepDueOrders(
      ctx,
      executionDependencies(system, ctx, psp),
      (await dueOrders(ctx, new Date(Date.parse(waiting?.deadline ?? '') + 1000))).filter(
        (o) => o.payment_order_id === orderId,
      ),
    );
    expect(await getAttention(attention, `idempotency_conflict:payment_order:${orderId}`)).toMatchObject({
      status: 'OPEN',
      details: { payment_order_id: orderId, checkout_id: checkout.checkout_id },
    });
  });

  it('money captured for a FAILED order: a record with the PSP reference and the amount', async () => {
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'capfail',
      orders: [{ seller: 'seller_capfail', amount: '6.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const orderId = checkout.order_ids[0] ?? '';
    const failed = await transitionOrder(ctx, orderId, {
      to: 'FAILED',
      actor: 'sweeper',
      reason: 'test: recorded FAILED',
      set: { failure_code: 'test' },
    });
    await applyPayment(
      ctx,
      failed.order,
      {
        pspPaymentId: 'pi_captured_late',
        status: 'succeeded',
        amount: money('USD', 600),
      },
      'psp-webhook',
    );
    expect(await getAttention(attention, `captured_for_failed_order:payment_order:${orderId}`)).toMatchObject(
      {
        details: { psp_reference: 'pi_captured_late', captured_minor: '600', captured_currency: 'USD' },
      },
    );
    expect((await getOrder(ctx, orderId))?.status).toBe('FAILED');
  });

  it('a card amount the PSP changed: a record, and nothing posted', async () => {
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'mismatch',
      orders: [{ seller: 'seller_mismatch', amount: '6.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const orderId = checkout.order_ids[0] ?? '';
    const order = await getOrder(ctx, orderId);
    await expect(
      applyPayment(
        ctx,
        order as never,
        { pspPaymentId: 'pi_other', status: 'succeeded', amount: money('USD', 601) },
        'psp-webhook',
      ),
    ).rejects.toMatchObject({ code: 'needs_attention' });
    expect(await getAttention(attention, `amount_mismatch:payment_order:${orderId}`)).toMatchObject({
      details: { expected_minor: '600', psp_amount_minor: '601' },
    });
  });
});

describe('hosted-page amounts checked (issue 8, 5)', () => {
  it('a completed page whose captured amount or currency differs from the checkout total is not posted', async () => {
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'hosted_mismatch',
      orders: [
        { seller: 'seller_hm_a', amount: '10.00' },
        { seller: 'seller_hm_b', amount: '5.00' },
      ],
    });
    for (const amount of [money('USD', 1400), money('EUR', 1500)]) {
      await expect(
        applyHostedCheckout(
          ctx,
          checkout.checkout_id,
          {
            status: 'complete',
            paid: true,
            pspPaymentId: 'pi_hosted_x',
            sessionId: checkout.psp_session_id,
            amount,
          },
          'psp-webhook',
        ),
      ).rejects.toMatchObject({ code: 'needs_attention' });
    }
    const orders = await getOrders(ctx, checkout.order_ids);
    expect(orders.map((o) => o.status)).toEqual(['PENDING', 'PENDING']);
    expect(await getAttention(attention, `amount_mismatch:checkout:${checkout.checkout_id}`)).toMatchObject({
      status: 'OPEN',
      details: { checkout_id: checkout.checkout_id, expected_minor: '1500', expected_currency: 'USD' },
    });
    // The right amount is posted.
    await applyHostedCheckout(
      ctx,
      checkout.checkout_id,
      {
        status: 'complete',
        paid: true,
        pspPaymentId: 'pi_hosted_x',
        sessionId: checkout.psp_session_id,
        amount: money('USD', 1500),
      },
      'psp-webhook',
    );
    expect((await getOrders(ctx, checkout.order_ids)).map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
  });
});
