/**
 * Money going back after the money went on: a refund of a seller already paid out (the payout's transfer
 * reversed at the PSP; refused -> the seller's receivable, netted by their next pay-in), the order view with
 * its refunds and disputes, dashboard refunds and disputes of hosted-page payments, and a reversal the PSP
 * refuses for another reason reaching a person. After each test: the ledger invariants (DESIGN §8).
 */
import { describe, expect, it } from 'vitest';
import { attentionSink, getAttention, listAttention } from '../../../lambdas/attention/store';
import { walletBalances } from '../../../lambdas/ledger';
import type { PaymentsContext } from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';
import { getDispute } from '../../../lambdas/refunds/disputes';
import type { RefundRecord } from '../../../lambdas/refunds/model';
import { StripeMoneyBackProvider } from '../../../lambdas/refunds/psp';
import { resolveDueRefunds } from '../../../lambdas/refunds/service';
import { getRefund, type MoneyBackContext } from '../../../lambdas/refunds/store';
import type { LocalSystem } from '../../../sandbox/local-system';
import type { MoneyBack } from '../../../sandbox/psp/money-back';
import { attentionContextOf, payHostedPage, submitTestCheckout, waitForOrders } from '../../support/payin';
import { useRefundsSystem } from '../../support/refunds';
import { eventually } from '../../support/runtime';
import { callApi } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let mb: MoneyBackContext;
let psp: StripePaymentProvider;
let sim: MoneyBack;
let n = 0;

useRefundsSystem((s) => {
  ({ system, ctx, psp, mb, sim } = s);
  // Banks answer only when a test settles a payout.
  system.psp.control.connect.setDelayMs(365 * 86_400_000);
});

const id = (label: string) => `${label}_${++n}_${Date.now().toString(36)}`;

async function paidOrder(seller: string, amount = '100.00') {
  const result = await submitTestCheckout(system, ctx, psp, {
    label: 'po',
    orders: [{ seller, amount }],
    paymentMethod: 'pm_card_visa',
  });
  const [order] = await waitForOrders(
    ctx,
    result.orders.map((o) => o.payment_order_id),
  );
  if (!order) throw new Error('no order');
  return order;
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

async function waitRefund(refundId: string, done: (r: RefundRecord) => boolean): Promise<RefundRecord> {
  return eventually(async () => {
    const r = await getRefund(mb, refundId);
    return r && done(r) ? r : undefined;
  });
}

interface PayoutBody {
  payout_id: string;
  status: string;
  bank_payout_id?: string;
  provider_reference?: string;
}

/** Asks for a payout of everything the seller may be paid (answered 201): its id. */
async function requestPayout(seller: string): Promise<string> {
  const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
    seller_account: seller,
    currency: 'USD',
    all_payable: true,
  });
  expect(posted.status).toBe(201);
  return posted.body.payout_id;
}

/** The payout once the API shows it in `wanted` status. */
function payoutIn(payoutId: string, wanted: string, timeoutMs = 20_000): Promise<PayoutBody> {
  return eventually(async () => {
    const got = await callApi<PayoutBody>(system, 'GET', `/v1/payouts/${payoutId}`);
    return got.body.status === wanted ? got.body : undefined;
  }, timeoutMs);
}

/** Asks for a refund of `amount` of the order through the API (answered 201): its id. */
async function requestRefund(orderId: string, amount: string): Promise<string> {
  const asked = await callApi<Record<string, unknown>>(system, 'POST', `/v1/payments/${orderId}/refunds`, {
    amount,
  });
  expect(asked.status).toBe(201);
  return String(asked.body.refund_id);
}

