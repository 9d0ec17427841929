/**
 * Refunds and disputes end to end on the local runtime: the API, the simulator's refunds (instant, pending
 * then failed), dashboard refunds seen only as events, disputes won, lost and an inquiry, receivables netted
 * by the next pay-in, and replays changing nothing. Every test ends with the ledger invariants (DESIGN §8).
 */
import { describe, expect, it } from 'vitest';
import { walletBalances } from '../../../lambdas/ledger';
import type { PaymentsContext } from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';
import { getDispute } from '../../../lambdas/refunds/disputes';
import type { RefundRecord } from '../../../lambdas/refunds/model';
import { StripeMoneyBackProvider } from '../../../lambdas/refunds/psp';
import { resolveDueRefunds } from '../../../lambdas/refunds/service';
import { getRefund, type MoneyBackContext, orderRefunds } from '../../../lambdas/refunds/store';
import type { LocalSystem } from '../../../sandbox/local-system';
import type { MoneyBack } from '../../../sandbox/psp/money-back';
import { crashOnceAt } from '../../support/crash';
import { submitTestCheckout, waitForOrders } from '../../support/payin';
import { useRefundsSystem } from '../../support/refunds';
import { eventually } from '../../support/runtime';
import { callApi } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let mb: MoneyBackContext;
let psp: StripePaymentProvider;
let sim: MoneyBack;
let sellers = 0;

useRefundsSystem((s) => {
  ({ system, ctx, psp, mb, sim } = s);
});

/** A paid order of `amount` for a fresh seller; the platform's commission is 10%. */
async function paidOrder(
  amount = '100.00',
  paymentMethod = 'pm_card_visa',
  seller = `s_rf_${++sellers}_${Date.now().toString(36)}`,
) {
  const result = await submitTestCheckout(system, ctx, psp, {
    label: 'rf',
    orders: [{ seller, amount }],
    paymentMethod,
  });
  const [order] = await waitForOrders(
    ctx,
    result.orders.map((o) => o.payment_order_id),
  );
  if (!order) throw new Error('no order');
  return order;
}

function pspClient() {
  return createStripeClient({ apiKey: 'sk_test_e2e', apiBase: system.endpoints.psp, timeoutMs: 5_000 });
}

function deps() {
  return { ctx: mb, psp: async () => new StripeMoneyBackProvider(pspClient()) };
}

async function wallet(seller: string) {
  const [w] = await walletBalances(
    { db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } },
    seller,
  );
  return {
    available: w?.available.minor ?? 0n,
    receivable: w?.receivable.minor ?? 0n,
    disputeHeld: w?.disputeHeld.minor ?? 0n,
  };
}

function refund(orderId: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return callApi<Record<string, unknown>>(system, 'POST', `/v1/payments/${orderId}/refunds`, body, headers);
}

async function waitRefund(id: string, done: (r: RefundRecord) => boolean): Promise<RefundRecord> {
  return eventually(async () => {
    const r = await getRefund(mb, id);
    return r && done(r) ? r : undefined;
  });
}

async function ledgerTxCount(): Promise<number> {
  const report = await import('../../../lambdas/ledger').then((l) =>
    l.verifyLedger({ db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } }),
  );
  return report.transactions;
}

