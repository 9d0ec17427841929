/**
 * Reconciliation end to end: a day of mixed traffic (pay-ins by card, two sellers, the hosted page, a
 * decline; a partial refund; a dispute withdrawn then won; a seller's payout by Stripe Connect, then a refund
 * of that paid-out seller clawed back by a transfer reversal), the PSP simulator's settlement file uploaded
 * to the settlements bucket, the S3 trigger, the report next to it: every row of every kind matched. Then
 * the same content again (skipped), a corrected file with every discrepancy the simulator can inject, on
 * charges and on the other kinds (each classified, the settled-but-not-recorded order repaired), the same
 * day from the PSP's API, an operator's resolutions (a link that posts), and a hand-written generic file
 * with malformed rows, a split and missing rows.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accountBalance, getTransaction } from '../../../lambdas/ledger';
import { getOrder, type PaymentsContext } from '../../../lambdas/payments';
import { createStripeClient, type StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { ReconciliationReport } from '../../../lambdas/reconciliation/report';
import { resolveBreak } from '../../../lambdas/reconciliation/resolve';
import { reconcileObject, reconcilePayoutsFromApi } from '../../../lambdas/reconciliation/run';
import { getBreak } from '../../../lambdas/reconciliation/store';
import { getDispute } from '../../../lambdas/refunds/disputes';
import type { RefundRecord } from '../../../lambdas/refunds/model';
import { getRefund } from '../../../lambdas/refunds/store';
import type { LocalSystem } from '../../../sandbox/local-system';
import type { MoneyBack } from '../../../sandbox/psp/money-back';
import {
  assertLedgerInvariants,
  payHostedPage,
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { eventually } from '../../support/runtime';
import { callApi, startTestSystem } from '../../support/system';
import { drain, putObject, readObject, runContextOf, s3Of, sqsOf } from './support';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
let bucket: string;
const day = new Date().toISOString().slice(0, 10);
const fileKey = `settlements/payout_reconciliation.itemized.5/${day}.csv`;
const reportKey = `settlements/payout_reconciliation.itemized.5/${day}.reconciliation.json`;
const orderIds: Record<string, string[]> = {};
/** The day's money going back and out: the PSP's ids of each. */
const moved = {
  refund: '',
  dispute: '',
  transfer: '',
  payoutId: '',
  clawbackRefund: '',
  reversal: '',
  dashboardRefund: '',
  /** Our id of order one's refund. */
  refundOurs: '',
};
const ledgerOf = () => ({ db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } });
const moneyBackOf = () => ({ db: ctx.db, tables: ctx.tables, policy: {} as never });

async function refundVia(orderId: string, amount: string, done = (_r: RefundRecord) => true) {
  const asked = await callApi(system, 'POST', `/v1/payments/${orderId}/refunds`, { amount });
  expect(asked.status).toBe(201);
  const id = String(asked.body.refund_id);
  return eventually(async () => {
    const r = await getRefund(moneyBackOf(), id);
    return r?.status === 'succeeded' && r.psp_refund_id && done(r) ? r : undefined;
  });
}

async function report(key = reportKey): Promise<ReconciliationReport> {
  const text = await readObject(s3Of(system), bucket, key);
  if (!text) throw new Error(`no report at ${key}`);
  return JSON.parse(text) as ReconciliationReport;
}

const classesOf = (r: ReconciliationReport) =>
  Object.fromEntries(Object.entries(r.classes).map(([c, v]) => [c, v.count]));

async function pay(label: string, orders: { seller: string; amount: string }[], paymentMethod?: string) {
  const { checkout } = await submitTestCheckout(system, ctx, psp, {
    label,
    orders,
    ...(paymentMethod ? { paymentMethod } : {}),
  });
  orderIds[label] = [...checkout.order_ids];
  return checkout;
}

