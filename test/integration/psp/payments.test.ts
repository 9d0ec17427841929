/**
 * The simulator as Stripe, through the real `stripe` SDK: card payments (success, declines, 3-D Secure that
 * finishes by webhook, processing that settles later), refunds, transfers (sync and async pay-outs), sessions,
 * events, errors. Every object that comes back validates against Stripe's OpenAPI schema.
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaErrors, schemaForEventType } from '../../fixtures/stripe/validate';
import { delivered } from './support/receiver';
import { API_KEY, type SimHarness, startHarness, WEBHOOK_SECRET } from './support/sim';

let h: SimHarness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

function eventsOf(type: string, objectId: string): Stripe.Event[] {
  return delivered(h.receiver.received, type)
    .map((r) => JSON.parse(r.rawBody) as Stripe.Event)
    .filter((e) => (e.data.object as { id?: string }).id === objectId);
}

describe('card payments with PaymentIntents', () => {
  it('takes a card payment with pm_card_visa and metadata, as Stripe shapes it', async () => {
    // Act
    const pi = await h.stripe.paymentIntents.create({
      amount: 2599,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { payment_order_id: 'po-1', 'weird key': 'a=b&c' },
      description: 'order po-1',
    });
    // Assess
    expect(pi.status).toBe('succeeded');
    expect(pi.amount_received).toBe(2599);
    expect(pi.metadata).toEqual({ payment_order_id: 'po-1', 'weird key': 'a=b&c' });
    expect(schemaErrors(pi, 'payment_intent')).toEqual([]);
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ status: 'succeeded', paid: true, amount: 2599, payment_intent: pi.id });
    expect(charge.payment_method_details?.card).toMatchObject({ brand: 'visa', last4: '4242' });
    expect(schemaErrors(charge, 'charge')).toEqual([]);
    const txn = await h.stripe.balanceTransactions.retrieve(charge.balance_transaction as string);
    // 2.9 % of 2599 = 75.371 -> 75, + 30
    expect(txn).toMatchObject({
      amount: 2599,
      fee: 105,
      net: 2494,
      reporting_category: 'charge',
      source: charge.id,
    });
    expect(schemaErrors(txn, 'balance_transaction')).toEqual([]);
  });

  it('declines pm_card_chargeDeclined with a 402 card error and a failed PaymentIntent', async () => {
    // Act
    const error = await h.stripe.paymentIntents
      .create({ amount: 1000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true })
      .catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    const cardError = error as Stripe.errors.StripeCardError;
    expect(cardError.statusCode).toBe(402);
    expect(cardError.code).toBe('card_declined');
    expect(cardError.decline_code).toBe('generic_decline');
    const pi = cardError.payment_intent as Stripe.PaymentIntent;
    expect(pi.status).toBe('requires_payment_method');
    expect(pi.last_payment_error).toMatchObject({ type: 'card_error', code: 'card_declined' });
    const stored = await h.stripe.paymentIntents.retrieve(pi.id);
    expect(stored.status).toBe('requires_payment_method');
    expect(schemaErrors(stored, 'payment_intent')).toEqual([]);
    await h.receiver.waitFor(() => eventsOf('payment_intent.payment_failed', pi.id).length === 1);
  });

  it("puts the decline on the wire in Stripe's error shape", async () => {
    // Act
    const response = await fetch(`${h.sim.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'amount=1000&currency=usd&payment_method=pm_card_visa_chargeDeclined&confirm=true&metadata[k]=v',
    });
    // Assess
    expect(response.status).toBe(402);
    const body = (await response.json()) as { error: { payment_intent: { metadata: unknown } } };
    expect(schemaErrors(body, 'error')).toEqual([]);
    expect(body.error.payment_intent.metadata).toEqual({ k: 'v' });
  });

  it('declines insufficient funds with decline_code insufficient_funds', async () => {
    // Act
    const error = await h.stripe.paymentIntents
      .create({
        amount: 1000,
        currency: 'eur',
        payment_method: 'pm_card_chargeDeclinedInsufficientFunds',
        confirm: true,
      })
      .catch((e: unknown) => e);
    // Assess
    expect((error as Stripe.errors.StripeCardError).decline_code).toBe('insufficient_funds');
  });

  it('holds a 3-D Secure payment in requires_action and completes it later, announced by webhook', async () => {
    // Prepare
    const pi = await h.stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      return_url: 'https://shop.example/return',
    });
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('redirect_to_url');
    expect(pi.next_action?.redirect_to_url?.url).toBe(`${h.sim.url}/3ds/${pi.id}`);
    expect(schemaErrors(pi, 'payment_intent')).toEqual([]);
    // Act
    h.sim.control.completeAuthentication(pi.id, 'succeed');
    // Assess
    await h.receiver.waitFor(() => eventsOf('payment_intent.succeeded', pi.id).length === 1);
    const [event] = eventsOf('payment_intent.succeeded', pi.id);
    expect(event?.data.object).toMatchObject({ status: 'succeeded' });
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it('fails a 3-D Secure payment whose authentication fails', async () => {
    // Prepare
    const pi = await h.stripe.paymentIntents.create({
      amount: 4200,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
    });
    // Act
    h.sim.control.completeAuthentication(pi.id, 'fail');
    // Assess
    const after = await h.stripe.paymentIntents.retrieve(pi.id);
    expect(after.status).toBe('requires_payment_method');
    expect(after.last_payment_error?.code).toBe('payment_intent_authentication_failure');
    await h.receiver.waitFor(() => eventsOf('payment_intent.payment_failed', pi.id).length === 1);
  });

  it('confirms in a second call and refuses to confirm a succeeded PaymentIntent', async () => {
    // Prepare
    const created = await h.stripe.paymentIntents.create({ amount: 999, currency: 'usd' });
    expect(created.status).toBe('requires_payment_method');
    // Act
    const confirmed = await h.stripe.paymentIntents.confirm(created.id, {
      payment_method: 'pm_card_mastercard',
    });
    const again = await h.stripe.paymentIntents.confirm(created.id).catch((e: unknown) => e);
    // Assess
    expect(confirmed.status).toBe('succeeded');
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((again as Stripe.errors.StripeError).code).toBe('payment_intent_unexpected_state');
  });

  it('keeps pm_sim_processing_succeeds in processing until the clock settles it', async () => {
    // Prepare
    const pi = await h.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'eur',
      payment_method: 'pm_sim_processing_succeeds',
      confirm: true,
    });
    expect(pi.status).toBe('processing');
    // Act
    h.sim.control.advanceClock(60_000);
    // Assess
    await h.receiver.waitFor(() => eventsOf('payment_intent.succeeded', pi.id).length === 1);
    expect(eventsOf('payment_intent.processing', pi.id)).toHaveLength(1);
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
  });

  it('fails pm_sim_processing_fails when it settles', async () => {
    // Prepare
    const pi = await h.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'eur',
      payment_method: 'pm_sim_processing_fails',
      confirm: true,
    });
    // Act
    h.sim.control.settleProcessing(pi.id);
    // Assess
    await h.receiver.waitFor(() => eventsOf('payment_intent.payment_failed', pi.id).length === 1);
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_payment_method');
  });

  it('cancels an unconfirmed PaymentIntent', async () => {
    const pi = await h.stripe.paymentIntents.create({ amount: 700, currency: 'usd' });
    const canceled = await h.stripe.paymentIntents.cancel(pi.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
  });

  it('lists PaymentIntents newest first with cursor pagination', async () => {
    // Prepare
    const a = await h.stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    const b = await h.stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
    // Act
    const first = await h.stripe.paymentIntents.list({ limit: 1 });
    const second = await h.stripe.paymentIntents.list({
      limit: 1,
      starting_after: first.data[0]?.id as string,
    });
    // Assess
    expect(first.data.map((p) => p.id)).toEqual([b.id]);
    expect(first.has_more).toBe(true);
    expect(second.data.map((p) => p.id)).toEqual([a.id]);
  });
});

describe('errors as Stripe answers them', () => {
  it('answers 401 without an API key and with an unknown one', async () => {
    // Act
    const noKey = await fetch(`${h.sim.url}/v1/payment_intents`);
    const badKey = await h
      .client({}, 'sk_test_not_a_key')
      .paymentIntents.list()
      .catch((e: unknown) => e);
    // Assess
    expect(noKey.status).toBe(401);
    expect(schemaErrors(await noKey.json(), 'error')).toEqual([]);
    expect(badKey).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('answers 400 parameter_missing, parameter_unknown and 404 resource_missing', async () => {
    // Act
    const missing = await h.stripe.paymentIntents
      .create({ currency: 'usd' } as never)
      .catch((e: unknown) => e);
    const unknown = await h.stripe.paymentIntents
      .create({ amount: 100, currency: 'usd', colour: 'red' } as never)
      .catch((e: unknown) => e);
    const notFound = await h.stripe.paymentIntents.retrieve('pi_doesnotexist').catch((e: unknown) => e);
    // Assess
    expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'amount' });
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'colour' });
    expect(notFound).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    expect(notFound).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });
});

describe('refunds', () => {
  it('refunds partially, then the rest, and emits charge.refunded each time', async () => {
    // Prepare
    const pi = await h.stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    // Act
    const partial = await h.stripe.refunds.create({
      payment_intent: pi.id,
      amount: 1000,
      metadata: { reason_code: 'r1' },
    });
    const rest = await h.stripe.refunds.create({ payment_intent: pi.id });
    const tooMuch = await h.stripe.refunds
      .create({ payment_intent: pi.id, amount: 1 })
      .catch((e: unknown) => e);
    // Assess
    expect(partial).toMatchObject({ status: 'succeeded', amount: 1000, payment_intent: pi.id });
    expect(rest.amount).toBe(2000);
    expect(schemaErrors(partial, 'refund')).toEqual([]);
    expect(tooMuch).toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge).toMatchObject({ amount_refunded: 3000, refunded: true });
    await h.receiver.waitFor(() => eventsOf('charge.refunded', charge.id).length === 2);
    const amounts = eventsOf('charge.refunded', charge.id).map(
      (e) => (e.data.object as Stripe.Charge).amount_refunded,
    );
    expect(amounts).toEqual([1000, 3000]);
  });

  it('refuses a refund larger than what is left', async () => {
    const pi = await h.stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const error = await h.stripe.refunds
      .create({ payment_intent: pi.id, amount: 3001 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: 'amount_too_large' });
  });
});

describe('transfers (pay-outs)', () => {
  it('transfers to a connected account at once, and reverses it', async () => {
    // Act
    const transfer = await h.stripe.transfers.create({
      amount: 1500,
      currency: 'usd',
      destination: 'acct_seller1',
      transfer_group: 'payout-1',
      metadata: { payout_id: 'p-1' },
    });
    const reversal = await h.stripe.transfers.createReversal(transfer.id, { amount: 500 });
    // Assess
    expect(transfer).toMatchObject({
      destination: 'acct_seller1',
      transfer_group: 'payout-1',
      metadata: { payout_id: 'p-1' },
    });
    expect(schemaErrors(transfer, 'transfer')).toEqual([]);
    expect(schemaErrors(reversal, 'transfer_reversal')).toEqual([]);
    await h.receiver.waitFor(() => eventsOf('transfer.created', transfer.id).length === 1);
    await h.receiver.waitFor(() => eventsOf('transfer.reversed', transfer.id).length === 1);
    expect((await h.stripe.transfers.retrieve(transfer.id)).amount_reversed).toBe(500);
  });

  it('answers an async destination only by webhook: transfer.paid later', async () => {
    // Prepare
    const transfer = await h.stripe.transfers.create({
      amount: 800,
      currency: 'usd',
      destination: 'acct_async_seller2',
    });
    await h.receiver.waitFor(() => eventsOf('transfer.created', transfer.id).length === 1);
    expect(eventsOf('transfer.paid', transfer.id)).toHaveLength(0);
    // Act
    h.sim.control.advanceClock(60_000);
    // Assess
    await h.receiver.waitFor(() => eventsOf('transfer.paid', transfer.id).length === 1);
  });

  it('reports a failed async pay-out by transfer.failed, the money returned', async () => {
    // Prepare
    const transfer = await h.stripe.transfers.create({
      amount: 800,
      currency: 'usd',
      destination: 'acct_async_fail_seller3',
    });
    // Act
    h.sim.control.settleTransfer(transfer.id);
    // Assess
    await h.receiver.waitFor(() => eventsOf('transfer.failed', transfer.id).length === 1);
    const [event] = eventsOf('transfer.failed', transfer.id);
    expect(event?.data.object).toMatchObject({ reversed: true, amount_reversed: 800 });
  });
});

describe('checkout sessions', () => {
  it('creates a session from line items, retrieves it and expires it', async () => {
    // Prepare
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 1250, product_data: { name: 'Mug' } }, quantity: 2 },
        { price_data: { currency: 'usd', unit_amount: 500, product_data: { name: 'Card' } }, quantity: 1 },
      ],
      success_url: 'https://shop.example/ok?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'https://shop.example/cancel',
      client_reference_id: 'checkout-42',
      metadata: { checkout_id: 'checkout-42' },
      payment_intent_data: { metadata: { checkout_id: 'checkout-42' } },
    });
    // Act
    const retrieved = await h.stripe.checkout.sessions.retrieve(session.id);
    const expired = await h.stripe.checkout.sessions.expire(session.id);
    // Assess
    expect(retrieved).toMatchObject({
      amount_total: 3000,
      currency: 'usd',
      status: 'open',
      client_reference_id: 'checkout-42',
    });
    expect(retrieved.url).toBe(`${h.sim.url}/checkout/${session.id}`);
    expect(schemaErrors(retrieved, 'checkout.session')).toEqual([]);
    expect(expired.status).toBe('expired');
    await h.receiver.waitFor(() => eventsOf('checkout.session.expired', session.id).length === 1);
  });

  it('expires an open session when the clock passes expires_at', async () => {
    // Prepare
    const now = Math.floor(h.sim.control.now() / 1000);
    const session = await h.stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'usd', unit_amount: 800, product_data: { name: 'Pen' } }, quantity: 1 },
      ],
      success_url: 'https://shop.example/ok',
      expires_at: now + 31 * 60,
    });
    // Act
    h.sim.control.advanceClock(32 * 60 * 1000);
    // Assess
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('expired');
  });

  it('refuses an expires_at sooner than 30 minutes', async () => {
    const error = await h.stripe.checkout.sessions
      .create({
        mode: 'payment',
        line_items: [
          { price_data: { currency: 'usd', unit_amount: 800, product_data: { name: 'Pen' } }, quantity: 1 },
        ],
        expires_at: Math.floor(h.sim.control.now() / 1000) + 60,
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, param: 'expires_at' });
  });
});

describe('events', () => {
  it('retrieves and lists events, each valid and signed on delivery', async () => {
    // Prepare
    const pi = await h.stripe.paymentIntents.create({
      amount: 1100,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await h.receiver.waitFor(() => eventsOf('payment_intent.succeeded', pi.id).length === 1);
    const [delivery] = delivered(h.receiver.received, 'payment_intent.succeeded').filter((r) =>
      r.rawBody.includes(pi.id),
    );
    // Act
    const verified = h.stripe.webhooks.constructEvent(
      delivery?.rawBody as string,
      delivery?.signature as string,
      WEBHOOK_SECRET,
    );
    const retrieved = await h.stripe.events.retrieve(verified.id);
    const listed = await h.stripe.events.list({ type: 'payment_intent.*', limit: 100 });
    // Assess
    expect(retrieved.id).toBe(verified.id);
    expect(schemaErrors(retrieved, 'event')).toEqual([]);
    expect(schemaErrors(retrieved.data.object, schemaForEventType(retrieved.type))).toEqual([]);
    expect(retrieved.request?.idempotency_key).toMatch(/^stripe-node-retry-/);
    expect(listed.data.every((e) => e.type.startsWith('payment_intent.'))).toBe(true);
    expect(listed.data.map((e) => e.id)).toContain(verified.id);
  });

  it('sends only events whose objects validate against their schemas', async () => {
    // Prepare: what the tests above produced
    await h.sim.control.webhooksIdle();
    const events = h.sim.control.events();
    // Act
    const problems = events.flatMap((e) => [
      ...schemaErrors(e, 'event'),
      ...(e.type.startsWith('transfer.') && e.type !== 'transfer.created' && e.type !== 'transfer.reversed'
        ? schemaErrors(e.data.object, 'transfer')
        : schemaErrors(e.data.object, schemaForEventType(e.type))),
    ]);
    // Assess
    expect(events.length).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });
});
