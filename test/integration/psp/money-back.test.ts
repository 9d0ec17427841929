/**
 * Money going back in the simulator: refunds that succeed at once, stay pending then succeed or fail, or fail
 * after reporting success; dashboard refunds; disputes through their lifecycle (control API over HTTP, like
 * `stripe trigger`); transfer reversals refused when the connected balance cannot cover them. Each with its
 * signed events and balance transactions.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHarness, startHarness, WEBHOOK_SECRET } from './support/sim';

let h: SimHarness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h.stop();
});

async function pay(paymentMethod = 'pm_card_visa', amount = 10_000): Promise<Stripe.PaymentIntent> {
  return h.stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: control answers are free-form JSON read by the assertions
type Json = any;

async function control(path: string, body: unknown = {}): Promise<{ status: number; json: Json }> {
  const response = await fetch(`http://127.0.0.1:${h.sim.port}/_sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

async function eventsAbout(id: string): Promise<string[]> {
  await h.sim.control.webhooksIdle();
  return h.receiver.received
    .map((r) => h.stripe.webhooks.constructEvent(r.rawBody, r.signature, WEBHOOK_SECRET))
    .filter((e) => (e.data.object as { id?: string }).id === id)
    .map((e) => e.type);
}

describe('refund lifecycles', () => {
  it('a pending refund succeeds later, by the clock', async () => {
    const pi = await pay('pm_sim_refund_pending');
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 4_000 });
    expect(refund.status).toBe('pending');
    h.sim.control.advanceClock(61_000);
    expect((await h.stripe.refunds.retrieve(refund.id)).status).toBe('succeeded');
    expect(await eventsAbout(refund.id)).toEqual(['refund.created', 'refund.updated']);
  });

  it('a pending refund that fails gives the money back with a refund_failure balance transaction', async () => {
    const pi = await pay();
    expect((await control(`payment_intents/${pi.id}/refund_mode`, { mode: 'pending_fails' })).status).toBe(
      200,
    );
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id });
    const settled = await control(`refunds/${refund.id}/settle`, { failure_reason: 'lost_or_stolen_card' });
    expect(settled.json).toMatchObject({ status: 'failed', failure_reason: 'lost_or_stolen_card' });
    const failure = await h.stripe.balanceTransactions.retrieve(settled.json.failure_balance_transaction);
    expect(failure).toMatchObject({
      amount: 10_000,
      reporting_category: 'refund_failure',
      source: refund.id,
    });
    // The charge can be refunded again.
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.amount_refunded).toBe(0);
    expect(await eventsAbout(refund.id)).toEqual(['refund.created', 'refund.updated', 'refund.failed']);
    // Final: a second result is refused.
    expect((await control(`refunds/${refund.id}/settle`, { outcome: 'succeeded' })).status).toBe(400);
  });

  it('a refund that reports succeeded can still fail later (test card 5126)', async () => {
    const pi = await pay('pm_sim_refund_fails');
    const refund = await h.stripe.refunds.create({ payment_intent: pi.id, amount: 2_500 });
    expect(refund.status).toBe('succeeded');
    h.sim.control.advanceClock(61_000);
    const later = await h.stripe.refunds.retrieve(refund.id);
    expect(later.status).toBe('failed');
    expect(later.failure_reason).toBe('expired_or_canceled_card');
  });

  it('a dashboard refund has no request or idempotency key and is seen only as events', async () => {
    const pi = await pay();
    const made = await control('dashboard/refunds', { payment_intent: pi.id, amount: 1_000 });
    expect(made.json).toMatchObject({ status: 'succeeded', amount: 1_000, payment_intent: pi.id });
    const event = h.sim.control
      .events()
      .find((e) => e.type === 'refund.created' && (e.data.object as { id?: string }).id === made.json.id);
    expect(event?.request).toEqual({ id: null, idempotency_key: null });
  });
});

describe('disputes', () => {
  it('a chargeback withdraws amount and fee; won reinstates the amount', async () => {
    const pi = await pay();
    const opened = await control('disputes', { payment_intent: pi.id });
    expect(opened.json).toMatchObject({ status: 'needs_response', amount: 10_000 });
    const [withdrawal] = opened.json.balance_transactions;
    expect(withdrawal).toMatchObject({
      amount: -10_000,
      fee: 1_500,
      net: -11_500,
      reporting_category: 'dispute',
    });
    await control(`disputes/${opened.json.id}/evidence`);
    const won = await control(`disputes/${opened.json.id}/close`, { outcome: 'won' });
    expect(won.json.status).toBe('won');
    expect(won.json.balance_transactions[1]).toMatchObject({
      amount: 10_000,
      reporting_category: 'dispute_reversal',
    });
    expect((await h.stripe.disputes.retrieve(opened.json.id)).status).toBe('won');
    expect(await eventsAbout(opened.json.id)).toEqual([
      'charge.dispute.created',
      'charge.dispute.funds_withdrawn',
      'charge.dispute.updated',
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
    ]);
  });

  it('a lost chargeback closes without reinstatement; an inquiry moves no money', async () => {
    const pi = await pay();
    const lost = await control('disputes', { payment_intent: pi.id, amount: 3_000 });
    const closed = await control(`disputes/${lost.json.id}/close`, { outcome: 'lost' });
    expect(closed.json).toMatchObject({ status: 'lost' });
    expect(closed.json.balance_transactions).toHaveLength(1);
    const inquiry = await control('disputes', { payment_intent: (await pay()).id, kind: 'inquiry' });
    expect(inquiry.json).toMatchObject({ status: 'warning_needs_response', balance_transactions: [] });
    const done = await control(`disputes/${inquiry.json.id}/close`, { outcome: 'won' });
    expect(done.json).toMatchObject({ status: 'warning_closed', balance_transactions: [] });
    expect(await eventsAbout(inquiry.json.id)).toEqual(['charge.dispute.created', 'charge.dispute.closed']);
  });
});

describe('transfer reversals', () => {
  it('succeed while the connected balance covers them, and are refused with balance_insufficient otherwise', async () => {
    const transfer = await h.stripe.transfers.create({
      amount: 5_000,
      currency: 'usd',
      destination: 'acct_rev_1',
    });
    const reversal = await h.stripe.transfers.createReversal(transfer.id, { amount: 1_000 });
    expect(reversal.amount).toBe(1_000);
    // The seller paid their balance out to their bank: only 500 left.
    await control('accounts/acct_rev_1/balance', { currency: 'usd', available: 500 });
    const refused = await h.stripe.transfers.createReversal(transfer.id, { amount: 1_000 }).catch((e) => e);
    expect(refused).toMatchObject({ type: 'StripeInvalidRequestError', code: 'balance_insufficient' });
    expect((await h.stripe.transfers.retrieve(transfer.id)).amount_reversed).toBe(1_000);
  });
});
