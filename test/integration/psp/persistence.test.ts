/**
 * The simulator remembers, as Stripe does: with a data folder, a simulator started again on it has every
 * object, event and idempotency key the first one acknowledged, even when the first was never stopped (the
 * state is on disk before a response is sent), and it sends again the webhooks an endpoint had not
 * acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, describe, expect, it } from 'vitest';
import { type PspSimulator, startPspSimulator } from '../../../sandbox/psp';
import { type Receiver, startReceiver } from './support/receiver';
import { API_KEY, WEBHOOK_SECRET } from './support/sim';

const dirs: string[] = [];
const running: { stop(): Promise<void> }[] = [];

afterAll(async () => {
  for (const r of running) await r.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(
  dataDir: string | undefined,
  receiver?: Receiver,
): Promise<{ sim: PspSimulator; stripe: Stripe }> {
  const sim = await startPspSimulator({
    port: 0,
    apiKeys: [API_KEY],
    seed: 'persistence',
    webhookRetryBaseMs: 20,
    ...(dataDir ? { dataDir } : {}),
  });
  running.push(sim);
  if (receiver) {
    sim.control.addWebhookEndpoint({ url: receiver.url, secret: WEBHOOK_SECRET });
    sim.resumeWebhooks();
  }
  const stripe = new Stripe(API_KEY, {
    host: '127.0.0.1',
    port: sim.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  return { sim, stripe };
}

const PAYEE_SECRET = 'payee_whsec_persistence';

async function payeeCall(
  sim: PspSimulator,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  idempotencyKey?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      authorization: 'Bearer payee_test_persistence',
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'psp-state-'));
  dirs.push(dir);
  return dir;
}

describe('a simulator with a data folder', () => {
  it('keeps objects, events, idempotency keys and its clock across a restart without a stop', async () => {
    // Prepare: the first simulator does work and is never stopped (as if killed)
    const dir = folder();
    const first = await start(dir);
    const intent = await first.stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        metadata: { order: 'o1' },
      },
      { idempotencyKey: 'payin-o1' },
    );
    const refund = await first.stripe.refunds.create({ payment_intent: intent.id, amount: 500 });
    first.sim.control.advanceClock(3_600_000);
    await first.stripe.paymentIntents.retrieve(intent.id);
    const eventsBefore = first.sim.control.events().map((e) => e.id);

    // Act: a second simulator on the same folder
    const second = await start(dir);
    const retrieved = await second.stripe.paymentIntents.retrieve(intent.id);
    const replay = await second.stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        metadata: { order: 'o1' },
      },
      { idempotencyKey: 'payin-o1' },
    );
    const conflict = await second.stripe.paymentIntents
      .create({ amount: 999, currency: 'usd' }, { idempotencyKey: 'payin-o1' })
      .catch((e) => e);
    const refunds = await second.stripe.refunds.list({ payment_intent: intent.id });

    // Assess
    expect(second.sim.restored).toBe(true);
    expect(retrieved.status).toBe('succeeded');
    expect(replay.id).toBe(intent.id);
    expect(replay.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(conflict).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(refunds.data.map((r) => r.id)).toEqual([refund.id]);
    expect(second.sim.control.events().map((e) => e.id)).toEqual(eventsBefore);
    expect(second.sim.control.now()).toBeGreaterThanOrEqual(Date.now() + 3_500_000);
    expect((await second.stripe.paymentIntents.list({ limit: 100 })).data).toHaveLength(1);
  });

  it('sends again, after a restart, the events an endpoint had not acknowledged', async () => {
    // Prepare: the endpoint fails every delivery of the first simulator
    const dir = folder();
    const receiver = await startReceiver();
    running.push({ stop: () => receiver.close() });
    receiver.script(Array.from({ length: 50 }, () => 500));
    const first = await start(dir, receiver);
    const intent = await first.stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await receiver.waitFor((r) => r.length >= 2);
    await first.sim.stop();

    // Act: the endpoint is healthy again; a restarted simulator resumes
    receiver.script([]);
    const delivered = receiver.received.length;
    await start(dir, receiver);
    await receiver.waitFor((r) =>
      r
        .slice(delivered)
        .some(
          (x) =>
            x.status === 200 && x.eventType === 'payment_intent.succeeded' && x.rawBody.includes(intent.id),
        ),
    );

    // Assess
    const resent = receiver.received.slice(delivered).filter((x) => x.status === 200);
    expect(resent.length).toBeGreaterThan(0);
  });

  it('keeps the payee network too: payments and their next step, keys, unacknowledged payee webhooks', async () => {
    // Prepare: a payee payment made and moved to paid; its endpoint fails every delivery
    const dir = folder();
    const receiver = await startReceiver();
    running.push({ stop: () => receiver.close() });
    receiver.script(Array.from({ length: 50 }, () => 500));
    const first = await start(dir);
    const payees = first.sim.control.payees;
    if (!payees) throw new Error('no payee network');
    payees.setDelayMs(365 * 86_400_000);
    payees.addWebhookEndpoint({ url: receiver.url, secret: PAYEE_SECRET });
    const ref = `pout_persist_${Date.now().toString(36)}`;
    const body = { ref_code: ref, payee_id: 'payee_ok_persist', amount: 1200, currency: 'usd' };
    const created = await payeeCall(first.sim, 'POST', '/payee/v1/payments', body, `payout-${ref}-payment`);
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    payees.step(id);
    await receiver.waitFor((r) => r.length >= 2);
    await first.sim.stop();

    // Act: restarted on the same folder, the endpoint healthy again
    receiver.script([]);
    const delivered = receiver.received.length;
    const second = await start(dir);
    const again = second.sim.control.payees;
    if (!again) throw new Error('no payee network');
    again.addWebhookEndpoint({ url: receiver.url, secret: PAYEE_SECRET });
    const resent = again.resumeWebhooks();
    const found = await payeeCall(second.sim, 'GET', `/payee/v1/payments?ref_code=${ref}`);
    const replay = await payeeCall(second.sim, 'POST', '/payee/v1/payments', body, `payout-${ref}-payment`);
    again.finish(id);
    await receiver.waitFor((r) =>
      ['payment.submitted', 'payment.paid', 'payment.cleared'].every((type) =>
        r.slice(delivered).some((x) => x.status === 200 && x.eventType === type && x.rawBody.includes(id)),
      ),
    );

    // Assess
    expect(second.sim.restored).toBe(true);
    expect(resent).toBe(2);
    expect(found.json.data).toEqual([expect.objectContaining({ id, ref_code: ref, status: 'paid' })]);
    expect(replay.json.id).toBe(id);
    expect(again.list({ refCode: ref })).toHaveLength(1);
    expect(again.list({ refCode: ref })[0]?.status).toBe('cleared');
  });

  it('without a data folder, forgets (the default, in memory)', async () => {
    // Prepare
    const first = await start(undefined);
    const intent = await first.stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });

    // Act
    const second = await start(undefined);
    const missing = await second.stripe.paymentIntents.retrieve(intent.id).catch((e) => e);

    // Assess
    expect(second.sim.restored).toBe(false);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});