/** A seller with a Connect account, paid 100.00 (net 90.00), then paid out all of it to their bank. */
async function paidOutSeller(label: string) {
  const seller = `seller_${id(label)}`;
  const account = `acct_${id(label)}`;
  const put = await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
    destination: { provider: 'stripe_connect', account },
  });
  expect(put.status).toBe(201);
  const order = await paidOrder(seller);
  const payoutId = await requestPayout(seller);
  const submitted = await payoutIn(payoutId, 'SUBMITTED');
  system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
  const paid = await payoutIn(payoutId, 'PAID');
  expect(await wallet(seller)).toEqual({ available: 0n, receivable: 0n, disputeHeld: 0n });
  return { seller, account, order, payout: paid };
}

/**
 * The functions' own key (lib/manifest: stripe-api-key's local value): Stripe scopes idempotency keys per API
 * key, so the sweeper run here must ask with the key the functions asked with.
 */
function stripe() {
  return createStripeClient({
    apiKey: 'sk_test_local_simulator',
    apiBase: system.endpoints.psp,
    timeoutMs: 5_000,
  });
}

describe('a refund after the seller was paid out', () => {
  it("reverses the payout's transfer at the PSP when the seller's PSP balance covers it", async () => {
    const { seller, account, order, payout } = await paidOutSeller('rev_ok');
    // The connected account has money again (e.g. another platform's transfer): the reversal can be paid.
    sim.setConnectedBalance(account, 'usd', 5_000);
    const refundId = await requestRefund(order.payment_order_id, '10.00');
    const done = await waitRefund(refundId, (r) => r.reversal?.status === 'succeeded');
    expect(done.reversal).toMatchObject({
      payout_id: payout.payout_id,
      transfer_id: payout.provider_reference,
      amount_minor: 900,
    });
    // The seller bore 9.00 (10.00 less the 1.00 commission given back): owed, then paid back by the reversal.
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 0n, disputeHeld: 0n });
    const transfer = await stripe().transfers.retrieve(payout.provider_reference ?? '');
    expect(transfer.amount_reversed).toBe(900);
    expect(sim.connectedBalance(account, 'usd')).toBe(4_100);
    const view = await callApi(system, 'GET', `/v1/refunds/${refundId}`);
    expect(view.body).toMatchObject({
      status: 'succeeded',
      transfer_reversal: { status: 'succeeded', amount: '9.00', payout_id: payout.payout_id },
    });

    // Its events coming back (refund.*, charge.refunded, transfer.reversed) reverse nothing twice.
    await system.psp.control.webhooksIdle();
    for (const event of system.psp.control.events()) {
      const object = event.data.object as { id?: string; payment_intent?: string };
      if (object.payment_intent === order.psp_reference || object.id === payout.provider_reference)
        system.psp.control.redeliver(event.id);
    }
    await system.psp.control.webhooksIdle();
    expect((await stripe().transfers.retrieve(payout.provider_reference ?? '')).amount_reversed).toBe(900);
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 0n, disputeHeld: 0n });
  });

  it('keeps the receivable when the PSP refuses the reversal, and the next pay-in nets it', async () => {
    const { seller, order, payout } = await paidOutSeller('rev_refused');
    // Paid out to the bank: the connected account holds nothing, so Stripe refuses (balance_insufficient).
    const refundId = await requestRefund(order.payment_order_id, '10.00');
    const refused = await waitRefund(refundId, (r) => r.reversal?.status === 'refused');
    expect(refused.reversal).toMatchObject({
      failure_code: 'balance_insufficient',
      payout_id: payout.payout_id,
    });
    expect(refused.status).toBe('succeeded');
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 900n, disputeHeld: 0n });
    expect((await stripe().transfers.retrieve(payout.provider_reference ?? '')).amount_reversed).toBe(0);
    const w = await callApi<{ balances: { not_payable_reasons?: string[] }[] }>(
      system,
      'GET',
      `/v1/sellers/${seller}/wallet`,
    );
    expect(w.body.balances[0]?.not_payable_reasons).toContain('negative_balance');
    // An expected refusal is no one's task: no needs-attention record.
    expect(
      await getAttention(attentionContextOf(system), `transfer_reversal_failed:refund:${refundId}`),
    ).toBeUndefined();

    // The seller's next pay-in (50.00, net 45.00) pays the 9.00 owed first.
    await paidOrder(seller, '50.00');
    expect(await wallet(seller)).toEqual({ available: 3_600n, receivable: 0n, disputeHeld: 0n });
  });

  it('takes nothing from the money of a payout still in flight: its bank payout goes through', async () => {
    const { seller, account, order, payout: first } = await paidOutSeller('rev_inflight');
    await paidOrder(seller, '50.00');
    // The next payout's transfer is made, its bank payout not yet (the PSP fails it for now): the connected
    // account holds the payout's 45.00, and only for it.
    const fault = system.psp.control.addFault({ kind: 'error', route: 'POST /v1/payouts', status: 500 });
    const second = await requestPayout(seller);
    await eventually(async () => {
      const found = await stripe().transfers.list({ transfer_group: second, limit: 1 });
      return found.data.length > 0 ? true : undefined;
    }, 20_000);
    expect(sim.connectedBalance(account, 'usd')).toBe(4_500);

    const refundId = await requestRefund(order.payment_order_id, '10.00');
    const refunded = await waitRefund(refundId, (r) => r.status === 'succeeded');
    // No reversal asked while the payout is open: the seller owes the 9.00, their next pay-ins net it.
    expect(refunded.reversal).toBeUndefined();
    expect((await stripe().transfers.retrieve(first.provider_reference ?? '')).amount_reversed).toBe(0);
    expect(sim.connectedBalance(account, 'usd')).toBe(4_500);
    expect((await wallet(seller)).receivable).toBe(900n);

    // The PSP recovers: the workflow's next try makes the bank payout of the whole 45.00, and it is paid.
    system.psp.control.removeFault(fault);
    const submitted = await payoutIn(second, 'SUBMITTED', 60_000);
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    await payoutIn(second, 'PAID');
    expect(sim.connectedBalance(account, 'usd')).toBe(0);
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 900n, disputeHeld: 0n });
  });
});

