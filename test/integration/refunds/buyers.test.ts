/**
 * Buyer totals and money back that no single order can bear, on the local runtime. Totals: pay-ins in two
 * currencies, a partial refund, a refund that succeeded and later failed, a lost dispute, replayed and
 * out-of-order stream records and replayed PSP events (no-ops), and a 400 for a bad buyer id. Attribution: a
 * dashboard refund and a dispute on a hosted page that paid two sellers' orders write a needs-attention
 * record and post nothing. After each test: the order and ledger invariants (useRefundsSystem).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getAttention } from '../../../lambdas/attention';
import type { ItemChange } from '../../../lambdas/events';
import { walletBalances } from '../../../lambdas/ledger';
import type { CurrencyCode } from '../../../lambdas/money';
import type { PaymentsContext } from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { type BuyerTotals, projectBuyerTotals } from '../../../lambdas/refunds/buyer-totals';
import { getDispute } from '../../../lambdas/refunds/disputes';
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
const run = Date.now().toString(36);
let counter = 0;
const unique = (label: string) => `${label}_${run}_${(++counter).toString(36)}`;

useRefundsSystem((s) => {
  ({ system, ctx, psp, mb, sim } = s);
});

async function paid(
  buyerId: string,
  orders: { seller: string; amount: string }[],
  currency: CurrencyCode,
  paymentMethod = 'pm_card_visa',
) {
  const result = await submitTestCheckout(system, ctx, psp, {
    label: 'bt',
    orders,
    paymentMethod,
    currency,
    buyerId,
  });
  const done = await waitForOrders(
    ctx,
    result.orders.map((o) => o.payment_order_id),
  );
  for (const order of done) expect(order.status).toBe('SUCCESS');
  return done;
}

const totalsOf = (buyerId: string) =>
  callApi<BuyerTotals>(system, 'GET', `/v1/buyers/${encodeURIComponent(buyerId)}/totals`);

/** The buyer's totals once they equal `expected` (the projection follows the stream within seconds). */
async function totalsBecome(buyerId: string, expected: BuyerTotals['totals']) {
  return eventually(async () => {
    const answer = await totalsOf(buyerId);
    expect(answer.status).toBe(200);
    return JSON.stringify(answer.body.totals) === JSON.stringify(expected) ? answer.body : undefined;
  });
}

/** A committed change of a payments item as the stream carries it (for replays straight into the projection). */
async function changeOf(pk: string, image: (item: Record<string, unknown>) => Record<string, unknown>) {
  const { Item } = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payments, Key: { pk, sk: 'META' }, ConsistentRead: true }),
  );
  if (!Item) throw new Error(`${pk} not found`);
  const change: ItemChange = { pk, sk: 'META', eventName: 'MODIFY', newImage: image(Item), oldImage: {} };
  return change;
}

const buyerCtx = () => ({
  db: ctx.db,
  tables: { payments: ctx.tables.payments, wallets: ctx.tables.wallets },
});

