/**
 * A crash and a restart on the same data folder (SANDBOX_DATA_DIR), as `npm start` runs: the whole sandbox
 * (functions, DynamoDB Local, SQS/S3, PSP simulator) is killed with SIGKILL, process group and all, in the middle
 * of a burst of checkouts, then started again on the same folder. Every order the API acknowledged (201) is
 * then terminal or waiting with a reason, and has exactly one PaymentIntent at the PSP, the one it points at:
 * the simulator remembered its objects and idempotency keys, so the sweeper's retries replayed, not recharged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/engines/child-process';

const ROOT = resolve(import.meta.dirname, '../..');
const API_KEY = 'crash-test-key';
const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-crash-'));
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child) await killGroup(child, 'SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

async function killGroup(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    process.kill(-proc.pid, signal);
  } catch {
    return;
  }
  await exited;
}

/**
 * `npm start` in its own process group, resolved once it prints that it is ready. On a loaded machine Java is
 * slow to start: DynamoDB Local gets 120 s, and a start that fails anyway is tried again (twice at most).
 */
async function startSandbox(ports: { api: number; psp: number }): Promise<ChildProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(ports);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

async function startOnce(ports: { api: number; psp: number }): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(ports.api),
      PSP_PORT: String(ports.psp),
      SANDBOX_DATA_DIR: dataDir,
      API_KEY,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      DYNAMODB_START_TIMEOUT_MS: '120000',
      // Orders the crash interrupted are due for the sweeper after 2 s instead of 2 min.
      PAYIN_EXECUTING_TIMEOUT_MS: '2000',
    },
  });
  let output = '';
  const started = new Promise<void>((ready, failed) => {
    const timer = setTimeout(() => failed(new Error(`sandbox not ready in 240 s:\n${output}`)), 90_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ready in')) {
        clearTimeout(timer);
        ready();
      }
    };
    proc.stdout?.on('data', read);
    proc.stderr?.on('data', read);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      failed(new Error(`sandbox exited (${code}) before it was ready:\n${output}`));
    });
  });
  try {
    await started;
  } catch (error) {
    await killGroup(proc, 'SIGKILL');
    throw error;
  }
  return proc;
}

interface OrderView {
  status: string;
  psp_reference?: string;
  pending_reason?: string;
}

describe('a sandbox killed mid-burst and restarted on its data folder', () => {
  it('leaves every acknowledged order terminal or waiting with a reason, with exactly one charge', async () => {
    // Prepare
    const ports = { api: await freePort(), psp: await freePort() };
    const api = `http://127.0.0.1:${ports.api}`;
    const headers = { 'content-type': 'application/json', 'x-api-key': API_KEY };
    child = await startSandbox(ports);
    const acknowledged: string[] = [];
    const total = 30;
    let killed = false;
    const submit = async (i: number) => {
      const checkoutId = `co_crash_${i}_${Date.now()}`;
      const orderId = `${checkoutId}_po1`;
      const response = await fetch(`${api}/v1/payments`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          checkout_id: checkoutId,
          buyer_info: { buyer_id: `buyer_crash_${i}` },
          credit_card_info: i % 5 === 0 ? 'pm_card_authenticationRequired' : 'pm_card_visa',
          payment_orders: [
            { payment_order_id: orderId, seller_account: 'seller_crash', amount: '12.00', currency: 'USD' },
          ],
        }),
      }).catch(() => undefined);
      if (response?.status === 201 && !killed) acknowledged.push(orderId);
    };

    // Act: a burst, four at a time; SIGKILL to the whole process group once ten were acknowledged
    let next = 0;
    const workers = Array.from({ length: 4 }, async () => {
      while (next < total && !killed) {
        const i = next++;
        await submit(i);
        if (acknowledged.length >= 10 && !killed && child) {
          killed = true;
          await killGroup(child, 'SIGKILL');
        }
      }
    });
    await Promise.all(workers);
    child = await startSandbox(ports);
    // The sweeper drives what the crash interrupted (its executions died with the process).
    const settled = async () => {
      const views: OrderView[] = [];
      for (const id of acknowledged) {
        const answer = await fetch(`${api}/v1/payments/${id}`, { headers });
        views.push((await answer.json()) as OrderView);
      }
      return views;
    };
    const deadline = Date.now() + 60_000;
    let orders = await settled();
    while (
      Date.now() < deadline &&
      orders.some(
        (o) => !['SUCCESS', 'FAILED'].includes(o.status) && !(o.status === 'PENDING' && o.pending_reason),
      )
    ) {
      await fetch(`${api}/_sandbox/schedules/sweep-payment-orders-every-minute`, { method: 'POST' });
      await new Promise((r) => setTimeout(r, 1_000));
      orders = await settled();
    }
    const stripe = new Stripe('sk_test_crash', { host: '127.0.0.1', port: ports.psp, protocol: 'http' });
    const intents: Stripe.PaymentIntent[] = [];
    for await (const intent of stripe.paymentIntents.list({ limit: 100 })) intents.push(intent);

    // Assess
    expect(killed).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(10);
    for (const [i, order] of orders.entries()) {
      const id = acknowledged[i] as string;
      const where = `${id} (${order.status})`;
      const charges = intents.filter((pi) => pi.metadata.payment_order_id === id);
      expect(['SUCCESS', 'FAILED', 'PENDING'], where).toContain(order.status);
      if (order.status === 'PENDING') expect(order.pending_reason, where).toBeTruthy();
      if (order.status !== 'FAILED') {
        expect(
          charges.map((pi) => pi.id),
          where,
        ).toEqual([order.psp_reference]);
      } else {
        expect(charges.length, where).toBeLessThanOrEqual(1);
      }
    }
  }, 900_000);
});