describe('refunds through the API', () => {
  it('refunds part, then the rest; the seller bears it less the commission given back; the PSP agrees', async () => {
    const order = await paidOrder('100.00');
    const seller = order.seller_account;
    expect((await wallet(seller)).available).toBe(9_000n);

    const part = await refund(order.payment_order_id, { amount: '30.00' });
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({
      amount: '30.00',
      status: 'succeeded',
      borne_by: { seller: '27.00', platform_commission_returned: '3.00' },
    });
    expect((await wallet(seller)).available).toBe(6_300n);

    const rest = await refund(order.payment_order_id, {});
    expect(rest.body).toMatchObject({ amount: '70.00', status: 'succeeded' });
    expect((await wallet(seller)).available).toBe(0n);

    const charge = await system.psp.control.events().find((e) => e.type === 'charge.refunded');
    expect(charge).toBeDefined();
    const listed = await callApi<{ data: unknown[] }>(
      system,
      'GET',
      `/v1/payments/${order.payment_order_id}/refunds`,
    );
    expect(listed.body.data).toHaveLength(2);
    const one = await callApi(system, 'GET', `/v1/refunds/${String(part.body.refund_id)}`);
    expect(one.body).toMatchObject({ refund_id: part.body.refund_id, status: 'succeeded' });

    // Nothing remains: refused with a code, nothing written.
    const more = await refund(order.payment_order_id, { amount: '0.01' });
    expect(more.status).toBe(409);
    expect(more.body).toMatchObject({ error: { code: 'already_refunded' } });
    await system.psp.control.webhooksIdle();
    // Our refunds' own events came back: still exactly two refunds, posted once each.
    const after = await callApi<{ data: unknown[] }>(
      system,
      'GET',
      `/v1/payments/${order.payment_order_id}/refunds`,
    );
    expect(after.body.data).toHaveLength(2);
    expect((await wallet(seller)).available).toBe(0n);
  });

  it('refuses more than was captured, a non-SUCCESS order and bad input, writing nothing', async () => {
    const order = await paidOrder('50.00');
    const before = await ledgerTxCount();
    const tooMuch = await refund(order.payment_order_id, { amount: '50.01' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ error: { code: 'amount_exceeds_refundable' } });
    const decimals = await refund(order.payment_order_id, { amount: '1.001' });
    expect(decimals.status).toBe(400);
    const float = await refund(order.payment_order_id, { amount: 1 });
    expect(float.status).toBe(400);
    const failed = await paidOrder('20.00', 'pm_card_chargeDeclined');
    expect(failed.status).toBe('FAILED');
    const notPaid = await refund(failed.payment_order_id, {});
    expect(notPaid.status).toBe(409);
    expect(notPaid.body).toMatchObject({ error: { code: 'order_not_refundable' } });
    const missing = await refund('po_does_not_exist', {});
    expect(missing.status).toBe(404);
    expect(await ledgerTxCount()).toBe(before);
    const listed = await callApi<{ data: unknown[] }>(
      system,
      'GET',
      `/v1/payments/${order.payment_order_id}/refunds`,
    );
    expect(listed.body.data).toHaveLength(0);
  });

  it('20 concurrent partial refunds never exceed what was captured', async () => {
    const order = await paidOrder('100.00');
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => refund(order.payment_order_id, { amount: '10.00' })),
    );
    // Under load some may time out or be told to retry: whatever each answer, the totals must hold.
    expect(answers.filter((a) => a.status === 201).length).toBeGreaterThan(0);
    expect(answers.every((a) => [201, 409, 422, 500, 503].includes(a.status))).toBe(true);
    // Refunds whose PSP answer was not seen are looked up by the sweeper (same key, never a new refund).
    await resolveDueRefunds(deps());
    await system.psp.control.webhooksIdle();
    const records = await orderRefunds(mb, order.payment_order_id);
    const live = records.filter((r) => r.status === 'pending' || r.status === 'succeeded');
    const total = live.reduce((sum, r) => sum + r.amount_minor, 0);
    expect(total).toBeLessThanOrEqual(10_000);
    expect(live.every((r) => r.status === 'succeeded')).toBe(true);
    const charge = (await pspClient().charges.list({ payment_intent: order.psp_reference as string }))
      .data[0];
    expect(charge?.amount_refunded).toBe(total);
    expect((await wallet(order.seller_account)).available).toBe(BigInt(9_000 - (total * 9) / 10));
  });

  it('the same Idempotency-Key answers the first refund again, and never refunds twice', async () => {
    const order = await paidOrder('40.00');
    const key = `rf-key-${Date.now()}`;
    const first = await refund(order.payment_order_id, { amount: '10.00' }, { 'idempotency-key': key });
    const again = await refund(order.payment_order_id, { amount: '10.00' }, { 'idempotency-key': key });
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await refund(order.payment_order_id, { amount: '11.00' }, { 'idempotency-key': key });
    expect(other.status).toBe(400);
    expect((await wallet(order.seller_account)).available).toBe(3_600n - 900n);
  });

  it('a retry after the function died once the PSP refunded finds that refund: one PSP refund, not two', async () => {
    const order = await paidOrder('40.00');
    const key = `rf-died-${Date.now()}`;
    const { crashed, disarm } = crashOnceAt('refund.created');
    let first: Awaited<ReturnType<typeof refund>>;
    try {
      first = await refund(order.payment_order_id, { amount: '10.00' }, { 'idempotency-key': key });
    } finally {
      disarm();
    }
    // The function died: no answer was stored, so the retry executes again, as the same refund.
    expect(first.status).toBeGreaterThanOrEqual(500);
    expect(crashed).toHaveLength(1);
    const retried = await eventually(async () => {
      const r = await refund(order.payment_order_id, { amount: '10.00' }, { 'idempotency-key': key });
      return r.status === 201 ? r : undefined;
    });
    expect(retried.body.refund_id).toBe(crashed[0]);
    const atPsp = await pspClient().refunds.list({ payment_intent: String(order.psp_reference), limit: 10 });
    expect(atPsp.data.map((r) => r.metadata?.refund_id)).toEqual([crashed[0]]);
    expect((await orderRefunds(mb, order.payment_order_id)).map((r) => r.refund_id)).toEqual([crashed[0]]);
    // The same key on another order is another request (400), not a replay of this order's refund.
    const other = await paidOrder('40.00');
    const elsewhere = await refund(other.payment_order_id, { amount: '10.00' }, { 'idempotency-key': key });
    expect(elsewhere.status).toBe(400);
  });

  it('a refund that stays pending and then fails gives back exactly what it took', async () => {
    const order = await paidOrder('100.00', 'pm_sim_refund_pending_fails');
    const asked = await refund(order.payment_order_id, { amount: '25.00' });
    expect(asked.body).toMatchObject({ status: 'pending' });
    expect((await wallet(order.seller_account)).available).toBe(9_000n - 2_250n);
    const pspId = String(asked.body.psp_refund_id);
    sim.settleRefund(pspId, 'failed', 'lost_or_stolen_card');
    const failed = await waitRefund(String(asked.body.refund_id), (r) => r.status === 'failed');
    expect(failed.failure_reason).toBe('lost_or_stolen_card');
    expect((await wallet(order.seller_account)).available).toBe(9_000n);
    // What it took is refundable again.
    const again = await refund(order.payment_order_id, {});
    expect(again.body).toMatchObject({ amount: '100.00', status: 'pending' });
  });
});

