/**
 * Pay-outs end to end on the local runtime, with the real Stripe SDK against the simulator's Connect
 * transfers and bank payouts: success; a failed bank payout returns the money; paid then returned; 50
 * concurrent requests never overdraw; a crash after reserving; a lost provider response; a retry after the
 * 24 h key window; the workflow's timeout ending in a lookup; the schedule and minimum; money in its hold
 * period and dispute holds. After each: the ledger invariants (DESIGN.md §8) and one transfer per payout.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AttentionKind } from '../../../lambdas/attention/model';
import { attentionId, attentionSink, getAttention } from '../../../lambdas/attention/store';
import { createPayout } from '../../../lambdas/payouts/create';
import { advancePayout, lookUpPayout } from '../../../lambdas/payouts/executor';
import type { PayoutProvider } from '../../../lambdas/payouts/port';
import { claimPayoutLease, getPayout, type PayoutsContext, putSeller } from '../../../lambdas/payouts/store';
import { StripeConnectProvider } from '../../../lambdas/payouts/stripe-connect';
import { ATTENTION_AFTER_FAILED_LOOKUPS, sweepPayouts } from '../../../lambdas/payouts/sweeper';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import { crashOnceAt } from '../../support/crash';
import { localDocumentClient } from '../../support/engines';
import {
  assertLedgerInvariants,
  attentionContextOf,
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { racingFetch } from '../../support/racing-fetch';
import { eventually } from '../../support/runtime';
import { callApi, startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PayoutsContext;
let provider: StripeConnectProvider;
let n = 0;

beforeAll(async () => {
  process.env.WEBHOOK_RETRY_BASE_SECONDS = '0';
  system = await startTestSystem();
  // Banks answer only when a test says so (settle / returnPaid), so nothing moves behind a test's back.
  system.psp.control.connect.setDelayMs(365 * 86_400_000);
  const { tables } = system.names;
  ctx = {
    db: localDocumentClient(),
    tables: { payouts: tables.payouts ?? '', ledger: tables.ledger ?? '', wallets: tables.wallets ?? '' },
  };
  provider = new StripeConnectProvider(
    createStripeClient({
      apiKey: 'sk_test_e2e',
      apiBase: system.endpoints.psp,
      timeoutMs: 2_000,
      maxNetworkRetries: 0,
    }),
  );
});
afterEach(async () => {
  system.psp.control.clearFaults();
  await assertLedgerInvariants(paymentsContextOf(system));
  assertOneTransferPerPayout();
});
afterAll(async () => {
  await system?.stop();
});

function assertOneTransferPerPayout(): void {
  const groups = new Map<string, number>();
  for (const e of system.psp.control.events()) {
    if (e.type !== 'transfer.created') continue;
    const group = (e.data.object as { transfer_group?: string | null }).transfer_group;
    if (group) groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  for (const [group, count] of groups) expect(count, `transfers of ${group}`).toBe(1);
}

/** A seller with a Connect destination and `amount` paid in (net of the 10% commission). */
async function paidInSeller(
  label: string,
  account: string,
  amount = '30.00',
  settings: Record<string, unknown> = {},
) {
  n++;
  // Base 36: `_6_` + a 13-digit millisecond time is 14 digits the card guard reads as a Maestro-shaped number
  // (any separators, lambdas/api/card-data.ts), Luhn-valid one time in ten; letters keep digit runs short.
  const seller = `seller_${label}_${n}_${Date.now().toString(36)}`;
  const put = await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
    destination: { provider: 'stripe_connect', account: `${account}_${n}` },
    ...settings,
  });
  expect(put.status).toBe(201);
  const payments = paymentsContextOf(system);
  const { orders } = await submitTestCheckout(system, payments, testPaymentProvider(system), {
    label,
    orders: [{ seller, amount }],
    paymentMethod: 'pm_card_visa',
  });
  await waitForOrders(
    payments,
    orders.map((o) => o.payment_order_id),
  );
  return { seller, account: `${account}_${n}` };
}

interface PayoutBody {
  payout_id: string;
  status: string;
  amount: string;
  bank_payout_id?: string;
  provider_reference?: string;
  failure?: { code: string; message: string };
  history?: { from: string | null; to: string }[];
}

