/** Fault injection on API routes: 5xx, rate limiting, latency past the client's timeout, commit-then-drop. */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../sandbox/engines/child-process';
import { startPspSimulator } from '../../../sandbox/psp';
import { API_KEY, type SimHarness, startHarness } from './support/sim';

let h: SimHarness;

beforeAll(async () => {
  h = await startHarness();
});

afterEach(() => {
  h.sim.control.clearFaults();
});

afterAll(async () => {
  await h.stop();
});

async function intentsTagged(tag: string): Promise<Stripe.PaymentIntent[]> {
  const all = await h.stripe.paymentIntents.list({ limit: 100 });
  return all.data.filter((p) => p.metadata.tag === tag);
}

describe('API faults', () => {
  it('answers 5xx for the next N requests on a route, then recovers', async () => {
    // Prepare
    h.sim.control.addFault({ kind: 'error', route: 'POST /v1/payment_intents', status: 503, count: 2 });
    // Act
    const outcomes: (number | string)[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await h.stripe.paymentIntents
        .create({ amount: 500, currency: 'usd' })
        .catch((e: unknown) => e);
      outcomes.push(
        result instanceof Stripe.errors.StripeAPIError
          ? (result.statusCode ?? 0)
          : (result as Stripe.PaymentIntent).object,
      );
    }
    // Assess
    expect(outcomes).toEqual([503, 503, 'payment_intent']);
  });

  it('lets an SDK with retries ride over a 5xx without charging twice', async () => {
    // Prepare
    const tag = randomUUID();
    h.sim.control.addFault({ kind: 'error', route: 'POST /v1/payment_intents', status: 500, count: 1 });
    const stripe = h.client({ maxNetworkRetries: 2 });
    // Act
    const pi = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { tag },
    });
    // Assess
    expect(pi.status).toBe('succeeded');
    expect(await intentsTagged(tag)).toHaveLength(1);
  });

  it('rate-limits with 429 rate_limit', async () => {
    // Prepare
    h.sim.control.addFault({ kind: 'rate_limit', route: 'GET /v1/payment_intents/:id', count: 1 });
    const pi = await h.stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    // Act
    const limited = await h.stripe.paymentIntents.retrieve(pi.id).catch((e: unknown) => e);
    const next = await h.stripe.paymentIntents.retrieve(pi.id);
    // Assess
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(limited).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect(next.id).toBe(pi.id);
  });

  it('does the work after the client timed out; a retry with the same key gets that result', async () => {
    // Prepare
    const key = randomUUID();
    const tag = randomUUID();
    const params = {
      amount: 900,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { tag },
    };
    h.sim.control.addFault({ kind: 'latency', route: 'POST /v1/payment_intents', delayMs: 1500, count: 1 });
    // Act
    const timedOut = await h
      .client({ timeout: 200 })
      .paymentIntents.create(params, { idempotencyKey: key })
      .catch((e: unknown) => e);
    await waitUntil(
      'the delayed request to commit',
      async () => (await intentsTagged(tag)).length === 1,
      10_000,
    );
    const retried = await h.stripe.paymentIntents.create(params, { idempotencyKey: key });
    // Assess
    expect(timedOut).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await intentsTagged(tag)).map((p) => p.id)).toEqual([retried.id]);
  });

  it('commits, then drops the connection; the SDK retry with its key gets the stored result', async () => {
    // Prepare
    const tag = randomUUID();
    h.sim.control.addFault({ kind: 'drop', route: 'POST /v1/payment_intents', count: 1 });
    // Act: stripe-node retries a reset connection once, with the same Idempotency-Key, even at maxNetworkRetries 0
    const pi = await h.stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { tag },
    });
    // Assess
    expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(await intentsTagged(tag)).toHaveLength(1);
  });

  it('drops the socket on the wire, with the work done', async () => {
    // Prepare
    const tag = randomUUID();
    h.sim.control.addFault({ kind: 'drop', route: 'POST /v1/payment_intents', count: 1 });
    // Act
    const outcome = await fetch(`${h.sim.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `amount=700&currency=usd&metadata[tag]=${tag}`,
    }).catch((e: unknown) => e);
    // Assess
    expect(outcome).toBeInstanceOf(TypeError);
    expect(await intentsTagged(tag)).toHaveLength(1);
  });

  it('takes faults through the HTTP control API and at start-up', async () => {
    // Prepare
    const added = await fetch(`${h.sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'error', route: 'POST /v1/refunds', status: 502, count: 1 }),
    });
    const fromStart = await startPspSimulator({
      port: 0,
      faults: [{ kind: 'rate_limit', route: '*', count: 1 }],
    });
    try {
      // Act
      const refund = await h.stripe.refunds.create({ payment_intent: 'pi_none' }).catch((e: unknown) => e);
      const listed = (await (await fetch(`${h.sim.url}/_sim/faults`)).json()) as {
        data: { fired: number }[];
      };
      const first = await fetch(`${fromStart.url}/v1/events`, {
        headers: { Authorization: 'Bearer sk_test_x' },
      });
      // Assess
      expect(added.status).toBe(200);
      expect(refund).toMatchObject({ statusCode: 502 });
      expect(listed.data[0]?.fired).toBe(1);
      expect(first.status).toBe(429);
    } finally {
      await fromStart.stop();
    }
  });

  it('rejects a malformed fault rule', async () => {
    const response = await fetch(`${h.sim.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'error', route: 'POST /v1/refunds', probability: 2 }),
    });
    expect(response.status).toBe(400);
  });
});

describe('fault dice', () => {
  async function failurePattern(seed: string): Promise<boolean[]> {
    const sim = await startPspSimulator({ port: 0, seed });
    try {
      sim.control.addFault({ kind: 'error', route: 'GET /v1/events', probability: 0.5 });
      const stripe = new Stripe(API_KEY, {
        host: '127.0.0.1',
        port: sim.port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      const pattern: boolean[] = [];
      for (let i = 0; i < 24; i++)
        pattern.push(
          await stripe.events.list().then(
            () => false,
            () => true,
          ),
        );
      return pattern;
    } finally {
      await sim.stop();
    }
  }

  it('repeats the same failures for the same seed', async () => {
    // Act
    const first = await failurePattern('seed-a');
    const second = await failurePattern('seed-a');
    // Assess
    expect(second).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });
});

describe('as unkind as Stripe (issue 8.3)', () => {
  it('saves a 5xx raised after execution began and replays it to every retry with the same key', async () => {
    const tag = randomUUID();
    h.sim.control.addFault({ kind: 'stored_error', route: 'POST /v1/payment_intents', count: 1 });
    const key = `k-${tag}`;
    const params = { amount: 700, currency: 'usd', metadata: { tag } };
    const first = await h.stripe.paymentIntents
      .create(params, { idempotencyKey: key })
      .catch((e: unknown) => e);
    const again = await h.stripe.paymentIntents
      .create(params, { idempotencyKey: key })
      .catch((e: unknown) => e);
    for (const answer of [first, again]) {
      expect(answer).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect((answer as Stripe.errors.StripeError).statusCode).toBe(500);
      expect((answer as Stripe.errors.StripeError).headers?.['stripe-should-retry']).toBe('false');
    }
    expect((again as Stripe.errors.StripeError).headers?.['idempotent-replayed']).toBe('true');
    expect((again as Stripe.errors.StripeError).headers?.['original-request']).toBe(
      (first as Stripe.errors.StripeError).requestId,
    );
    // The work was committed before the error (executed defaults to true): one intent exists.
    expect(await intentsTagged(tag)).toHaveLength(1);
    // A new key executes.
    const other = await h.stripe.paymentIntents.create(params, { idempotencyKey: `${key}-2` });
    expect(other.object).toBe('payment_intent');
  });

  it('with executed: false, saves the 5xx without doing the work', async () => {
    const tag = randomUUID();
    h.sim.control.addFault({
      kind: 'stored_error',
      route: 'POST /v1/payment_intents',
      count: 1,
      executed: false,
    });
    const answer = await h.stripe.paymentIntents
      .create({ amount: 700, currency: 'usd', metadata: { tag } }, { idempotencyKey: `k-${tag}` })
      .catch((e: unknown) => e);
    expect((answer as Stripe.errors.StripeError).statusCode).toBe(500);
    expect(await intentsTagged(tag)).toHaveLength(0);
  });

  it('refuses a rotated-out key with 401 api_key_expired; the new key works and shares the idempotency keys', async () => {
    const oldKey = API_KEY;
    const newKey = `sk_test_new${Date.now().toString(36)}`;
    const before = h.client({}, oldKey);
    const key = `rot-${randomUUID()}`;
    const made = await before.paymentIntents.create(
      { amount: 900, currency: 'usd' },
      { idempotencyKey: key },
    );
    h.sim.control.rotateApiKey(oldKey, newKey);
    const refused = await before.paymentIntents.retrieve(made.id).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((refused as Stripe.errors.StripeError).code).toBe('api_key_expired');
    const after = h.client({}, newKey);
    const replayed = await after.paymentIntents.create(
      { amount: 900, currency: 'usd' },
      { idempotencyKey: key },
    );
    expect(replayed.id).toBe(made.id);
    // Roll back, for the tests after this one.
    h.sim.control.rotateApiKey(newKey, oldKey);
    expect((await before.paymentIntents.retrieve(made.id)).id).toBe(made.id);
  });

  it("rate-limits per account with 429 rate_limit (Stripe's shape), other accounts unaffected", async () => {
    h.sim.control.setRateLimit({ requestsPerSecond: 1, burst: 2, account: 'platform' });
    try {
      const stripe = h.client({ maxNetworkRetries: 0 });
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => stripe.paymentIntents.list({ limit: 1 }).catch((e: unknown) => e)),
      );
      const limited = answers.filter((a) => a instanceof Stripe.errors.StripeRateLimitError);
      expect(limited.length).toBeGreaterThanOrEqual(3);
      expect((limited[0] as Stripe.errors.StripeError).code).toBe('rate_limit');
      expect((limited[0] as Stripe.errors.StripeError).statusCode).toBe(429);
      expect(h.sim.control.rateLimit()?.limited).toBeGreaterThanOrEqual(3);
    } finally {
      h.sim.control.setRateLimit(undefined);
    }
  });
});
