/**
 * Pay-outs through the asynchronous payee network (the Tipalti-shaped provider in the simulator), end to end on
 * the local runtime: a seller whose destination is a payee is paid through the same API and workflow as a
 * Stripe Connect seller; results arrive only by the signed webhook `POST /v1/webhooks/payouts` through the
 * webhook inbox. Cleared, rejected, paid-then-returned, deferred; a lost webhook where the workflow's wait
 * times out into a lookup (both providers, with a 1 s wait); a lost and a slow create response; a crash
 * after reserving and a retry after the 24 h key window; signatures, duplicates and unknown event types; the
 * domain events. After each: the ledger invariants (DESIGN.md §8) and one payment per payout at the provider.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPayout } from '../../../lambdas/payouts/create';
import { advancePayout, lookUpPayout } from '../../../lambdas/payouts/executor';
import { PayeeNetworkProvider } from '../../../lambdas/payouts/payee-network';
import { PAYEE_INBOX_PREFIX } from '../../../lambdas/payouts/payee-webhook';
import { getPayout, type PayoutsContext } from '../../../lambdas/payouts/store';
import { StripeConnectProvider } from '../../../lambdas/payouts/stripe-connect';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';
import { InboxStatus, loadEvent } from '../../../lambdas/webhooks/inbox';
import type { LocalSystem } from '../../../sandbox/local-system';
import { type PayeeNetwork, signPayeePayload } from '../../../sandbox/psp';
import { localDocumentClient } from '../../support/engines';
import {
  assertLedgerInvariants,
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { racingFetch } from '../../support/racing-fetch';
import { eventually } from '../../support/runtime';
import { callApi, startTestSystem } from '../../support/system';
import { Inbox } from '../events/support';

let system: LocalSystem;
let ctx: PayoutsContext;
let payees: PayeeNetwork;
let provider: PayeeNetworkProvider;
let stripe: StripeConnectProvider;
let events: Inbox;
let n = 0;

const PAYEE_KEY = 'payee_test_local_simulator';
const PAYEE_WEBHOOK_SECRET = 'payee_whsec_local_simulator';

beforeAll(async () => {
  process.env.WEBHOOK_RETRY_BASE_SECONDS = '0';
  system = await startTestSystem();
  // After the runtime set the manifest's values: a short PSP timeout (the slow-answer case) for the clients
  // built from here on.
  process.env.PSP_TIMEOUT_MS = '1500';
  const found = system.psp.control.payees;
  if (!found) throw new Error('the simulator has no payee network');
  payees = found;
  // Nothing moves behind a test's back: each test steps its payments (or its banks) itself.
  payees.setDelayMs(365 * 86_400_000);
  system.psp.control.connect.setDelayMs(365 * 86_400_000);
  const { tables } = system.names;
  ctx = {
    db: localDocumentClient(),
    tables: { payouts: tables.payouts ?? '', ledger: tables.ledger ?? '', wallets: tables.wallets ?? '' },
  };
  provider = new PayeeNetworkProvider({
    apiBase: `${system.endpoints.psp}/payee`,
    apiKey: PAYEE_KEY,
    timeoutMs: 2_000,
  });
  stripe = new StripeConnectProvider(
    createStripeClient({
      apiKey: 'sk_test_e2e',
      apiBase: system.endpoints.psp,
      timeoutMs: 2_000,
      maxNetworkRetries: 0,
    }),
  );
  events = new Inbox(system.names.queues['domain-events-analytics']?.url ?? '');
});
afterEach(async () => {
  system.psp.control.clearFaults();
  delete process.env.PAYOUT_AWAIT_SECONDS_PAYEE_NETWORK;
  delete process.env.PAYOUT_AWAIT_SECONDS_STRIPE_CONNECT;
  await assertLedgerInvariants(paymentsContextOf(system));
  assertOnePaymentPerPayout();
});
afterAll(async () => {
  events?.close();
  await system?.stop();
});

function assertOnePaymentPerPayout(): void {
  const byRef = new Map<string, number>();
  for (const p of payees.list()) byRef.set(p.ref_code, (byRef.get(p.ref_code) ?? 0) + 1);
  for (const [ref, count] of byRef)
    if (!ref.startsWith('probe_')) expect(count, `payments of ${ref}`).toBe(1);
}

async function paidInSeller(label: string, payee: string, amount = '30.00') {
  n++;
  const seller = `seller_pn_${label}_${n}_${Date.now().toString(36)}`;
  const account = `${payee}_${n}_${Date.now().toString(36)}`;
  const put = await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
    destination: { provider: 'payee_network', account },
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
  return { seller, account };
}

interface PayoutBody {
  payout_id: string;
  status: string;
  amount: string;
  provider: string;
  provider_reference?: string;
  failure?: { code: string; message: string };
  history?: { from: string | null; to: string; by: string }[];
}

// 45 s: a workflow's wait, its lookup and the stream behind it took over 20 s once on a machine busy with a
// 10,000-checkout chaos run (a flaky failure of the lost-event tests below), and nothing here depends on speed.
async function waitForStatus(payoutId: string, statuses: string[], timeoutMs = 45_000): Promise<PayoutBody> {
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

async function pay(seller: string, amount: string): Promise<string> {
  const posted = await callApi<PayoutBody>(system, 'POST', '/v1/payouts', {
    seller_account: seller,
    currency: 'USD',
    amount,
  });
  expect(posted.status).toBe(201);
  expect(posted.body.provider).toBe('payee_network');
  return posted.body.payout_id;
}

function paymentOf(payoutId: string) {
  const [payment, ...more] = payees.list({ refCode: payoutId });
  expect(more).toHaveLength(0);
  if (!payment) throw new Error(`no payment for ${payoutId}`);
  return payment;
}

/** The payout's workflow is waiting on its task token (AwaitResult). */
async function waiting(payoutId: string): Promise<void> {
  await eventually(async () => ((await getPayout(ctx, payoutId))?.task_token ? true : undefined));
}