beforeAll(async () => {
  // The function's EMF metric lines would flood the test output.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  system = await startTestSystem();
  ctx = paymentsContextOf(system);
  psp = testPaymentProvider(system);
  bucket = system.names.buckets.settlements ?? '';
  // A day of traffic: one seller, two sellers, a decline, and the hosted page.
  await pay('one', [{ seller: 'seller_books', amount: '30.00' }], 'pm_card_visa');
  await pay(
    'two',
    [
      { seller: 'seller_books', amount: '12.34' },
      { seller: 'seller_tea', amount: '7.66' },
    ],
    'pm_card_visa',
  );
  await pay('four', [{ seller: 'seller_tea', amount: '9.99' }], 'pm_card_visa');
  await pay('declined', [{ seller: 'seller_tea', amount: '5.00' }], 'pm_card_chargeDeclined');
  const hosted = await pay('hosted', [
    { seller: 'seller_books', amount: '20.00' },
    { seller: 'seller_tea', amount: '5.50' },
  ]);
  const paid = await payHostedPage(hosted.payment_page_url ?? '');
  expect([302, 303]).toContain(paid.status);
  await waitForOrders(ctx, Object.values(orderIds).flat());

  // Money going back: a partial refund of order one; a dispute of order four, withdrawn, then won.
  const refundOne = await refundVia(orderIds.one?.[0] ?? '', '10.00');
  moved.refund = String(refundOne.psp_refund_id);
  moved.refundOurs = refundOne.refund_id;
  const sim = system.psp.control.moneyBack as MoneyBack;
  const four = await getOrder(ctx, orderIds.four?.[0] ?? '');
  const dispute = sim.openDispute({ paymentIntent: String(four?.psp_reference) });
  moved.dispute = dispute.id;
  await eventually(async () =>
    (await getDispute(moneyBackOf(), dispute.id))?.steps.includes('funds_withdrawn') ? true : undefined,
  );
  sim.closeDispute(dispute.id, 'won');
  await eventually(async () =>
    (await getDispute(moneyBackOf(), dispute.id))?.steps.includes('funds_reinstated') ? true : undefined,
  );

  // Money going out: a seller paid out through Stripe Connect (the transfer), then a refund of their order
  // that the platform claws back from the connected account (the transfer reversal).
  const account = `acct_recon_${Date.now().toString(36)}`;
  const put = await callApi(system, 'PUT', '/v1/sellers/seller_prints', {
    destination: { provider: 'stripe_connect', account },
  });
  expect(put.status).toBe(201);
  await pay('prints', [{ seller: 'seller_prints', amount: '20.00' }], 'pm_card_visa');
  await waitForOrders(ctx, orderIds.prints ?? []);
  const posted = await callApi(system, 'POST', '/v1/payouts', {
    seller_account: 'seller_prints',
    currency: 'USD',
    all_payable: true,
  });
  expect(posted.status).toBe(201);
  moved.payoutId = String(posted.body.payout_id);
  const status = (wanted: string) =>
    eventually(async () => {
      const got = await callApi(system, 'GET', `/v1/payouts/${moved.payoutId}`);
      return got.body.status === wanted ? got.body : undefined;
    });
  const submitted = await status('SUBMITTED');
  system.psp.control.connect.settle(String(submitted.bank_payout_id));
  const paidOut = await status('PAID');
  moved.transfer = String(paidOut.provider_reference);
  sim.setConnectedBalance(account, 'usd', 5_000);
  const clawed = await refundVia(
    orderIds.prints?.[0] ?? '',
    '5.00',
    (r) => r.reversal?.status === 'succeeded',
  );
  moved.clawbackRefund = String(clawed.psp_refund_id);
  moved.reversal = String(clawed.reversal?.psp_reversal_id);
  await system.psp.control.webhooksIdle();
});
afterEach(async () => {
  await assertLedgerInvariants(ctx);
});
afterAll(async () => {
  await system?.stop();
});