describe('the order view', () => {
  it('shows the order with its refunds and disputes', async () => {
    const order = await paidOrder(`seller_${id('view')}`);
    const partId = await requestRefund(order.payment_order_id, '5.00');
    const dispute = sim.openDispute({ paymentIntent: order.psp_reference as string, amount: 2_000 });
    await eventually(async () =>
      (await getDispute(mb, dispute.id))?.steps.includes('funds_withdrawn') ? true : undefined,
    );
    const view = await callApi<{ refunds: unknown[]; disputes: unknown[]; status: string }>(
      system,
      'GET',
      `/v1/payments/${order.payment_order_id}`,
    );
    expect(view.status).toBe(200);
    expect(view.body.status).toBe('SUCCESS');
    expect(view.body.refunds).toEqual([
      expect.objectContaining({ refund_id: partId, amount: '5.00', status: 'succeeded' }),
    ]);
    expect(view.body.disputes).toEqual([
      expect.objectContaining({ dispute_id: dispute.id, amount: '20.00', posted: ['funds_withdrawn'] }),
    ]);
    sim.closeDispute(dispute.id, 'won');
    await eventually(async () => ((await getDispute(mb, dispute.id))?.status === 'won' ? true : undefined));
  });
});

describe('hosted-page payments', () => {
  it('a dashboard refund and a dispute of a hosted-page payment are posted to its order', async () => {
    const seller = `seller_${id('hosted')}`;
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'hp',
      orders: [{ seller, amount: '40.00' }],
    });
    const paid = await payHostedPage(checkout.payment_page_url ?? '');
    expect([302, 303]).toContain(paid.status);
    const [order] = await waitForOrders(ctx, [...checkout.order_ids]);
    if (!order?.psp_reference) throw new Error('hosted order has no PaymentIntent');
    expect(await wallet(seller)).toMatchObject({ available: 3_600n });

    const made = sim.dashboardRefund({ paymentIntent: order.psp_reference, amount: 1_000 });
    const refund = await waitRefund(made.id, (r) => r.status === 'succeeded');
    expect(refund).toMatchObject({
      origin: 'psp',
      payment_order_id: order.payment_order_id,
      seller_minor: 900,
    });
    expect(await wallet(seller)).toMatchObject({ available: 2_700n });

    const dispute = sim.openDispute({ paymentIntent: order.psp_reference, amount: 1_000 });
    const held = await eventually(async () => {
      const d = await getDispute(mb, dispute.id);
      return d?.steps.includes('funds_withdrawn') ? d : undefined;
    });
    expect(held.payment_order_id).toBe(order.payment_order_id);
    expect(await wallet(seller)).toEqual({ available: 1_700n, receivable: 0n, disputeHeld: 1_000n });
    sim.closeDispute(dispute.id, 'lost');
    await eventually(async () =>
      (await getDispute(mb, dispute.id))?.steps.includes('lost') ? true : undefined,
    );
    expect(await wallet(seller)).toEqual({ available: 1_700n, receivable: 0n, disputeHeld: 0n });
  });
});