/**
 * Every event the payee network has sent about the payout so far is applied by us. The consumer looks the
 * payment up before applying any event, so one still in flight when a later event is lost would read the
 * later state and answer for it: a test of the lookup after the wait must let those land first.
 */
async function eventsApplied(payoutId: string): Promise<void> {
  const inbox = { db: localDocumentClient(), table: system.names.tables['webhook-events'] ?? '' };
  const sent = payees.events.filter((e) => e.data.payment.ref_code === payoutId).map((e) => e.id);
  expect(sent.length).toBeGreaterThan(0);
  await eventually(async () => {
    for (const id of sent) {
      const stored = await loadEvent(inbox, `${PAYEE_INBOX_PREFIX}${id}`);
      if (stored?.status !== InboxStatus.Applied) return undefined;
    }
    return true;
  }, 30_000);
}

async function execution(payoutId: string) {
  return eventually(async () => {
    const found = system.runtime.stepFunctions
      .listExecutions(system.runtime.stepFunctions.arnOf('pay-out'))
      .find((x) => x.name === payoutId);
    return found && found.status !== 'RUNNING' ? found : undefined;
  }, 30_000);
}

async function postWebhook(body: string, signature: string) {
  const response = await fetch(`${system.endpoints.api}/v1/webhooks/payouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-payee-signature': signature },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('pay-out through the payee network (asynchronous provider)', () => {
  it('submitted -> paid (not final: still reserved) -> cleared (final): hold posted, events, simulator agrees', async () => {
    const { seller, account } = await paidInSeller('ok', 'payee_ok');
    const id = await pay(seller, '10.00');
    const submitted = await waitForStatus(id, ['SUBMITTED']);
    const payment = paymentOf(id);
    expect(submitted.provider_reference).toBe(payment.id);
    expect(payment).toMatchObject({ payee_id: account, amount: 1000, currency: 'usd', status: 'submitted' });
    payees.step(payment.id); // paid: the bank may still send it back
    await eventually(async () => (paymentOf(id).status === 'paid' ? true : undefined));
    expect((await callApi<PayoutBody>(system, 'GET', `/v1/payouts/${id}`)).body.status).toBe('SUBMITTED');
    expect(await wallet(seller)).toMatchObject({ available: '17.00', reserved: '10.00', paid_out: '0.00' });
    payees.step(payment.id); // cleared
    const paid = await waitForStatus(id, ['PAID']);
    expect(paid.history?.map((h) => h.to)).toEqual(['CREATED', 'SUBMITTED', 'PAID']);
    expect(paid.history?.at(-1)?.by).toBe('payout-webhook');
    expect(await wallet(seller)).toMatchObject({ available: '17.00', reserved: '0.00', paid_out: '10.00' });
    expect(paymentOf(id).status).toBe('cleared');
    const event = await events.receiveUntil((e) => e.type === 'payout.paid' && e.data.payout_id === id);
    expect(event.event.data).toMatchObject({
      payout_id: id,
      seller_account: seller,
      amount: '10.00',
      amount_minor: 1000,
      currency: 'USD',
      provider: 'payee_network',
      destination: account,
      provider_reference: payment.id,
    });
    expect(event.raw).not.toMatch(/task_token/);
  });

  it('rejected: the hold is voided, the seller told why, the destination blocked; payout.failed', async () => {
    const { seller } = await paidInSeller('rej', 'payee_reject');
    const id = await pay(seller, '12.00');
    await waitForStatus(id, ['SUBMITTED']);
    payees.step(paymentOf(id).id);
    const failed = await waitForStatus(id, ['FAILED']);
    expect(failed.failure?.code).toBe('payee_details_invalid');
    expect(failed.failure?.message).toMatch(/refused your payee details/);
    const w = await wallet(seller);
    expect(w).toMatchObject({ available: '27.00', reserved: '0.00', paid_out: '0.00' });
    expect(w.not_payable_reasons).toContain('destination_errored');
    const event = await events.receiveUntil((e) => e.type === 'payout.failed' && e.data.payout_id === id);
    expect(event.event.data).toMatchObject({ failure_code: 'payee_details_invalid', amount: '12.00' });
  });

  it('paid, then returned before it cleared: never posted, money available again, destination errored', async () => {
    const { seller } = await paidInSeller('ret', 'payee_return');
    const id = await pay(seller, '20.00');
    await waitForStatus(id, ['SUBMITTED']);
    const payment = paymentOf(id);
    payees.step(payment.id); // paid
    await eventually(async () => (paymentOf(id).status === 'paid' ? true : undefined));
    expect(await wallet(seller)).toMatchObject({ reserved: '20.00', paid_out: '0.00' });
    payees.step(payment.id); // returned
    const failed = await waitForStatus(id, ['FAILED']);
    expect(failed.failure?.code).toBe('bank_returned');
    expect(failed.history?.map((h) => h.to)).toEqual(['CREATED', 'SUBMITTED', 'FAILED']);
    const w = await wallet(seller);
    expect(w).toMatchObject({ available: '27.00', reserved: '0.00', paid_out: '0.00' });
    expect(w.not_payable_reasons).toContain('destination_errored');
  });

  it('deferred is not an answer: the payout waits, then clears', async () => {
    const { seller } = await paidInSeller('defer', 'payee_defer');
    const id = await pay(seller, '5.00');
    await waitForStatus(id, ['SUBMITTED']);
    const payment = paymentOf(id);
    payees.step(payment.id);
    await eventually(async () => (paymentOf(id).status === 'deferred' ? true : undefined));
    expect((await callApi<PayoutBody>(system, 'GET', `/v1/payouts/${id}`)).body.status).toBe('SUBMITTED');
    payees.finish(payment.id);
    await waitForStatus(id, ['PAID']);
  });
});

describe('a lost webhook: the wait times out and the lookup resolves it', () => {
  it('payee network: the cleared event is lost, the workflow looks the payment up after its wait', async () => {
    process.env.PAYOUT_AWAIT_SECONDS_PAYEE_NETWORK = '1';
    const { seller } = await paidInSeller('nohook', 'payee_ok');
    const id = await pay(seller, '3.00');
    await waitForStatus(id, ['SUBMITTED']);
    await waiting(id);
    await eventsApplied(id);
    // Every later result is lost (the consumer looks a payment up before applying an event, so even the
    // `paid` event would tell it the payment cleared).
    system.psp.control.addFault({ kind: 'loss', eventType: 'payee.payment.*' });
    payees.finish(paymentOf(id).id);
    expect(payees.deliveries.some((d) => d.type === 'payment.cleared' && d.outcome === 'lost')).toBe(true);
    const paid = await waitForStatus(id, ['PAID']);
    expect(paid.history?.at(-1)).toMatchObject({ to: 'PAID', by: 'pay-out-workflow' });
    expect((await execution(id)).status).toBe('SUCCEEDED');
  });

  it('Stripe Connect: payout.paid is lost, the workflow looks the bank payout up after its wait', async () => {
    process.env.PAYOUT_AWAIT_SECONDS_STRIPE_CONNECT = '1';
    n++;
    const seller = `seller_sc_nohook_${n}_${Date.now().toString(36)}`;
    const account = `acct_nohook_${n}_${Date.now().toString(36)}`;
    await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
      destination: { provider: 'stripe_connect', account },
    });
    const payments = paymentsContextOf(system);
    const { orders } = await submitTestCheckout(system, payments, testPaymentProvider(system), {
      label: 'sc',
      orders: [{ seller, amount: '30.00' }],
      paymentMethod: 'pm_card_visa',
    });
    await waitForOrders(
      payments,
      orders.map((o) => o.payment_order_id),
    );
    system.psp.control.addFault({ kind: 'loss', eventType: 'payout.paid' });
    const posted = await callApi<PayoutBody & { bank_payout_id?: string }>(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '4.00',
    });
    const submitted = await waitForStatus(posted.body.payout_id, ['SUBMITTED']);
    await waiting(posted.body.payout_id);
    const bank = (await getPayout(ctx, posted.body.payout_id))?.bank_payout_id ?? '';
    expect(bank).not.toBe('');
    expect(submitted.status).toBe('SUBMITTED');
    system.psp.control.connect.settle(bank);
    const paid = await waitForStatus(posted.body.payout_id, ['PAID']);
    expect(paid.history?.at(-1)).toMatchObject({ to: 'PAID', by: 'pay-out-workflow' });
    expect((await execution(posted.body.payout_id)).status).toBe('SUCCEEDED');
    expect(await wallet(seller)).toMatchObject({ available: '23.00', reserved: '0.00', paid_out: '4.00' });
  });
});

describe('exactly once at the payee network, even late', () => {
  it('a lost response to the create: the retry finds the payment by ref_code instead of paying again', async () => {
    const { seller } = await paidInSeller('lost', 'payee_ok');
    system.psp.control.addFault({ route: 'POST /payee/v1/payments', kind: 'drop', count: 1 });
    const id = await pay(seller, '6.00');
    const submitted = await waitForStatus(id, ['SUBMITTED']);
    expect(submitted.provider_reference).toBe(paymentOf(id).id);
    payees.finish(paymentOf(id).id);
    await waitForStatus(id, ['PAID']);
  });

  it('a slow answer (past our timeout): the retry finds the payment instead of paying again', async () => {
    const { seller } = await paidInSeller('slow', 'payee_ok');
    system.psp.control.addFault({
      route: 'POST /payee/v1/payments',
      kind: 'latency',
      delayMs: 2_500,
      count: 1,
    });
    const id = await pay(seller, '7.00');
    await waitForStatus(id, ['SUBMITTED'], 30_000);
    payees.finish(paymentOf(id).id);
    await waitForStatus(id, ['PAID']);
  });

  it('a crash after reserving, retried after the 24 h key window: looked up, one payment', async () => {
    const { seller } = await paidInSeller('late', 'payee_ok');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_pn_late_${Date.now().toString(36)}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 800n },
      origin: 'api',
    });
    const instruction = {
      payoutId: payout.payout_id,
      sellerId: seller,
      amount: { currency: 'USD' as const, minor: 800n },
      destination: payout.destination_account,
    };
    // Its workflow never started; a run had reached the provider before it crashed.
    await provider.advance(instruction);
    system.psp.control.advanceClock(25 * 3_600_000);
    // The key is forgotten by now: the same create with the same key WOULD pay again (a probe ref shows it).
    const probe = { ...instruction, payoutId: `probe_${Date.now().toString(36)}` };
    const key = `payout-${probe.payoutId}-payment`;
    const send = () =>
      fetch(`${system.endpoints.psp}/payee/v1/payments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${PAYEE_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify({
          ref_code: probe.payoutId,
          payee_id: 'payee_probe',
          amount: 1,
          currency: 'usd',
        }),
      });
    await send();
    system.psp.control.advanceClock(25 * 3_600_000);
    await send();
    expect(payees.list({ refCode: probe.payoutId })).toHaveLength(2);
    // Ours looks up first.
    const after = await lookUpPayout(
      ctx,
      { provider: stripe, providers: { payee_network: provider } },
      payout.payout_id,
      'test',
    );
    expect(after.status).toBe('SUBMITTED');
    expect(after.provider_reference).toBe(paymentOf(payout.payout_id).id);
    payees.finish(paymentOf(payout.payout_id).id);
    await waitForStatus(payout.payout_id, ['PAID']);
  });

  it('two runs racing past the key window: only the lease holder creates, the other looks; one payment', async () => {
    const { seller } = await paidInSeller('race', 'payee_ok');
    const { payout } = await createPayout(ctx, {
      payoutId: `pout_pn_race_${Date.now().toString(36)}`,
      sellerId: seller,
      currency: 'USD',
      amount: { currency: 'USD', minor: 900n },
      origin: 'api',
    });
    const race = racingFetch({
      isLookup: (method, path) => method === 'GET' && path === '/payee/v1/payments',
      isCreate: (method, path) => method === 'POST' && path === '/payee/v1/payments',
      between: () => system.psp.control.advanceClock(25 * 3_600_000),
    });
    const racing = new PayeeNetworkProvider({
      apiBase: `${system.endpoints.psp}/payee`,
      apiKey: PAYEE_KEY,
      timeoutMs: 5_000,
      fetch: race.fetch,
    });
    const deps = { provider: stripe, providers: { payee_network: racing } };
    const [first, second] = await Promise.all([
      advancePayout(ctx, deps, payout.payout_id, 'pay-out-workflow'),
      advancePayout(ctx, deps, payout.payout_id, 'sweeper'),
    ]);
    expect(race.lookups()).toBe(2);
    expect(race.creates()).toBe(1);
    expect(payees.list({ refCode: payout.payout_id })).toHaveLength(1);
    // The holder applied what it created; the other found nothing yet (or, read late, the holder's result).
    expect([first.status, second.status]).toContain('SUBMITTED');
    expect((await getPayout(ctx, payout.payout_id))?.provider_reference).toBe(paymentOf(payout.payout_id).id);
    payees.finish(paymentOf(payout.payout_id).id);
    await waitForStatus(payout.payout_id, ['PAID']);
  });
});