async function waitForStatus(payoutId: string, statuses: string[], timeoutMs = 20_000): Promise<PayoutBody> {
  return eventually(async () => {
    const got = await callApi<PayoutBody>(system, 'GET', `/v1/payouts/${payoutId}`);
    return statuses.includes(got.body.status) ? got.body : undefined;
  }, timeoutMs);
}

async function wallet(seller: string) {
  const got = await callApi<{ balances: Record<string, unknown>[] }>(
    system,
    'GET',
    `/v1/sellers/${seller}/wallet`,
  );
  return got.body.balances[0] ?? {};
}

function transfersOf(payoutId: string) {
  return system.psp.control
    .events()
    .filter(
      (e) =>
        e.type === 'transfer.created' &&
        (e.data.object as { transfer_group?: string }).transfer_group === payoutId,
    );
}

describe('pay-out through Stripe Connect', () => {
  it('pays a seller with one curl: transfer, bank payout paid, hold posted, wallet and simulator agree', async () => {
    const { seller, account } = await paidInSeller('ok', 'acct_ok');
    const posted = await callApi<PayoutBody>(
      system,
      'POST',
      '/v1/payouts',
      { seller_account: seller, currency: 'USD', amount: '10.00' },
      { 'Idempotency-Key': `po-${seller}` },
    );
    expect(posted.status).toBe(201);
    const again = await callApi<PayoutBody>(
      system,
      'POST',
      '/v1/payouts',
      { seller_account: seller, currency: 'USD', amount: '10.00' },
      { 'Idempotency-Key': `po-${seller}` },
    );
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.payout_id).toBe(posted.body.payout_id);
    const id = posted.body.payout_id;
    const submitted = await waitForStatus(id, ['SUBMITTED']);
    expect(await wallet(seller)).toMatchObject({ available: '17.00', reserved: '10.00', paid_out: '0.00' });
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    const paid = await waitForStatus(id, ['PAID']);
    expect(paid.history?.map((h) => h.to)).toEqual(['CREATED', 'SUBMITTED', 'PAID']);
    expect(await wallet(seller)).toMatchObject({ available: '17.00', reserved: '0.00', paid_out: '10.00' });
    expect(transfersOf(id)).toHaveLength(1);
    expect(system.psp.control.connect.balance(account, 'usd')).toBe(0);
    const list = await callApi<{ data: PayoutBody[] }>(system, 'GET', `/v1/sellers/${seller}/payouts`);
    expect(list.body.data.map((p) => p.payout_id)).toEqual([id]);
  });

  it('a failed bank payout returns the money, tells the seller why, and blocks the destination', async () => {
    const { seller, account } = await paidInSeller('fail', 'acct_x_bankfail');
    const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      all_payable: true,
    });
    expect(posted.status).toBe(201);
    expect(posted.body.amount).toBe('27.00');
    const submitted = await waitForStatus(posted.body.payout_id, ['SUBMITTED']);
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    const failed = await waitForStatus(posted.body.payout_id, ['FAILED']);
    expect(failed.failure?.code).toBe('account_closed');
    expect(failed.failure?.message).toMatch(/bank account is closed/);
    const w = await wallet(seller);
    expect(w).toMatchObject({ available: '27.00', reserved: '0.00', paid_out: '0.00' });
    expect(w.not_payable_reasons).toContain('destination_errored');
    const refused = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '1.00',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'payout_not_payable' } });
    // The transfer was reversed: the platform has the money again, the connected account has nothing.
    expect(system.psp.control.connect.balance(account, 'usd')).toBe(0);
  });

  it('paid, then returned by the bank days later: posting reversed, money available again', async () => {
    const { seller, account } = await paidInSeller('ret', 'acct_x_bankreturn');
    const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '20.00',
    });
    const submitted = await waitForStatus(posted.body.payout_id, ['SUBMITTED']);
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    await waitForStatus(posted.body.payout_id, ['PAID']);
    expect(await wallet(seller)).toMatchObject({ available: '7.00', paid_out: '20.00' });
    system.psp.control.advanceClock(3 * 86_400_000);
    system.psp.control.connect.returnPaid(submitted.bank_payout_id ?? '');
    const returned = await waitForStatus(posted.body.payout_id, ['RETURNED']);
    expect(returned.history?.map((h) => h.to)).toEqual(['CREATED', 'SUBMITTED', 'PAID', 'RETURNED']);
    const w = await wallet(seller);
    expect(w).toMatchObject({ available: '27.00', reserved: '0.00', paid_out: '0.00' });
    expect(w.not_payable_reasons).toContain('destination_errored');
    expect(system.psp.control.connect.balance(account, 'usd')).toBe(0);
    // The seller updates the destination: payouts flow again.
    system.psp.control.connect.updateBankAccount(account);
    const put = await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
      destination: { provider: 'stripe_connect', account },
    });
    expect(put.status).toBe(200);
    expect((await wallet(seller)).not_payable_reasons).toEqual([]);
  });

  it('50 concurrent payout requests for one seller never overdraw', async () => {
    const { seller } = await paidInSeller('race', 'acct_race', '10.00'); // 9.00 available
    // The use case itself, so that the race is between the conditional writes and not API timeouts.
    const answers = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        createPayout(ctx, {
          payoutId: `pout_race_${n}_${i}_${Date.now()}`,
          sellerId: seller,
          currency: 'USD',
          amount: { currency: 'USD', minor: 50n },
          origin: 'api',
        }),
      ),
    );
    const created = answers.filter((a) => a.status === 'fulfilled').length;
    for (const a of answers) {
      if (a.status === 'rejected')
        expect(['insufficient_funds', 'contention']).toContain((a.reason as { code?: string }).code);
    }
    expect(created).toBeGreaterThan(0);
    expect(created).toBeLessThanOrEqual(18);
    const w = await wallet(seller);
    expect(w).toMatchObject({
      reserved: (created * 0.5).toFixed(2),
      available: (9 - created * 0.5).toFixed(2),
    });
  });

  it('refuses more than payable with insufficient_funds and reserves nothing; bad input writes nothing', async () => {
    const { seller } = await paidInSeller('nsf', 'acct_nsf');
    const tooMuch = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '27.01',
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({
      error: { code: 'insufficient_funds', details: { payable: '27.00' } },
    });
    const bad = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '1.001',
    });
    expect(bad.status).toBe(400);
    const both = await callApi(system, 'POST', '/v1/payouts', { seller_account: seller, currency: 'USD' });
    expect(both.status).toBe(400);
    expect(await wallet(seller)).toMatchObject({ available: '27.00', reserved: '0.00' });
    const list = await callApi<{ data: unknown[] }>(system, 'GET', `/v1/sellers/${seller}/payouts`);
    expect(list.body.data).toEqual([]);
  });
});

