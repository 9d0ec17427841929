/** Stripe's idempotency contract, observed through the real SDK and raw HTTP. */
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SimHarness, startHarness } from './support/sim';

let h: SimHarness;

beforeAll(async () => {
  h = await startHarness();
});

afterEach(() => {
  h.sim.control.clearFaults();
  h.sim.control.releaseHeld();
});

afterAll(async () => {
  await h.stop();
});

async function intentsTagged(stripe: Stripe, tag: string): Promise<Stripe.PaymentIntent[]> {
  const all = await stripe.paymentIntents.list({ limit: 100 });
  return all.data.filter((p) => p.metadata.tag === tag);
}

describe('Idempotency-Key', () => {
  it('replays the first response to a retry with the same key and parameters', async () => {
    // Prepare
    const key = randomUUID();
    const tag = randomUUID();
    const params = {
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { tag },
    };
    const first = await h.stripe.paymentIntents.create(params, { idempotencyKey: key });
    // Act
    const second = await h.stripe.paymentIntents.create(params, { idempotencyKey: key });
    // Assess
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(await intentsTagged(h.stripe, tag)).toHaveLength(1);
  });

  it('replays a decline instead of charging again', async () => {
    // Prepare
    const key = randomUUID();
    const params = { amount: 1500, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true };
    const first = (await h.stripe.paymentIntents
      .create(params, { idempotencyKey: key })
      .catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    // Act
    const second = (await h.stripe.paymentIntents
      .create(params, { idempotencyKey: key })
      .catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    // Assess
    expect(second.statusCode).toBe(402);
    expect(second.headers?.['idempotent-replayed']).toBe('true');
    expect(second.payment_intent?.id).toBe(first.payment_intent?.id);
    const charges = await h.stripe.charges.list({ payment_intent: first.payment_intent?.id as string });
    expect(charges.data).toHaveLength(1);
  });

  it('answers 400 idempotency_error when the same key comes with other parameters or another endpoint', async () => {
    // Prepare
    const key = randomUUID();
    await h.stripe.paymentIntents.create({ amount: 1500, currency: 'usd' }, { idempotencyKey: key });
    // Act
    const otherParams = await h.stripe.paymentIntents
      .create({ amount: 1600, currency: 'usd' }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    const otherEndpoint = await h.stripe.transfers
      .create({ amount: 1500, currency: 'usd', destination: 'acct_x' }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    // Assess
    expect(otherParams).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(otherParams).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
    expect((otherParams as Stripe.errors.StripeError).message).toContain(`other than '${key}'`);
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('answers 409 to a request that arrives while the first with its key is still executing', async () => {
    // Prepare
    const key = randomUUID();
    const tag = randomUUID();
    const params = { amount: 1500, currency: 'usd', metadata: { tag } };
    h.sim.control.addFault({ kind: 'hold', route: 'POST /v1/payment_intents', count: 1 });
    const first = h.stripe.paymentIntents.create(params, { idempotencyKey: key });
    await h.sim.control.waitForHeld(1);
    // Act
    const concurrent = await h.stripe.paymentIntents
      .create(params, { idempotencyKey: key })
      .catch((e: unknown) => e);
    h.sim.control.releaseHeld();
    const firstResult = await first;
    const afterwards = await h.stripe.paymentIntents.create(params, { idempotencyKey: key });
    // Assess
    expect(concurrent).toMatchObject({ statusCode: 409, code: 'idempotency_key_in_use' });
    expect(afterwards.id).toBe(firstResult.id);
    expect(afterwards.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(await intentsTagged(h.stripe, tag)).toHaveLength(1);
  });

  it('scopes keys to the API key', async () => {
    // Prepare
    const key = randomUUID();
    const params = { amount: 1500, currency: 'usd' };
    const mine = await h.stripe.paymentIntents.create(params, { idempotencyKey: key });
    // Act
    const theirs = await h
      .client({}, 'sk_test_other_account')
      .paymentIntents.create(params, { idempotencyKey: key });
    // Assess
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('saves nothing for a request that failed validation, so the key can be used again', async () => {
    // Prepare
    const key = randomUUID();
    const invalid = await h.stripe.paymentIntents
      .create({ amount: 1500 } as Stripe.PaymentIntentCreateParams, { idempotencyKey: key })
      .catch((e: unknown) => e);
    // Act
    const valid = await h.stripe.paymentIntents.create(
      { amount: 1500, currency: 'usd' },
      { idempotencyKey: key },
    );
    // Assess
    expect(invalid).toMatchObject({ statusCode: 400, code: 'parameter_missing' });
    expect(valid.status).toBe('requires_payment_method');
    expect(valid.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('refuses a key longer than 255 characters', async () => {
    const error = await h.stripe.paymentIntents
      .create({ amount: 1500, currency: 'usd' }, { idempotencyKey: 'k'.repeat(256) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400 });
  });
});
