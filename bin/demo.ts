/**
 * `npm run demo`: the story, scripted, on a fresh local system (its own engines, in memory, free ports): a
 * two-seller checkout, a 3-D Secure payment, a decline, a partial refund, a dispute (the simulator's control
 * API, like `stripe trigger`), a payout (the seller's destination, then POST /v1/payouts, paid by the bank), and
 * the simulator's settlement file uploaded to the settlements bucket and reconciled (the report read back
 * through the operator API). Prints a short summary; exits 0 only when every step did what it should.
 */
import { resolve } from 'node:path';
import { manifest } from '../lib/manifest';
import { type LocalSystem, startLocalSystem } from '../sandbox/local-system';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const STOREFRONT_KEY = 'demo-storefront-key';
const OPERATOR_KEY = process.env.OPERATOR_API_KEY ?? 'local-operator-key';

type Outcome = { status: 'passed' | 'failed' | 'skipped'; detail: string };
type Json = Record<string, unknown>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(system: LocalSystem, method: string, path: string, body?: unknown, key = STOREFRONT_KEY) {
  const response = await fetch(`${system.endpoints.api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Json };
}

async function waitForCheckout(
  system: LocalSystem,
  id: string,
  done: (c: Json) => boolean,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call(system, 'GET', `/v1/checkouts/${id}`);
    if (answer.status === 200 && done(answer.body)) return answer.body;
    if (Date.now() > deadline)
      throw new Error(`checkout ${id} did not get there in time: ${JSON.stringify(answer.body)}`);
    await sleep(250);
  }
}

const orders = (c: Json) => (c.payment_orders ?? []) as Json[];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not there after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

const operator = (system: LocalSystem, method: string, path: string, body?: unknown) =>
  fetch(`${system.endpoints.api}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-api-key': OPERATOR_KEY,
      ...(method === 'POST' ? { 'idempotency-key': `demo-${Date.now().toString(36)}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json }));

const availableOf = async (system: LocalSystem, seller: string) => {
  const wallet = await call(system, 'GET', `/v1/sellers/${seller}/wallet`);
  return ((wallet.body.balances ?? []) as Json[])[0] ?? {};
};

async function checkout(system: LocalSystem, id: string, token: string, sellers: [string, string][]) {
  const answer = await call(system, 'POST', '/v1/payments', {
    checkout_id: id,
    buyer_info: { buyer_id: 'buyer_demo', email: 'ada@example.com' },
    credit_card_info: token,
    payment_orders: sellers.map(([seller, amount], i) => ({
      payment_order_id: `${id}_${i + 1}`,
      seller_account: seller,
      amount,
      currency: 'USD',
    })),
  });
  if (answer.status !== 201)
    throw new Error(`POST /v1/payments answered ${answer.status}: ${JSON.stringify(answer.body)}`);
}

const STEPS: { name: string; run: (system: LocalSystem) => Promise<Outcome> }[] = [
  {
    name: 'two-seller checkout',
    run: async (system) => {
      await checkout(system, 'co_demo_two', 'pm_card_visa', [
        ['seller_books', '30.00'],
        ['seller_tea', '12.34'],
      ]);
      const done = await waitForCheckout(system, 'co_demo_two', (c) => c.is_payment_done === true);
      const statuses = orders(done).map((o) => o.status);
      const wallet = await call(system, 'GET', '/v1/sellers/seller_books/wallet');
      const available = ((wallet.body.balances ?? []) as Json[])[0]?.available;
      const ok = statuses.every((s) => s === 'SUCCESS') && available === '27.00';
      return {
        status: ok ? 'passed' : 'failed',
        detail: `orders ${statuses.join(', ')}; seller_books available ${available} (30.00 less 10% commission)`,
      };
    },
  },
  {
    name: '3-D Secure payment',
    run: async (system) => {
      await checkout(system, 'co_demo_3ds', 'pm_card_authenticationRequired', [['seller_prints', '19.99']]);
      const pending = await waitForCheckout(system, 'co_demo_3ds', (c) => orders(c)[0]?.status === 'PENDING');
      const order = await call(system, 'GET', `/v1/payments/${orders(pending)[0]?.payment_order_id}`);
      const action = order.body.next_action as Json | undefined;
      if (!action?.redirect_url)
        return { status: 'failed', detail: 'no next_action.redirect_url while PENDING' };
      // The buyer completes the challenge on the PSP's page (here through the simulator's control API).
      system.psp.control.completeAuthentication(order.body.psp_reference as string);
      const done = await waitForCheckout(system, 'co_demo_3ds', (c) => c.is_payment_done === true);
      const status = orders(done)[0]?.status;
      return {
        status: status === 'SUCCESS' ? 'passed' : 'failed',
        detail: `PENDING (requires_action) -> ${status}`,
      };
    },
  },
  {
    name: 'declined card',
    run: async (system) => {
      await checkout(system, 'co_demo_decline', 'pm_card_chargeDeclined', [['seller_tea', '5.00']]);
      const done = await waitForCheckout(system, 'co_demo_decline', (c) => c.is_payment_done === true);
      const order = orders(done)[0] ?? {};
      const wallet = await call(system, 'GET', '/v1/sellers/seller_tea/wallet');
      const available = ((wallet.body.balances ?? []) as Json[])[0]?.available;
      const ok = order.status === 'FAILED' && available === '11.11';
      return {
        status: ok ? 'passed' : 'failed',
        detail: `${order.status} (${order.failure_code ?? '?'}: ${order.failure_reason ?? ''}); seller_tea still ${available}`,
      };
    },
  },
  {
    name: 'partial refund',
    run: async (system) => {
      // 10.00 of seller_books' 30.00 order back to the buyer: the seller bears it less the commission returned.
      const answer = await call(system, 'POST', '/v1/payments/co_demo_two_1/refunds', { amount: '10.00' });
      if (answer.status >= 300)
        return { status: 'failed', detail: `refund: ${answer.status} ${JSON.stringify(answer.body)}` };
      const id = answer.body.refund_id as string;
      const refund = await until('refund succeeded', async () => {
        const got = await call(system, 'GET', `/v1/refunds/${id}`);
        return got.body.status === 'succeeded' || got.body.status === 'failed' ? got.body : undefined;
      });
      const available = (await availableOf(system, 'seller_books')).available;
      const ok = refund.status === 'succeeded' && available === '18.00';
      return {
        status: ok ? 'passed' : 'failed',
        detail: `refund ${id} 10.00 of 30.00: ${refund.status}; seller_books available ${available} (27.00 less 9.00)`,
      };
    },
  },
  {
    name: 'dispute',
    run: async (system) => {
      // The buyer's bank disputes seller_tea's 12.34 (the simulator's control API, like `stripe trigger`).
      const order = await call(system, 'GET', '/v1/payments/co_demo_two_2');
      const dispute = system.psp.control.moneyBack?.openDispute({
        paymentIntent: order.body.psp_reference as string,
      });
      if (!dispute) return { status: 'failed', detail: 'the simulator has no disputes' };
      const held = await until('dispute funds withdrawn', async () => {
        const got = await call(system, 'GET', `/v1/disputes/${dispute.id}`);
        return ((got.body.posted ?? []) as string[]).includes('funds_withdrawn') ? got.body : undefined;
      });
      const available = (await availableOf(system, 'seller_tea')).available;
      // Held from the seller's wallet while the dispute is open (what the wallet could not cover: a receivable).
      const ok = available === '0.00';
      return {
        status: ok ? 'passed' : 'failed',
        detail: `dispute ${dispute.id} ${held.amount} ${held.currency} (${held.status}): funds withdrawn; seller_tea available ${available}`,
      };
    },
  },
  {
    name: 'payout',
    run: async (system) => {
      const seller = 'seller_prints';
      const put = await call(system, 'PUT', `/v1/sellers/${seller}`, {
        destination: { provider: 'stripe_connect', account: 'acct_demo_prints' },
      });
      if (put.status >= 300)
        return { status: 'failed', detail: `PUT seller: ${put.status} ${JSON.stringify(put.body)}` };
      const posted = await call(system, 'POST', '/v1/payouts', {
        seller_account: seller,
        currency: 'USD',
        all_payable: true,
      });
      if (posted.status !== 201)
        return {
          status: 'failed',
          detail: `POST /v1/payouts: ${posted.status} ${JSON.stringify(posted.body)}`,
        };
      const id = posted.body.payout_id as string;
      const submitted = await until('payout submitted', async () => {
        const got = await call(system, 'GET', `/v1/payouts/${id}`);
        return got.body.status === 'SUBMITTED' ? got.body : undefined;
      });
      // The connected account's bank pays it out (the simulator's clock would, days later).
      system.psp.control.connect.settle(String(submitted.bank_payout_id));
      const paid = await until('payout paid', async () => {
        const got = await call(system, 'GET', `/v1/payouts/${id}`);
        return got.body.status === 'PAID' || got.body.status === 'FAILED' ? got.body : undefined;
      });
      const wallet = await availableOf(system, seller);
      const ok =
        paid.status === 'PAID' && wallet.paid_out === posted.body.amount && wallet.available === '0.00';
      return {
        status: ok ? 'passed' : 'failed',
        detail: `payout ${id} ${posted.body.amount} USD: ${paid.status}; seller_prints paid out ${wallet.paid_out}`,
      };
    },
  },
  {
    name: 'settlement reconciled',
    run: async (system) => {
      // The simulator's settlement file for today, put where the PSP delivers (the bucket's S3 trigger runs
      // the reconciliation), and the report read back through the operator API.
      const day = new Date().toISOString().slice(0, 10);
      const published = await system.psp.control.publishSettlement({ date: day });
      const report = await until(
        "the day's report",
        async () => {
          const got = await operator(system, 'GET', `/v1/operator/reconciliation/${day}`);
          return got.status === 200 && String(got.body.source).endsWith(published.key) ? got.body : undefined;
        },
        60_000,
      );
      const classes = report.classes as Record<string, { count: number }>;
      const breaks = (report.breaks ?? []) as Json[];
      const open = breaks.filter((b) => b.status === 'open');
      const matched = classes.matched?.count ?? 0;
      const internalOk = (report.internal as Json | undefined)?.ok !== false;
      const ok = matched > 0 && internalOk;
      return {
        status: ok ? 'passed' : 'failed',
        detail: `${report.rows} rows: ${Object.entries(classes)
          .map(([c, v]) => `${v.count} ${c}`)
          .join(
            ', ',
          )}; ${open.length} open break(s)${open.length ? ` (${open.map((b) => b.class).join(', ')})` : ''}; internal checks ${internalOk ? 'ok' : 'FAILED'}`,
      };
    },
  },
  {
    name: 'ledger balance check',
    run: async (system) => {
      const report = await call(system, 'GET', '/v1/operator/ledger/check', undefined, OPERATOR_KEY);
      const ok = report.status === 200 && report.body.ok === true;
      return {
        status: ok ? 'passed' : 'failed',
        detail: ok
          ? `ledger sums to zero, every wallet equals its entries (${report.body.transactions} transactions)`
          : JSON.stringify(report.body),
      };
    },
  },
];

async function main(): Promise<number> {
  const started = Date.now();
  console.log('starting a fresh local system (DynamoDB Local, SQS/SNS/S3, Step Functions, PSP simulator)...');
  const system = await startLocalSystem({
    manifest,
    rootDir: resolve(import.meta.dirname, '..'),
    apiPort: 0,
    pspPort: 0,
    apiKey: STOREFRONT_KEY,
    prefix: 'demo-',
    webhookRetryBaseMs: 200,
    runtime: { runSchedules: false },
  });
  const results: { name: string; outcome: Outcome; ms: number }[] = [];
  try {
    for (const step of STEPS) {
      const t0 = Date.now();
      let outcome: Outcome;
      try {
        outcome = await step.run(system);
      } catch (error) {
        outcome = { status: 'failed', detail: error instanceof Error ? error.message : String(error) };
      }
      results.push({ name: step.name, outcome, ms: Date.now() - t0 });
      const mark = outcome.status === 'passed' ? 'ok  ' : outcome.status === 'skipped' ? 'skip' : 'FAIL';
      console.log(`  ${mark} ${step.name.padEnd(24)} ${outcome.detail}`);
    }
  } finally {
    await system.stop();
  }
  const count = (s: Outcome['status']) => results.filter((r) => r.outcome.status === s).length;
  console.log(
    `\ndemo: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  return count('failed') === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('the demo could not run:', error);
    process.exit(1);
  },
);