describe('refunds that need a person', () => {
  it('a reversal whose answer is lost is asked again with the same key; stuck, it reaches a person', async () => {
    const { seller, account, order, payout } = await paidOutSeller('rev_lost');
    sim.setConnectedBalance(account, 'usd', 50_000);
    // Every reversal request answers 500 until the fault is removed: the outcome is unknown, never guessed.
    const fault = system.psp.control.addFault({ kind: 'error', route: 'POST /v1/transfers/:id/reversals' });
    const refundId = await requestRefund(order.payment_order_id, '10.00');
    const pending = await waitRefund(
      refundId,
      (r) => r.reversal?.status === 'pending' && r.needs_lookup === true,
    );
    expect(pending.status).toBe('succeeded');
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 900n, disputeHeld: 0n });

    // The sweeper asks again (same key); still unknown and past the limit (0 h here): a person is told.
    const emitted: string[] = [];
    const sweeperDeps = {
      ctx: {
        ...mb,
        tables: { ...mb.tables, payouts: system.names.tables.payouts ?? '' },
        attention: attentionSink(attentionContextOf(system)),
        metrics: { count: (name: string) => emitted.push(name) },
      },
      psp: async () => new StripeMoneyBackProvider(stripe()),
      attentionAfterHours: 0,
    };
    const first = await resolveDueRefunds(sweeperDeps);
    expect(first.waiting).toBeGreaterThanOrEqual(1);
    const record = await getAttention(
      attentionContextOf(system),
      `transfer_reversal_failed:refund:${refundId}`,
    );
    expect(record).toMatchObject({ status: 'OPEN', subjectType: 'refund', subjectId: refundId });
    expect(emitted).toContain('RefundsNeedingAttention');
    const open = await listAttention(attentionContextOf(system), { status: 'OPEN', limit: 100 });
    expect(open.map((r) => r.attention_id)).toContain(`transfer_reversal_failed:refund:${refundId}`);

    // The PSP answers again: the next sweep reverses once, with the same key.
    system.psp.control.removeFault(fault);
    await resolveDueRefunds(sweeperDeps);
    const done = await waitRefund(refundId, (r) => r.reversal?.status === 'succeeded');
    expect(done.needs_lookup).not.toBe(true);
    expect(emitted).toContain('TransferReversalsSucceeded');
    expect(await wallet(seller)).toEqual({ available: 0n, receivable: 0n, disputeHeld: 0n });
    const transfer = await stripe().transfers.retrieve(payout.provider_reference ?? '');
    expect(transfer.amount_reversed).toBe(900);
    expect(transfer.reversals.data).toHaveLength(1);
  });
});