describe('exactly once, even late', () => {
  it('a crash after reserving: the sweeper finds the payout and sends it once', async () => {
    const { seller } = await paidInSeller('crash', 'acct_crash');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_crash_${Date.now()}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 500n },
      origin: 'api',
    });
    // Its workflow never started. Another run had even reached the provider before crashing:
    await provider.advance({
      payoutId: payout.payout_id,
      sellerId: seller,
      amount: { currency: 'USD', minor: 500n },
      destination: payout.destination_account,
    });
    const later = { ...ctx, clock: () => new Date(Date.now() + 15 * 60_000) };
    const report = await sweepPayouts(later, { provider, startWorkflow: async () => undefined });
    expect(report.examined).toBeGreaterThanOrEqual(1);
    const after = await getPayout(ctx, payout.payout_id);
    expect(after?.status).toBe('SUBMITTED');
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    system.psp.control.connect.settle(after?.bank_payout_id ?? '');
    await waitForStatus(payout.payout_id, ['PAID']);
  });

  it('a submit that dies after the provider moved the money: the workflow retries it, one transfer', async () => {
    const { seller } = await paidInSeller('died', 'acct_died');
    const { crashed, disarm } = crashOnceAt('payout.advanced');
    try {
      const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
        seller_account: seller,
        currency: 'USD',
        amount: '5.00',
      });
      // Without the sweeper (its first look is minutes away): the workflow's own retry writes what was done.
      const submitted = await waitForStatus(posted.body.payout_id, ['SUBMITTED'], 30_000);
      expect(crashed).toEqual([posted.body.payout_id]);
      expect(transfersOf(posted.body.payout_id)).toHaveLength(1);
      system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
      await waitForStatus(posted.body.payout_id, ['PAID']);
    } finally {
      disarm();
    }
  });

  it('a request retried after its function died once the hold was reserved: the same payout, paid once', async () => {
    const { seller } = await paidInSeller('retried', 'acct_retried');
    const key = `pout-died-${Date.now()}`;
    const { crashed, disarm } = crashOnceAt('payout.requested');
    const body = { seller_account: seller, currency: 'USD', amount: '5.00' };
    let first: Awaited<ReturnType<typeof callApi<PayoutBody>>>;
    try {
      first = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', body, { 'idempotency-key': key });
    } finally {
      disarm();
    }
    expect(first.status).toBeGreaterThanOrEqual(500);
    const retried = await eventually(async () => {
      const r = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', body, { 'idempotency-key': key });
      return r.status === 201 ? r : undefined;
    });
    expect(retried.body.payout_id).toBe(crashed[0]);
    const submitted = await waitForStatus(retried.body.payout_id, ['SUBMITTED'], 30_000);
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    await waitForStatus(retried.body.payout_id, ['PAID']);
    const listed = await callApi<{ data: PayoutBody[] }>(system, 'GET', `/v1/sellers/${seller}/payouts`);
    expect(listed.body.data.map((p) => p.payout_id)).toEqual([crashed[0]]);
    expect((await wallet(seller)).paid_out).toBe('5.00');
  });

  it('a lost provider response: the retry looks the transfer up instead of sending another', async () => {
    const { seller } = await paidInSeller('lost', 'acct_lost');
    system.psp.control.addFault({ route: 'POST /v1/transfers', kind: 'drop', count: 1 });
    const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '5.00',
    });
    const submitted = await waitForStatus(posted.body.payout_id, ['SUBMITTED']);
    expect(transfersOf(posted.body.payout_id)).toHaveLength(1);
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    await waitForStatus(posted.body.payout_id, ['PAID']);
  });

  it('a retry after the 24 h key window finds the payout by transfer_group and sends nothing new', async () => {
    const { seller } = await paidInSeller('late', 'acct_late');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_late_${Date.now()}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 700n },
      origin: 'api',
    });
    const instruction = {
      payoutId: payout.payout_id,
      sellerId: seller,
      amount: { currency: 'USD' as const, minor: 700n },
      destination: payout.destination_account,
    };
    await provider.advance(instruction);
    system.psp.control.advanceClock(25 * 3_600_000); // the simulator forgot the idempotency keys
    const after = await lookUpPayout(ctx, { provider }, payout.payout_id, 'test');
    expect(after.status).toBe('SUBMITTED');
    expect(after.provider_reference).toBeDefined();
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    system.psp.control.connect.settle(after.bank_payout_id ?? '');
    await waitForStatus(payout.payout_id, ['PAID']);
  });

  it('two runs racing past the key window: only the lease holder creates, the other looks; one transfer', async () => {
    const { seller } = await paidInSeller('race', 'acct_race');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_race_${Date.now().toString(36)}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 600n },
      origin: 'api',
    });
    // Both runs look up before either creates, and the key window passes between the two creates: without
    // the lease both would find "no transfer yet" and the forgotten key would let the second create through.
    const race = racingFetch({
      isLookup: (method, path) => method === 'GET' && path === '/v1/transfers',
      isCreate: (method, path) => method === 'POST' && path === '/v1/transfers',
      between: () => system.psp.control.advanceClock(25 * 3_600_000),
    });
    const base = new URL(system.endpoints.psp);
    const racing = new StripeConnectProvider(
      new Stripe('sk_test_e2e', {
        host: base.hostname,
        port: Number(base.port),
        protocol: 'http',
        maxNetworkRetries: 0,
        telemetry: false,
        httpClient: Stripe.createFetchHttpClient(race.fetch),
      }),
    );
    const [first, second] = await Promise.all([
      advancePayout(ctx, { provider: racing }, payout.payout_id, 'pay-out-workflow'),
      advancePayout(ctx, { provider: racing }, payout.payout_id, 'sweeper'),
    ]);
    expect(race.lookups()).toBe(2);
    expect(race.creates()).toBe(1);
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    // The holder applied what it created; the other found nothing yet (or, read late, the holder's result).
    expect([first.status, second.status]).toContain('SUBMITTED');
    const after = await getPayout(ctx, payout.payout_id);
    expect(after?.status).toBe('SUBMITTED');
    // The lease was given back: a later run (the sweeper) may carry the payout on.
    const again = await lookUpPayout(ctx, { provider }, payout.payout_id, 'sweeper');
    expect(again.bank_payout_id).toBe(after?.bank_payout_id);
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    system.psp.control.connect.settle(after?.bank_payout_id ?? '');
    await waitForStatus(payout.payout_id, ['PAID']);
  });

  it('a run that crashed holding the lease: others only look until it lapses, then one carries it on', async () => {
    const { seller } = await paidInSeller('lapse', 'acct_lapse');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_lapse_${Date.now().toString(36)}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 400n },
      origin: 'api',
    });
    expect(await claimPayoutLease(ctx, payout.payout_id, 'crashed-run', 15 * 60_000)).toBe(true);
    const meanwhile = await advancePayout(ctx, { provider }, payout.payout_id, 'sweeper');
    expect(meanwhile.status).toBe('CREATED');
    expect(transfersOf(payout.payout_id)).toHaveLength(0);
    const lapsed = { ...ctx, clock: () => new Date(Date.now() + 16 * 60_000) };
    const after = await advancePayout(lapsed, { provider }, payout.payout_id, 'sweeper');
    expect(after.status).toBe('SUBMITTED');
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    system.psp.control.connect.settle(after.bank_payout_id ?? '');
    await waitForStatus(payout.payout_id, ['PAID']);
  });

  it('a run that died after the PSP moved the money, lease held: a look applies what the PSP has, one transfer', async () => {
    const { seller } = await paidInSeller('died', 'acct_died');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_died_${Date.now().toString(36)}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 300n },
      origin: 'api',
    });
    // What the dead run did: took the lease, and the provider made the transfer and the bank payout; it died
    // before it wrote either (crash point payout.advanced), so the payout is CREATED with its lease held.
    expect(await claimPayoutLease(ctx, payout.payout_id, 'dead-run', 15 * 60_000)).toBe(true);
    const made = await provider.advance({
      payoutId: payout.payout_id,
      sellerId: seller,
      amount: { currency: 'USD', minor: 300n },
      destination: payout.destination_account,
    });
    expect(made.state).toBe('in_flight');
    expect((await getPayout(ctx, payout.payout_id))?.status).toBe('CREATED');
    // The sweeper's look while the lease is held: it only reads, and applies what it reads.
    const looked = await lookUpPayout(ctx, { provider }, payout.payout_id, 'sweeper');
    expect(looked).toMatchObject({
      status: 'SUBMITTED',
      provider_reference: made.reference,
      bank_payout_id: made.bankPayoutId,
    });
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    system.psp.control.connect.settle(made.bankPayoutId ?? '');
    await waitForStatus(payout.payout_id, ['PAID']);
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
  });

  it('bank payout and recovery both refused: SUBMITTED with its transfer, not FAILED, and a person is told', async () => {
    // Prepare: a payout whose transfer reached the account (a run that died before the bank payout), then
    // the account's balance drained below it (half reversed by hand; the rest held elsewhere).
    const { seller, account } = await paidInSeller('stuck', 'acct_stuck');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_stuck_${Date.now()}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 1000n },
      origin: 'api',
    });
    const stripe = new Stripe('sk_test_e2e', {
      host: new URL(system.endpoints.psp).hostname,
      port: Number(new URL(system.endpoints.psp).port),
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const transfer = await stripe.transfers.create({
      amount: 1000,
      currency: 'usd',
      destination: payout.destination_account,
      transfer_group: payout.payout_id,
      metadata: { payout_id: payout.payout_id, seller_id: seller },
    });
    await stripe.transfers.createReversal(transfer.id, { amount: 500 });
    system.psp.control.moneyBack?.setConnectedBalance(account, 'usd', 0);
    const attention = attentionContextOf(system);
    const deps = { provider, startWorkflow: async () => undefined, attention: attentionSink(attention) };
    const later = { ...ctx, clock: () => new Date(Date.now() + 15 * 60_000) };

    // Act
    const report = await sweepPayouts(later, deps);

    // Assess: in flight with its transfer, the hold still reserved, one record for a person; no second transfer.
    expect(report.errors.filter((e) => e.id === payout.payout_id)).toEqual([]);
    const after = await getPayout(ctx, payout.payout_id);
    expect(after).toMatchObject({ status: 'SUBMITTED', provider_reference: transfer.id });
    expect(after?.bank_payout_id).toBeUndefined();
    const id = attentionId({
      kind: AttentionKind.PayoutStuckAtProvider,
      subjectType: 'payout',
      subjectId: payout.payout_id,
    });
    const record = await getAttention(attention, id);
    expect(record).toMatchObject({
      status: 'OPEN',
      details: { provider_reference: transfer.id, amount_minor: 1000 },
    });
    expect(String(record?.details.refused)).toMatch(/balance_insufficient.*balance_insufficient/);
    expect(transfersOf(payout.payout_id)).toHaveLength(1);
    expect((await wallet(seller)).reserved).toBe('10.00');
    // Asking again changes nothing: Stripe replays a refusal to the same idempotency key.
    system.psp.control.moneyBack?.setConnectedBalance(account, 'usd', 500);
    await lookUpPayout(ctx, deps, payout.payout_id, 'sweeper');
    expect((await getPayout(ctx, payout.payout_id))?.status).toBe('SUBMITTED');
    // The person takes the rest back at Stripe: the next lookup sees the transfer reversed, FAILED, hold voided.
    await stripe.transfers.createReversal(transfer.id, { amount: 500 });
    await lookUpPayout(ctx, deps, payout.payout_id, 'sweeper');
    expect((await getPayout(ctx, payout.payout_id))?.status).toBe('FAILED');
    expect((await wallet(seller)).reserved).toBe('0.00');
  });

  it('a payout whose lookups keep throwing backs off and, after a few in a row, reaches a person', async () => {
    // Prepare: a provider whose every call for this payout throws (a configuration the provider refuses).
    const { seller } = await paidInSeller('throws', 'acct_throws');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_throws_${Date.now()}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 300n },
      origin: 'api',
    });
    // Only this payout's calls throw: the other tests' payouts, due in the same sweeps, go to the simulator.
    const failing: PayoutProvider = {
      advance: async (i) => {
        if (i.payoutId === payout.payout_id) throw new Error('provider refused: test');
        return provider.advance(i);
      },
      lookup: (i) => provider.lookup(i),
      recover: (i, reference) => provider.recover(i, reference),
    };
    const attention = attentionContextOf(system);
    const deps = {
      provider: failing,
      startWorkflow: async () => undefined,
      attention: attentionSink(attention),
    };
    const id = attentionId({
      kind: AttentionKind.PayoutUnresolvedAfterLookups,
      subjectType: 'payout',
      subjectId: payout.payout_id,
    });

    // Act: sweeps far enough apart that each finds it due again.
    const gaps: number[] = [];
    let at = Date.now() + 15 * 60_000;
    for (let sweep = 1; sweep <= ATTENTION_AFTER_FAILED_LOOKUPS; sweep++) {
      const now = at;
      await sweepPayouts({ ...ctx, clock: () => new Date(now) }, deps);
      gaps.push(Date.parse((await getPayout(ctx, payout.payout_id))?.next_check_at ?? '') - now);
      if (sweep === ATTENTION_AFTER_FAILED_LOOKUPS - 1)
        expect(await getAttention(attention, id)).toBeUndefined();
      at += 2 * 86_400_000;
    }

    // Assess: each failure pushed the next check later; the record names the error; the payout is untouched.
    expect(gaps).toEqual([60_000, 120_000, 240_000, 480_000, 960_000]);
    const record = await getAttention(attention, id);
    expect(record).toMatchObject({
      status: 'OPEN',
      details: { failed_lookups: ATTENTION_AFTER_FAILED_LOOKUPS },
    });
    expect(String(record?.details.last_error)).toMatch(/provider refused: test/);
    expect((await getPayout(ctx, payout.payout_id))?.status).toBe('CREATED');
    // Tidy: the real provider carries it on; a lookup that works resets the count.
    const done = await lookUpPayout(ctx, { provider }, payout.payout_id, 'sweeper');
    expect(done.status).toBe('SUBMITTED');
    expect((await getPayout(ctx, payout.payout_id))?.failed_lookups).toBeUndefined();
    system.psp.control.connect.settle((await getPayout(ctx, payout.payout_id))?.bank_payout_id ?? '');
    await waitForStatus(payout.payout_id, ['PAID']);
  });

  it('a lost webhook: the sweeper looks the payout up, settles it and answers the waiting workflow', async () => {
    const { seller } = await paidInSeller('nohook', 'acct_nohook');
    system.psp.control.addFault({ kind: 'loss', eventType: 'payout.paid' });
    const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '3.00',
    });
    const submitted = await waitForStatus(posted.body.payout_id, ['SUBMITTED']);
    // The workflow is waiting on its task token (AwaitResult).
    await eventually(async () =>
      (await getPayout(ctx, posted.body.payout_id))?.task_token ? true : undefined,
    );
    system.psp.control.connect.settle(submitted.bank_payout_id ?? '');
    await system.psp.control.webhooksIdle(5_000);
    expect((await getPayout(ctx, posted.body.payout_id))?.status).toBe('SUBMITTED'); // nobody told us
    // A day later (the provider's usual time), the sweeper's check is due: it asks Stripe.
    const later = { ...ctx, clock: () => new Date(Date.now() + 25 * 3_600_000) };
    const report = await sweepPayouts(later, {
      provider,
      startWorkflow: async () => undefined,
      notifyWorkflow: async (token, output) => {
        const { SFNClient, SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
        const { LOCAL_CREDENTIALS, LOCAL_REGION } = await import('../../../sandbox/engines/local-aws');
        const sfn = new SFNClient({
          endpoint: system.endpoints.stepFunctions,
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
        });
        await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
        sfn.destroy();
      },
    });
    expect(report.resolved).toBeGreaterThanOrEqual(1);
    const paid = await waitForStatus(posted.body.payout_id, ['PAID']);
    expect(paid.history?.at(-1)).toMatchObject({ to: 'PAID', by: 'sweeper' });
    const execution = await eventually(async () => {
      const found = system.runtime.stepFunctions
        .listExecutions(system.runtime.stepFunctions.arnOf('pay-out'))
        .find((x) => x.name === posted.body.payout_id);
      return found && found.status !== 'RUNNING' ? found : undefined;
    });
    expect(execution.status).toBe('SUCCEEDED');
  });
});