describe('refunds made elsewhere', () => {
  it('a dashboard refund is posted once from its events, keyed by the PSP id; replays change nothing', async () => {
    const order = await paidOrder('100.00');
    const made = sim.dashboardRefund({ paymentIntent: order.psp_reference as string, amount: 2_000 });
    const record = await waitRefund(made.id, (r) => r.status === 'succeeded');
    expect(record).toMatchObject({ origin: 'psp', amount_minor: 2_000, seller_minor: 1_800 });
    expect((await wallet(order.seller_account)).available).toBe(7_200n);
    await system.psp.control.webhooksIdle();
    const before = await ledgerTxCount();
    for (const event of system.psp.control.events()) {
      const object = event.data.object as { id?: string; payment_intent?: string };
      if (object.id === made.id || object.payment_intent === order.psp_reference)
        system.psp.control.redeliver(event.id);
    }
    await system.psp.control.webhooksIdle();
    await new Promise((r) => setTimeout(r, 500));
    expect(await ledgerTxCount()).toBe(before);
    expect((await wallet(order.seller_account)).available).toBe(7_200n);
  });
});

describe('disputes', () => {
  it('a lost dispute: held, then taken; what the wallet could not cover is a receivable the next pay-in nets', async () => {
    const order = await paidOrder('100.00');
    const seller = order.seller_account;
    const dispute = sim.openDispute({ paymentIntent: order.psp_reference as string });
    await eventually(async () =>
      (await getDispute(mb, dispute.id))?.steps.includes('funds_withdrawn') ? true : undefined,
    );
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 1_000n, disputeHeld: 10_000n });
    sim.closeDispute(dispute.id, 'lost');
    const closed = await eventually(async () => {
      const d = await getDispute(mb, dispute.id);
      return d?.status === 'lost' && d.steps.includes('lost') ? d : undefined;
    });
    expect(closed).toMatchObject({ fee_minor: 1_500, is_inquiry: false });
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 1_000n, disputeHeld: 0n });
    const view = await callApi(system, 'GET', `/v1/disputes/${dispute.id}`);
    expect(view.body).toMatchObject({ status: 'lost', amount: '100.00', fee: '15.00' });

    // The seller's next pay-in (50.00, net 45.00) pays the 10.00 owed first.
    await paidOrder('50.00', undefined, seller);
    expect(await wallet(seller)).toEqual({ available: 3_500n, receivable: 0n, disputeHeld: 0n });
  });

  it('a won dispute gives the held money back; an inquiry moves no money', async () => {
    const order = await paidOrder('100.00');
    const seller = order.seller_account;
    const dispute = sim.openDispute({ paymentIntent: order.psp_reference as string, amount: 4_000 });
    await eventually(async () =>
      (await getDispute(mb, dispute.id))?.steps.includes('funds_withdrawn') ? true : undefined,
    );
    expect(await wallet(seller)).toEqual({ available: 5_000n, receivable: 0n, disputeHeld: 4_000n });
    sim.closeDispute(dispute.id, 'won');
    await eventually(async () => ((await getDispute(mb, dispute.id))?.status === 'won' ? true : undefined));
    expect(await wallet(seller)).toEqual({ available: 9_000n, receivable: 0n, disputeHeld: 0n });

    const before = await ledgerTxCount();
    const inquiry = sim.openDispute({ paymentIntent: order.psp_reference as string, kind: 'inquiry' });
    await eventually(async () => ((await getDispute(mb, inquiry.id)) ? true : undefined));
    sim.closeDispute(inquiry.id, 'won');
    await eventually(async () =>
      (await getDispute(mb, inquiry.id))?.status === 'warning_closed' ? true : undefined,
    );
    expect(await ledgerTxCount()).toBe(before);
    expect(await wallet(seller)).toEqual({ available: 9_000n, receivable: 0n, disputeHeld: 0n });
  });
});
