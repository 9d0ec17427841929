/**
 * The cost run's phases after the pay-ins (bench/cost.ts): money going back (refunds) and money going out
 * (payouts), each through the public API as a storefront and an operator would, each waited on until it is
 * final, so that what one refund and one payout cost can be priced on its own.
 */
import { createStripeClient } from '../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../sandbox/local-system';
import { seededRng } from '../sandbox/psp/random';
import { type ApiClient, sleep } from '../test/chaos/run';
import { pool } from '../test/chaos/workloads';

export interface PhaseResult {
  /** Refunds or payouts that reached a final state (succeeded / PAID). */
  readonly done: number;
  /** Anything that did not: shown beside the price (a phase that did nothing proves nothing). */
  readonly problems: string[];
}

interface Captured {
  readonly paymentOrderId: string;
  readonly seller: string;
}

/** The orders the PSP captured (one order per PaymentIntent: card payments and one-order hosted pages). */
async function capturedOrders(system: LocalSystem): Promise<Captured[]> {
  const stripe = createStripeClient({ apiKey: 'sk_test_cost_harness', apiBase: system.endpoints.psp });
  const found: Captured[] = [];
  for await (const pi of stripe.paymentIntents.list({ limit: 100 })) {
    const order = pi.metadata?.payment_order_id;
    if (pi.status === 'succeeded' && order)
      found.push({ paymentOrderId: order, seller: pi.metadata?.seller_account ?? '' });
  }
  return found.sort((a, b) => (a.paymentOrderId < b.paymentOrderId ? -1 : 1));
}

/** Until `open()` answers 0, with deliveries landing in between; false if `ms` passed first. */
async function until(system: LocalSystem, ms: number, open: () => Promise<number>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await system.psp.control.webhooksIdle(30_000).catch(() => undefined);
    if ((await open()) === 0) return true;
    await sleep(500);
  }
  return false;
}

/**
 * Refunds every other captured order in full (the rest stays for the payouts), up to `limit`, one request
 * each under its own Idempotency-Key, and waits until each refund is final.
 */
export async function refundPhase(system: LocalSystem, api: ApiClient, limit: number): Promise<PhaseResult> {
  const rng = seededRng('cost', 'refunds');
  const chosen = (await capturedOrders(system)).filter((_, i) => i % 2 === 0).slice(0, limit);
  const problems: string[] = [];
  const asked: string[] = [];
  await pool(chosen, 8, async ({ paymentOrderId }) => {
    const path = `/v1/payments/${paymentOrderId}/refunds`;
    const a = await api.post(path, {}, `cost-refund-${paymentOrderId}`, rng);
    if (a.status === 201) asked.push(paymentOrderId);
    else problems.push(`${paymentOrderId}: refund answered ${a.status}`);
  });
  const statuses = async () => {
    const all: string[] = [];
    for (const id of asked) {
      const got = await api.call('GET', `/v1/payments/${id}/refunds`);
      for (const r of (got.body.data ?? []) as { status: string }[]) all.push(r.status);
    }
    return all;
  };
  const settled = await until(
    system,
    120_000,
    async () => (await statuses()).filter((s) => s === 'pending').length,
  );
  if (!settled) problems.push('refunds still pending after 120 s');
  const final = await statuses();
  const done = final.filter((s) => s === 'succeeded').length;
  if (done !== asked.length) problems.push(`${done} of ${asked.length} refunds succeeded`);
  return { done, problems };
}

/**
 * Pays every seller with money out through Stripe Connect (`all_payable`, hold period 0), the banks settled
 * at the simulator once each payout was submitted; waits until each is PAID. `registering` is called around
 * the sellers' registration (a one-off per seller, not a payout's cost: the caller pauses its meter).
 */
export async function payoutPhase(
  system: LocalSystem,
  api: ApiClient,
  registering: (during: boolean) => void,
): Promise<PhaseResult> {
  const rng = seededRng('cost', 'payouts');
  const sellers = [...new Set((await capturedOrders(system)).map((o) => o.seller).filter(Boolean))].sort();
  const problems: string[] = [];
  registering(true);
  const registered: string[] = [];
  for (const seller of sellers) {
    const body = {
      destination: { provider: 'stripe_connect', account: `acct_cost_${seller}` },
      schedule: 'manual',
      hold_days: 0,
    };
    const put = await api.retried('PUT', `/v1/sellers/${seller}`, body, undefined, rng);
    if (put.status === 200 || put.status === 201) registered.push(seller);
    else problems.push(`${seller}: registration answered ${put.status}`);
  }
  registering(false);
  const payouts: string[] = [];
  await pool(registered, 8, async (seller) => {
    const body = { seller_account: seller, currency: 'USD', all_payable: true };
    const a = await api.post('/v1/payouts', body, `cost-payout-${seller}`, rng);
    if (a.status === 201) payouts.push(String(a.body.payout_id));
    else if (a.status !== 422) problems.push(`${seller}: payout answered ${a.status}`);
  });
  const settledBanks = new Set<string>();
  const status = new Map<string, string>();
  const open = async () => {
    let n = 0;
    for (const id of payouts) {
      const v = (await api.call('GET', `/v1/payouts/${id}`)).body as {
        status?: string;
        bank_payout_id?: string;
      };
      status.set(id, String(v.status));
      if (v.status !== 'CREATED' && v.status !== 'SUBMITTED') continue;
      n++;
      if (v.status === 'SUBMITTED' && v.bank_payout_id && !settledBanks.has(v.bank_payout_id)) {
        settledBanks.add(v.bank_payout_id);
        system.psp.control.connect.settle(v.bank_payout_id);
      }
    }
    return n;
  };
  if (!(await until(system, 180_000, open))) problems.push('payouts still open after 180 s');
  const done = [...status.values()].filter((s) => s === 'PAID').length;
  if (done !== payouts.length) problems.push(`${done} of ${payouts.length} payouts PAID`);
  return { done, problems };
}