describe('a backlog of due payouts', () => {
  it('one sweep pages past 100 while it has time; one out of time leaves the rest for the next', async () => {
    const { seller } = await paidInSeller('backlog', 'acct_backlog');
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const { payout } = await createPayout(ctx, {
        payoutId: `pout_backlog_${n}_${i}`,
        sellerId: seller,
        currency: 'USD',
        amount: { currency: 'USD', minor: 10n },
        origin: 'api',
      });
      ids.push(payout.payout_id);
    }
    // A provider that refuses these (evidence nothing moved) and passes the rest on: each lookup of one of
    // ours closes it, so what is closed is what the sweeps looked at.
    const ours = new Set(ids);
    const looked = new Set<string>();
    const refusing: PayoutProvider = {
      advance: async (i) => {
        if (!ours.has(i.payoutId)) return provider.advance(i);
        looked.add(i.payoutId);
        return { state: 'failed', failureCode: 'account_closed' };
      },
      lookup: (i) => (ours.has(i.payoutId) ? Promise.resolve(undefined) : provider.lookup(i)),
      recover: (i, reference) => provider.recover(i, reference),
    };
    const later = { ...ctx, clock: () => new Date(Date.now() + 15 * 60_000) };
    let checks = 30;
    const outOfTime = await sweepPayouts(later, {
      provider: refusing,
      startWorkflow: async () => undefined,
      remainingMs: () => (checks-- > 0 ? 60_000 : 5_000),
      marginMs: 20_000,
    });
    expect(outOfTime).toMatchObject({ examined: 30, dueLeft: true });
    const whole = await sweepPayouts(later, { provider: refusing, startWorkflow: async () => undefined });
    expect(whole.dueLeft).toBe(false);
    expect(looked.size).toBe(120);
    for (const id of ids) expect((await getPayout(ctx, id))?.status).toBe('FAILED');
  });
});