describe('the settlement file through the S3 trigger', () => {
  it('reconciles a day of mixed traffic clean (every kind of row matched), posts the settlement and writes the report next to the file', async () => {
    const published = await system.psp.control.publishSettlement({ date: day });
    expect(published.key).toBe(fileKey);
    const categories = published.rows.map((row) => row.reporting_category).sort();
    expect(categories).toEqual(
      [
        ...Array(6).fill('charge'),
        'dispute',
        'dispute_reversal',
        'refund',
        'refund',
        'transfer',
        'transfer_reversal',
      ].sort(),
    );
    await system.runtime.settleBuckets();
    expect(system.runtime.failedAsyncInvocations).toEqual([]);
    const r = await report();
    expect(r.source).toMatchObject({ format: 'stripe_itemized', bucket, key: fileKey });
    // Charges: card one, card two-seller (2 PaymentIntents), four, hosted (1 PaymentIntent for 2 orders),
    // prints (the decline settles nothing); two refunds, the dispute and its reversal, the payout's transfer
    // and the claw-back's reversal.
    expect(classesOf(r)).toEqual({ matched: 12 });
    expect(r.breaks).toEqual([]);
    expect(r.payouts).toEqual([expect.objectContaining({ currency: 'USD', status: 'ok', rows: 12 })]);
    expect(r.internal?.ok).toBe(true);
    const payoutId = String(r.payouts[0]?.payout_id);
    const posted = await getTransaction(ledgerOf(), `settlement:${payoutId}:1`);
    // Charges 30.00 + 12.34 + 7.66 + 9.99 + 25.50 + 20.00 = 105.49 gross; fees 2.9 % + 0.30 per PaymentIntent:
    // 1.17 + 0.66 + 0.52 + 0.59 + 1.04 + 0.88 = 4.86. Cash: their net 100.63, less the refunds 10.00 + 5.00,
    // less the dispute 9.99 + its 15.00 fee (posted to PSP fees at the withdrawal, not again), plus its
    // reversal 9.99 and the claw-back 4.50 (5.00 less the commission given back); the transfer 18.00 was
    // taken from cash when the payout was paid.
    const byAccount = Object.fromEntries(posted?.entries.map((e) => [e.account, e.amount.minor]) ?? []);
    expect(byAccount).toEqual({ platform_cash: 7513n, psp_fees: 486n, psp_receivable: -7999n });
    // What the PSP held for us is all paid out: every capture, refund, dispute step and reversal closed.
    expect(await accountBalance(ledgerOf(), 'psp_receivable')).toEqual([
      expect.objectContaining({ currency: 'USD', minor: 0n }),
    ]);
    const csv = await readObject(s3Of(system), bucket, reportKey.replace('.json', '.csv'));
    expect(csv?.split('\n')[1]).toBe('summary,matched,,,,,,,USD,76.99,,,12,,,,');
  });

  it('acknowledges and skips the same content delivered again, changing nothing', async () => {
    const same = await readObject(s3Of(system), bucket, fileKey);
    await putObject(s3Of(system), bucket, `settlements/again/${day}.csv`, same ?? '');
    await system.runtime.settleBuckets();
    expect(
      await readObject(s3Of(system), bucket, `settlements/again/${day}.reconciliation.json`),
    ).toBeUndefined();
    const skipped = await reconcileObject(runContextOf(system, ctx), bucket, fileKey);
    expect(skipped.status).toBe('skipped');
  });

  it('classifies every discrepancy the simulator injects in a corrected file, repairs what it can, supersedes the report', async () => {
    const first = await report();
    // An order the PSP charged whose outcome we never recorded (our workflow never ran).
    const { checkout } = await submitTestCheckout(system, ctx, psp, {
      label: 'lost',
      orders: [{ seller: 'seller_books', amount: '15.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const lostOrder = checkout.order_ids[0] ?? '';
    const stripe = createStripeClient({ apiKey: 'sk_test_recon', apiBase: system.endpoints.psp });
    // Its webhooks are lost (else the webhook consumer would record it before the file arrives).
    system.psp.control.addFault({ kind: 'loss', eventType: '*' });
    const lostPi = await stripe.paymentIntents.create(
      {
        amount: 1500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        metadata: { payment_order_id: lostOrder, checkout_id: checkout.checkout_id },
      },
      { idempotencyKey: `payin-${lostOrder}` },
    );
    // A refund made in the PSP's dashboard whose events are lost too: a refund row we hold no record of.
    const two1 = await getOrder(ctx, orderIds.two?.[1] ?? '');
    const dashboard = (system.psp.control.moneyBack as MoneyBack).dashboardRefund({
      paymentIntent: String(two1?.psp_reference),
      amount: 200,
    });
    moved.dashboardRefund = dashboard.id;
    system.psp.control.clearFaults();
    expect((await getOrder(ctx, lostOrder))?.status).toBe('NOT_STARTED');
    const pi = async (label: string, i = 0) =>
      (await getOrder(ctx, orderIds[label]?.[i] ?? ''))?.psp_reference;
    await drain(sqsOf(system), system.names.queues['reconciliation-breaks']?.url ?? '');

    const published = await system.psp.control.publishSettlement({
      date: day,
      key: `settlements/payout_reconciliation.itemized.5/${day}.corrected.csv`,
      discrepancies: [
        { kind: 'amount_off', target: await pi('one'), deltaMinor: -100 },
        { kind: 'fee_off', target: await pi('two', 0), deltaMinor: 5 },
        { kind: 'currency_off', target: await pi('two', 1), currency: 'eur' },
        { kind: 'duplicate_row', target: await pi('hosted') },
        { kind: 'extra_row', amountMinor: 4321, currency: 'usd' },
        { kind: 'missing_row', target: await pi('four') },
        // The other kinds of row: a refund short, a dispute's fee off, a transfer in another currency, a
        // claw-back's reversal missing, a refund twice.
        { kind: 'amount_off', target: moved.refund, deltaMinor: -50 },
        { kind: 'fee_off', target: moved.dispute, deltaMinor: 5 },
        { kind: 'currency_off', target: moved.transfer, currency: 'eur' },
        { kind: 'missing_row', target: moved.reversal },
        { kind: 'duplicate_row', target: moved.clawbackRefund },
      ],
    });
    expect(published.applied).toHaveLength(11);
    await system.runtime.settleBuckets();
    expect(system.runtime.failedAsyncInvocations).toEqual([]);
    const r = await report();
    expect(r.supersedes).toEqual({ sha256: first.source.sha256, source: `s3://${bucket}/${fileKey}` });
    const classes = classesOf(r);
    expect(classes).toMatchObject({
      amount_mismatch: 2,
      fee_mismatch: 2,
      currency_mismatch: 2,
      duplicate_row: 2,
      missing_internally: 2,
      // The missing rows' order and reversal were posted today: within the settlement window only awaited.
      awaiting_settlement: 2,
      status_mismatch: 1,
      payout_mismatch: 1,
    });
    // Matched: the hosted page's and prints' charges, the claw-back refund (its first row), the dispute's
    // reversal, and, once repaired, the lost order's charge and the dashboard refund.
    expect(classes.matched).toBe(6);
    const byClass = (c: string) => r.breaks.filter((b) => b.class === c);
    const ofRow = (c: string, category: string) =>
      byClass(c).find(
        (b) => (b.row as { reporting_category?: string } | undefined)?.reporting_category === category,
      );
    expect(ofRow('amount_mismatch', 'charge')).toMatchObject({
      handling: 'finance',
      payment_order_id: orderIds.one?.[0],
      expected: { gross: '3000' },
      actual: { gross: '2900' },
    });
    expect(ofRow('fee_mismatch', 'charge')).toMatchObject({ payment_order_id: orderIds.two?.[0] });
    expect(ofRow('currency_mismatch', 'charge')).toMatchObject({ actual: { currency: 'EUR' } });
    expect(ofRow('missing_internally', 'charge')?.row).toMatchObject({ gross: '43.21' });
    expect(byClass('status_mismatch')[0]).toMatchObject({
      handling: 'auto_repaired',
      payment_order_id: lostOrder,
    });
    expect(typeof byClass('amount_mismatch')[0]?.line).toBe('number');
    // The other kinds, each by its own record.
    expect(ofRow('amount_mismatch', 'refund')).toMatchObject({
      handling: 'finance',
      payment_order_id: orderIds.one?.[0],
      record: expect.stringMatching(/^refund rf_/),
      expected: { gross: '-1000' },
      actual: { gross: '-1050' },
    });
    expect(ofRow('fee_mismatch', 'dispute')).toMatchObject({
      record: `dispute ${moved.dispute}`,
      payment_order_id: orderIds.four?.[0],
      expected: { fee: '1500' },
      actual: { fee: '1505' },
    });
    expect(ofRow('currency_mismatch', 'transfer')).toMatchObject({
      record: `payout ${moved.payoutId}`,
      expected: { currency: 'USD' },
      actual: { currency: 'EUR' },
    });
    expect(ofRow('duplicate_row', 'refund')?.row).toMatchObject({ source_id: moved.clawbackRefund });
    // The dashboard refund whose events were lost: the PSP's refund applied by the webhook's code, then matched.
    expect(ofRow('missing_internally', 'refund')).toMatchObject({
      record: `refund ${moved.dashboardRefund}`,
      payment_order_id: orderIds.two?.[1],
      handling: 'auto_repaired',
    });
    expect(await getRefund(moneyBackOf(), moved.dashboardRefund)).toMatchObject({
      origin: 'psp',
      status: 'succeeded',
      amount_minor: 200,
      payment_order_id: orderIds.two?.[1],
    });
    expect(r.classes.awaiting_settlement?.amounts).toEqual({ USD: '14.49' }); // 9.99 + the reversal's 4.50
    // Repaired through the payments code: SUCCESS, posted, in the history as reconciliation's doing.
    const repaired = await getOrder(ctx, lostOrder);
    expect(repaired).toMatchObject({ status: 'SUCCESS', ledger_updated: true, psp_reference: lostPi.id });
    // The breaks that need a person are on the finance queue, with what is needed to act.
    const messages = await drain(sqsOf(system), system.names.queues['reconciliation-breaks']?.url ?? '');
    const handed = messages.map((m) => (m.break as { class: string }).class).sort();
    expect(handed).toEqual(
      [
        'amount_mismatch',
        'amount_mismatch',
        'currency_mismatch',
        'currency_mismatch',
        'duplicate_row',
        'duplicate_row',
        'fee_mismatch',
        'fee_mismatch',
        'missing_internally',
        'payout_mismatch',
      ].sort(),
    );
    expect(messages[0]).toMatchObject({ day, report: `s3://${bucket}/${reportKey}` });
  });

  it('reconciles the same day from the PSP API (balance_transactions?payout=, paginated) clean', async () => {
    const first = await report();
    const payoutIds = first.payouts.map((p) => String(p.payout_id));
    const rc = runContextOf(system, ctx);
    const run = await reconcilePayoutsFromApi(rc, {
      day,
      payoutIds,
      bucket,
      reportPrefix: 'settlements/psp-api/',
    });
    expect(run.status).toBe('reconciled');
    const r = run.report as ReconciliationReport;
    // The day's 12 rows, the repaired order's charge, the repaired dashboard refund and the payout's own row.
    expect(classesOf(r)).toEqual({ matched: 15 });
    expect(r.payouts).toEqual([expect.objectContaining({ status: 'ok', rows: 14 })]);
    const again = await reconcilePayoutsFromApi(rc, {
      day,
      payoutIds,
      bucket,
      reportPrefix: 'settlements/psp-api/',
    });
    expect(again.status).toBe('skipped');
  });
});

describe("an operator's resolution", () => {
  it('writes off a break once (audited, idempotent), accepts another, and re-evaluates a link', async () => {
    const r = await report();
    const resolveCtx = {
      store: { db: ctx.db, table: system.names.tables.reconciliation ?? '' },
      ledger: { db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } },
      tables: ctx.tables,
    };
    const amountBreak = String(r.breaks.find((b) => b.class === 'amount_mismatch')?.id);
    const writeOff = {
      day,
      breakId: amountBreak,
      action: 'write_off' as const,
      reason: 'PSP short-paid; not worth chasing',
      operator: 'ada@finance',
      requestId: 'req-1',
      amount: '1.00',
      currency: 'USD',
    };
    expect(await resolveBreak(resolveCtx, writeOff)).toMatchObject({ status: 'resolved', replayed: false });
    expect(await resolveBreak(resolveCtx, writeOff)).toMatchObject({ status: 'resolved', replayed: true });
    const tx = await getTransaction(resolveCtx.ledger, `writeoff:${amountBreak}`);
    expect(tx?.reason).toBe('reconciliation_write_off');
    expect((await getBreak(resolveCtx.store, day, amountBreak))?.status).toBe('resolved');

    const extra = String(
      r.breaks.find(
        (b) =>
          b.class === 'missing_internally' &&
          (b.row as { reporting_category?: string }).reporting_category === 'charge',
      )?.id,
    );
    const link = await resolveBreak(resolveCtx, {
      day,
      breakId: extra,
      action: 'link',
      reason: 'looks like order one',
      operator: 'ada@finance',
      requestId: 'req-2',
      paymentOrderId: orderIds.one?.[0] ?? '',
    });
    expect(link.status).toBe('open');
    expect(link.detail).toMatch(/still missing_internally/);
    const accepted = await resolveBreak(resolveCtx, {
      ...writeOff,
      breakId: extra,
      action: 'accept',
      requestId: 'req-3',
    });
    expect(accepted.status).toBe('resolved');
    const audits = await ctx.db.send(
      new ScanCommand({
        TableName: resolveCtx.store.table,
        FilterExpression: 'begins_with(sk, :a)',
        ExpressionAttributeValues: { ':a': 'AUDIT#' },
      }),
    );
    expect(audits.Count).toBe(3);
  });
});

describe('an operator linking a money-back row', () => {
  it('posts what the linked refund implies once, and later runs of the day match the row as linked, counting that posting', async () => {
    const resolveCtx = {
      store: { db: ctx.db, table: system.names.tables.reconciliation ?? '' },
      ledger: ledgerOf(),
      tables: { ...ctx.tables, payouts: system.names.tables.payouts ?? '' },
    };
    // A refund row without our refund id (another PSP export, say): found by neither id, missing internally.
    const unique = Date.now().toString(36);
    const payout = `po_link_${unique}`;
    const txn = `txn_link_${unique}`;
    const line = `${txn},refund,usd,-10.00,0.00,${moved.refund},${payout}`;
    const header = 'id,category,currency,amount,fee,source_id,payout_id';
    const rc = runContextOf(system, ctx);
    await putObject(s3Of(system), bucket, `manual/${day}-link.csv`, `${header}\n${line}\n`);
    const first = (await reconcileObject(rc, bucket, `manual/${day}-link.csv`))
      .report as ReconciliationReport;
    const refundBreak = first.breaks.find((b) => b.class === 'missing_internally');
    expect(refundBreak).toMatchObject({ record: `refund ${moved.refund}`, line: 2 });
    const breakId = String(refundBreak?.id);
    const request = {
      day,
      breakId,
      action: 'link' as const,
      reason: 'the refund of order one, by its PSP id',
      operator: 'ada@finance',
      requestId: `req-link-${unique}`,
      recordId: moved.refundOurs,
    };
    // Linked to the wrong refund: re-evaluated, still a break, nothing posted.
    expect(
      await resolveBreak(resolveCtx, {
        ...request,
        requestId: `req-link-wrong-${unique}`,
        recordId: moved.dashboardRefund,
      }),
    ).toMatchObject({ status: 'open', detail: expect.stringMatching(/still missing_internally/) });
    const linked = await resolveBreak(resolveCtx, request);
    expect(linked).toMatchObject({ status: 'resolved', replayed: false });
    expect(linked.detail).toMatch(/matched/);
    const posted = await getTransaction(ledgerOf(), `settlement:${payout}:link-${txn}`);
    const byAccount = Object.fromEntries(posted?.entries.map((e) => [e.account, e.amount.minor]) ?? []);
    // The PSP paid the buyer 10.00 of the payout's money: cash less, the receivable our refund opened closed.
    expect(byAccount).toEqual({ platform_cash: -1000n, psp_receivable: 1000n });
    expect(await resolveBreak(resolveCtx, request)).toMatchObject({ status: 'resolved', replayed: true });
    expect((await getBreak(resolveCtx.store, day, breakId))?.status).toBe('resolved');

    // A corrected file of the day with the same row: matched as linked, and the payout's settlement chain
    // counts the link's posting instead of posting the row a second time.
    const fee = `txn_fee_${unique},fee,usd,-0.50,0.00,,${payout}`;
    await putObject(s3Of(system), bucket, `manual/${day}-link-2.csv`, `${header}\n${line}\n${fee}\n`);
    const again = (await reconcileObject(rc, bucket, `manual/${day}-link-2.csv`))
      .report as ReconciliationReport;
    expect(again.breaks.map((b) => b.id)).not.toContain(breakId);
    expect(again.classes.matched?.count).toBe(2);
    expect(again.settlements.find((x) => x.key === payout)).toMatchObject({
      platform_cash: '-10.50',
      psp_fees: '0.50',
      psp_receivable: '10.00',
    });
    // The chain's first link holds only what the link's posting does not: the fee row.
    const chain = await getTransaction(ledgerOf(), `settlement:${payout}:1`);
    const chained = Object.fromEntries(chain?.entries.map((e) => [e.account, e.amount.minor]) ?? []);
    expect(chained).toEqual({ platform_cash: -50n, psp_fees: 50n });
    expect((await getBreak(resolveCtx.store, day, breakId))?.status).toBe('resolved');
  });
});

describe('a generic CSV, read directly', () => {
  it('reports malformed rows by line and reconciles the rest: a split, an unexplained row, missing rows', async () => {
    const [a, b] = orderIds.two ?? [];
    const order = async (id: string | undefined) => getOrder(ctx, id ?? '');
    const oa = await order(a);
    const ob = await order(b);
    const file = [
      'id,category,currency,amount,fee,payment_order_id,payment_intent_id,payout_id',
      // The checkout's total (20.00) settled, the sellers' shares swapped.
      `g1,charge,usd,7.66,0.52,${a},${oa?.psp_reference},po_generic`,
      `g2,charge,usd,12.34,0.66,${b},${ob?.psp_reference},po_generic`,
      'g3,charge,usd,12.345,0.30,x,y,po_generic',
      'g4,charge,usd,1.00',
      '"g5,charge,usd,1.00,0.00,x,y,po_generic',
      'g6,climate_order_purchase,usd,-2.00,0.00,,,po_generic',
      '',
    ].join('\n');
    const key = `manual/${day}-generic.csv`;
    await putObject(s3Of(system), bucket, key, file);
    const later = new Date(Date.now() + 3 * 86_400_000);
    const run = await reconcileObject(
      runContextOf(system, ctx, { clock: () => later, fees: undefined }),
      bucket,
      key,
    );
    const r = run.report as ReconciliationReport;
    expect(r.source.format).toBe('generic_csv');
    const byClass = (c: string) => r.breaks.filter((x) => x.class === c);
    expect(
      byClass('split_mismatch')
        .map((x) => x.payment_order_id)
        .sort(),
    ).toEqual([a, b].sort());
    expect(byClass('malformed_row').map((x) => x.line)).toEqual([4, 5, 6]);
    expect(byClass('malformed_row')[0]?.detail).toMatch(/decimal/);
    expect(byClass('unexplained')).toHaveLength(1);
    expect(byClass('unexplained')[0]).toMatchObject({ line: 7, handling: 'investigation' });
    // The day's other captures are not in this file: missing, now that the settlement window has passed.
    const missing = byClass('missing_in_file').map((x) => x.payment_order_id);
    expect(missing).toContain(orderIds.one?.[0]);
    expect(missing).not.toContain(a);
    // And the day's money going back: refunds asked for (ours and the dashboard's), the dispute's two
    // steps, the claw-back's reversal, each by its record.
    const missingRecords = byClass('missing_in_file').map((x) => x.record);
    expect(missingRecords.filter((x) => x === `dispute ${moved.dispute}`)).toHaveLength(2);
    expect(missingRecords).toContain(`refund ${moved.dashboardRefund}`);
    expect(missingRecords.filter((x) => /^refund rf_/.test(String(x))).length).toBeGreaterThanOrEqual(2);
    expect(byClass('missing_in_file').map((x) => x.id)).toContain(
      `missing_in_file:transfer_reversal:${moved.reversal}`,
    );
    const investigation = await drain(
      sqsOf(system),
      system.names.queues['reconciliation-investigation']?.url ?? '',
    );
    expect(investigation.map((m) => (m.break as { class: string }).class).sort()).toEqual([
      'malformed_row',
      'malformed_row',
      'malformed_row',
      'unexplained',
    ]);
  });
});