describe('the payout webhook', () => {
  it('refuses a bad signature, stores a replay once, and records an unknown event type as unhandled', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unknown = JSON.stringify({
      id: `evt_pn_unknown_${Date.now().toString(36)}`,
      type: 'payment.on_hold',
      created: now,
      data: { payment: { id: 'pp_x', ref_code: 'nobody' } },
    });
    const forged = await postWebhook(unknown, signPayeePayload(unknown, 'not_the_secret', now));
    expect(forged.status).toBe(400);
    expect(forged.body).toMatchObject({ error: { code: 'invalid_signature' } });
    const stale = await postWebhook(unknown, signPayeePayload(unknown, PAYEE_WEBHOOK_SECRET, now - 600));
    expect(stale.status).toBe(400);
    const first = await postWebhook(unknown, signPayeePayload(unknown, PAYEE_WEBHOOK_SECRET, now));
    expect(first).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    const again = await postWebhook(unknown, signPayeePayload(unknown, PAYEE_WEBHOOK_SECRET, now));
    expect(again).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    const stored = await eventually(async () => {
      const { Item } = await localDocumentClient().send(
        new GetCommand({
          TableName: system.names.tables['webhook-events'] ?? '',
          Key: { pk: `EVENT#payee:${JSON.parse(unknown).id}` },
          ConsistentRead: true,
        }),
      );
      return Item?.status === 'APPLIED' ? Item : undefined;
    });
    expect(stored.outcome).toBe('unhandled_type');
  });

  it('duplicated deliveries of every event change nothing twice', async () => {
    const { seller } = await paidInSeller('dup', 'payee_ok');
    system.psp.control.addFault({ kind: 'duplicate', eventType: 'payee.payment.*', copies: 2 });
    const id = await pay(seller, '9.00');
    await waitForStatus(id, ['SUBMITTED']);
    payees.finish(paymentOf(id).id);
    const paid = await waitForStatus(id, ['PAID']);
    expect(paid.history?.map((h) => h.to)).toEqual(['CREATED', 'SUBMITTED', 'PAID']);
    expect(await wallet(seller)).toMatchObject({ available: '18.00', reserved: '0.00', paid_out: '9.00' });
  });
});
