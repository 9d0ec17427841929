/**
 * `npm run demo`: the story, scripted, on a fresh local system (its own engines, in memory, free ports): a
 * two-seller checkout, a 3-D Secure payment, a decline, then a partial refund, a dispute, a payout and a
 * settlement file reconciled — each of these last four runs only when its route exists, and says "skipped: not
 * built yet" otherwise. Prints a short summary; exits 0 only when every step that ran did what it should.
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
const routeExists = (word: string) => manifest.routes.find((r) => r.path.includes(word));

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
    run: async () =>
      routeExists('refund')
        ? {
            status: 'skipped',
            detail: 'skipped: the refunds route exists, but this demo step is not written yet',
          }
        : { status: 'skipped', detail: 'skipped: not built yet' },
  },
  {
    name: 'dispute',
    run: async () =>
      routeExists('dispute')
        ? {
            status: 'skipped',
            detail: 'skipped: the disputes route exists, but this demo step is not written yet',
          }
        : { status: 'skipped', detail: 'skipped: not built yet' },
  },
  {
    name: 'payout',
    run: async () =>
      routeExists('payout')
        ? {
            status: 'skipped',
            detail: 'skipped: the payouts route exists, but this demo step is not written yet',
          }
        : { status: 'skipped', detail: 'skipped: not built yet' },
  },
  {
    name: 'settlement reconciled',
    run: async () =>
      routeExists('reconcil')
        ? {
            status: 'skipped',
            detail: 'skipped: the reconciliation route exists, but this demo step is not written yet',
          }
        : { status: 'skipped', detail: 'skipped: not built yet' },
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