describe("money that is not the seller's yet, schedules and minimums", () => {
  it('funds in their hold period are pending, not payable', async () => {
    const { seller } = await paidInSeller('hold', 'acct_hold', '30.00', { hold_days: 3 });
    const w = await wallet(seller);
    expect(w).toMatchObject({
      available: '27.00',
      pending: '27.00',
      payable: '0.00',
      not_payable_reasons: ['in_hold_period'],
    });
    const refused = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '1.00',
    });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'insufficient_funds' } });
  });

  it('a dispute hold or a receivable stops payouts, with the reason; pause and resume too', async () => {
    const { seller } = await paidInSeller('dispute', 'acct_dispute');
    // What the refunds and disputes area posts; written here as raw attributes of the wallet item.
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.wallets,
        Key: { pk: `WALLET#${seller}`, sk: 'BAL#USD' },
        UpdateExpression: 'SET dispute_held = :d',
        ExpressionAttributeValues: { ':d': 500 },
      }),
    );
    expect((await wallet(seller)).not_payable_reasons).toEqual(['dispute_hold']);
    const refused = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '1.00',
    });
    expect(refused.body).toMatchObject({
      error: { code: 'payout_not_payable', details: { reasons: ['dispute_hold'] } },
    });
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.wallets,
        Key: { pk: `WALLET#${seller}`, sk: 'BAL#USD' },
        UpdateExpression: 'SET dispute_held = :z, receivable = :r',
        ExpressionAttributeValues: { ':z': 0, ':r': 100 },
      }),
    );
    expect((await wallet(seller)).not_payable_reasons).toEqual(['negative_balance']);
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.wallets,
        Key: { pk: `WALLET#${seller}`, sk: 'BAL#USD' },
        UpdateExpression: 'REMOVE receivable, dispute_held',
      }),
    );
    expect((await callApi(system, 'POST', `/v1/sellers/${seller}/payouts/pause`)).status).toBe(200);
    expect((await wallet(seller)).not_payable_reasons).toEqual(['paused']);
    expect((await callApi(system, 'POST', `/v1/sellers/${seller}/payouts/resume`)).status).toBe(200);
    expect((await wallet(seller)).not_payable_reasons).toEqual([]);
  });

  it('the schedule pays what reaches the minimum, once per period', async () => {
    const { seller } = await paidInSeller('sched', 'acct_sched', '30.00', {
      schedule: 'daily',
      minimum_amounts: { USD: '50.00' },
    });
    const deps = { provider, startWorkflow: async () => undefined };
    const first = await sweepPayouts(ctx, deps);
    expect(first.skipped).toContainEqual({ seller, currency: 'USD', reasons: ['below_minimum'] });
    expect((await wallet(seller)).not_payable_reasons).toEqual(['below_minimum']);
    await putSeller(ctx, {
      sellerId: seller,
      destination: { provider: 'stripe_connect', account: `acct_sched_${n}` },
      schedule: 'daily',
      minimums: { USD: 2000n },
      holdDays: 0,
    });
    const second = await sweepPayouts(ctx, deps);
    const mine = [];
    for (const id of second.created) if ((await getPayout(ctx, id))?.seller_id === seller) mine.push(id);
    expect(mine).toHaveLength(1);
    const third = await sweepPayouts(ctx, deps);
    const again = [];
    for (const id of third.created) if ((await getPayout(ctx, id))?.seller_id === seller) again.push(id);
    expect(again).toEqual([]);
    expect(await wallet(seller)).toMatchObject({ available: '0.00', reserved: '27.00' });
    // Drive it (the workflow was not started here): the sweeper's lookup submits it.
    const later = { ...ctx, clock: () => new Date(Date.now() + 15 * 60_000) };
    await sweepPayouts(later, deps);
  });
});