describe('GET /v1/buyers/{buyer_id}/totals', () => {
  it('sums per currency what the buyer paid, net of refunds and disputes lost; replays change nothing', async () => {
    const buyer = unique('buyer');
    const seller = unique('s_bt');
    const [usdA, usdB] = await paid(
      buyer,
      [
        { seller, amount: '100.00' },
        { seller, amount: '20.00' },
      ],
      'USD',
    );
    const [eur] = await paid(buyer, [{ seller, amount: '50.00' }], 'EUR', 'pm_sim_refund_fails');
    if (!usdA || !usdB || !eur) throw new Error('orders missing');
    await totalsBecome(buyer, [
      {
        currency: 'EUR',
        paid: '50.00',
        refunded: '0.00',
        disputes_lost: '0.00',
        net: '50.00',
        net_minor: 5000,
        orders: 1,
      },
      {
        currency: 'USD',
        paid: '120.00',
        refunded: '0.00',
        disputes_lost: '0.00',
        net: '120.00',
        net_minor: 12000,
        orders: 2,
      },
    ]);

    // A partial refund of a USD order, through the API.
    const part = await callApi(system, 'POST', `/v1/payments/${usdA.payment_order_id}/refunds`, {
      amount: '30.00',
    });
    expect(part.body).toMatchObject({ status: 'succeeded' });
    // A EUR refund the PSP reports succeeded, then fails days later: counted, then not.
    const eurRefund = await callApi(system, 'POST', `/v1/payments/${eur.payment_order_id}/refunds`, {
      amount: '10.00',
    });
    expect(eurRefund.body).toMatchObject({ status: 'succeeded' });
    const eurTotals = (refunded: string, net: string, netMinor: number) => ({
      currency: 'EUR' as CurrencyCode,
      paid: '50.00',
      refunded,
      disputes_lost: '0.00',
      net,
      net_minor: netMinor,
      orders: 1,
    });
    const usdTotals = (disputesLost: string, net: string, netMinor: number) => ({
      currency: 'USD' as CurrencyCode,
      paid: '120.00',
      refunded: '30.00',
      disputes_lost: disputesLost,
      net,
      net_minor: netMinor,
      orders: 2,
    });
    await totalsBecome(buyer, [eurTotals('10.00', '40.00', 4000), usdTotals('0.00', '90.00', 9000)]);
    sim.settleRefund(String(eurRefund.body.psp_refund_id), 'failed', 'expired_or_canceled_card');
    await eventually(async () =>
      (await getRefund(mb, String(eurRefund.body.refund_id)))?.status === 'failed' ? true : undefined,
    );
    await totalsBecome(buyer, [eurTotals('0.00', '50.00', 5000), usdTotals('0.00', '90.00', 9000)]);

    // A dispute the seller loses on the other USD order: the buyer kept 20.00.
    const dispute = sim.openDispute({ paymentIntent: usdB.psp_reference as string });
    await eventually(async () =>
      (await getDispute(mb, dispute.id))?.steps.includes('funds_withdrawn') ? true : undefined,
    );
    sim.closeDispute(dispute.id, 'lost');
    const settled = await totalsBecome(buyer, [
      eurTotals('0.00', '50.00', 5000),
      usdTotals('20.00', '70.00', 7000),
    ]);

    // Replays: every PSP event about these payments again (the webhook path), then the stream's records
    // straight into the projection, as they were (a redelivery) and older than what was applied (out of order).
    await system.psp.control.webhooksIdle();
    const intents = new Set([usdA.psp_reference, usdB.psp_reference, eur.psp_reference]);
    for (const event of system.psp.control.events()) {
      const object = event.data.object as { id?: string; payment_intent?: string };
      if (intents.has(object.payment_intent ?? '') || intents.has(object.id ?? ''))
        system.psp.control.redeliver(event.id);
    }
    await system.psp.control.webhooksIdle();
    const refundPk = `REFUND#${String(eurRefund.body.refund_id)}`;
    const replays = [
      await changeOf(`ORDER#${usdA.payment_order_id}`, (item) => ({ ...item, status: 'SUCCESS' })),
      await changeOf(refundPk, (item) => item),
      // The refund's older "succeeded" record arriving after its "failed" one.
      await changeOf(refundPk, (item) => ({
        ...item,
        status: 'succeeded',
        version: Number(item.version) - 1,
      })),
      await changeOf(`DISPUTE#${dispute.id}`, (item) => item),
    ];
    for (const change of replays) expect(await projectBuyerTotals(buyerCtx(), change)).toBe('stale');
    await new Promise((r) => setTimeout(r, 500));
    expect((await totalsOf(buyer)).body).toEqual(settled);
  });

  it('answers an empty list for a buyer who never paid, and 400 for a malformed buyer id, writing nothing', async () => {
    const nobody = await totalsOf(unique('buyer_none'));
    expect(nobody.status).toBe(200);
    expect(nobody.body.totals).toEqual([]);

    for (const bad of ['has space', 'x'.repeat(300), 'semi;colon']) {
      const answer = await totalsOf(bad);
      expect(answer.status, bad).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: 'validation_error' } });
    }
    const card = await totalsOf('4242424242424242');
    expect(card.status).toBe(400);
  });
});

describe('money back on a hosted page that paid several orders', () => {
  async function hostedTwoSellers() {
    const buyer = unique('buyer_h');
    const sellers = [unique('s_h1'), unique('s_h2')];
    const result = await submitTestCheckout(system, ctx, psp, {
      label: 'bth',
      orders: [
        { seller: sellers[0] as string, amount: '30.00' },
        { seller: sellers[1] as string, amount: '70.00' },
      ],
      buyerId: buyer,
    });
    const page = await payHostedPage(result.checkout.payment_page_url ?? '');
    expect([302, 303]).toContain(page.status);
    const orders = await waitForOrders(
      ctx,
      result.orders.map((o) => o.payment_order_id),
    );
    expect(orders.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
    const intent = orders[0]?.psp_reference as string;
    expect(orders[1]?.psp_reference).toBe(intent);
    return { buyer, sellers, orders, intent };
  }

  async function available(seller: string): Promise<bigint> {
    const [w] = await walletBalances(
      { db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } },
      seller,
    );
    return w?.available.minor ?? 0n;
  }

  it('a dashboard refund and a dispute of it write money_back_unattributed and post nothing', async () => {
    const { buyer, sellers, orders, intent } = await hostedTwoSellers();
    const before = await Promise.all(sellers.map(available));
    expect(before).toEqual([2_700n, 6_300n]);

    const refund = sim.dashboardRefund({ paymentIntent: intent, amount: 1_000 });
    const attention = attentionContextOf(system);
    const refundRecord = await eventually(() =>
      getAttention(attention, `money_back_unattributed:refund:${refund.id}`),
    );
    expect(refundRecord).toMatchObject({
      kind: 'money_back_unattributed',
      status: 'OPEN',
      details: {
        psp_refund_id: refund.id,
        payment_intent: intent,
        checkout_id: orders[0]?.checkout_id,
        payment_order_ids: orders.map((o) => o.payment_order_id).join(','),
        amount_minor: 1_000,
        currency: 'USD',
      },
    });

    const dispute = sim.openDispute({ paymentIntent: intent, amount: 5_000 });
    const disputeRecord = await eventually(() =>
      getAttention(attention, `money_back_unattributed:refund:${dispute.id}`),
    );
    expect(disputeRecord?.details).toMatchObject({ dispute_id: dispute.id, amount_minor: 5_000 });

    // Nothing guessed: no refund or dispute recorded, no seller charged, the buyer's totals untouched.
    await system.psp.control.webhooksIdle();
    expect(await getRefund(mb, refund.id)).toBeUndefined();
    expect(await getDispute(mb, dispute.id)).toBeUndefined();
    expect(await Promise.all(sellers.map(available))).toEqual(before);
    await totalsBecome(buyer, [
      {
        currency: 'USD',
        paid: '100.00',
        refunded: '0.00',
        disputes_lost: '0.00',
        net: '100.00',
        net_minor: 10000,
        orders: 2,
      },
    ]);

    // Our own refund of one of its orders is still attributed (by its metadata), and only to that order.
    const ours = await callApi(system, 'POST', `/v1/payments/${orders[1]?.payment_order_id}/refunds`, {
      amount: '7.00',
    });
    expect(ours.status).toBe(201);
    expect(ours.body).toMatchObject({ status: 'succeeded' });
    await system.psp.control.webhooksIdle();
    expect(await Promise.all(sellers.map(available))).toEqual([2_700n, 6_300n - 630n]);
  });
});
