/** Webhook delivery: Stripe signatures, retries until 2xx, endpoints, and the delivery faults. */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { delivered, type Received, startReceiver } from './support/receiver';
import { type SimHarness, startHarness, WEBHOOK_SECRET } from './support/sim';

let h: SimHarness;

beforeAll(async () => {
  h = await startHarness();
});

afterEach(async () => {
  h.sim.control.clearFaults();
  await h.sim.control.webhooksIdle();
});

afterAll(async () => {
  await h.stop();
});

function about(received: readonly Received[], objectId: string): Received[] {
  return received.filter(
    (r) => r.rawBody.includes(`"id": "${objectId}"`) || r.rawBody.includes(`"payment_intent": "${objectId}"`),
  );
}

async function pay(metadata: Record<string, string> = {}): Promise<Stripe.PaymentIntent> {
  return h.stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    metadata,
  });
}

describe('signatures', () => {
  it('signs every delivery so that stripe.webhooks.constructEvent accepts it, and only with the right secret', async () => {
    // Prepare
    const pi = await pay();
    await h.sim.control.webhooksIdle();
    const deliveries = about(h.receiver.received, pi.id);
    // Act
    const verified = deliveries.map((d) =>
      h.stripe.webhooks.constructEvent(d.rawBody, d.signature, WEBHOOK_SECRET),
    );
    const tampered = (() => {
      const d = deliveries[0] as Received;
      try {
        h.stripe.webhooks.constructEvent(d.rawBody.replace('1000', '9000'), d.signature, WEBHOOK_SECRET);
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(verified.map((e) => e.type)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    expect(tampered).toBeInstanceOf(Stripe.errors.StripeSignatureVerificationError);
    expect(deliveries[0]?.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });
});

describe('delivery', () => {
  it('retries with backoff until the endpoint answers 2xx', async () => {
    // Prepare
    h.receiver.script([500, 503, 200]);
    // Act
    const pi = await h.stripe.paymentIntents.create({ amount: 1000, currency: 'usd' });
    await h.sim.control.webhooksIdle();
    // Assess
    const attempts = about(h.receiver.received, pi.id).map((r) => r.status);
    expect(attempts).toEqual([500, 503, 200]);
    const log = h.sim.control
      .deliveries()
      .filter((d) => d.eventType === 'payment_intent.created' && attempts.length && d.attempt > 0);
    expect(log.slice(-3).map((d) => [d.attempt, d.outcome])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
  });

  it('delivers to endpoints added through the HTTP control API, filtered by enabled events', async () => {
    // Prepare
    const second = await startReceiver();
    try {
      const response = await fetch(`${h.sim.url}/_sim/webhook_endpoints`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ url: second.url, secret: 'whsec_second', enabledEvents: ['charge.refunded'] }),
      });
      const endpoint = (await response.json()) as { id: string };
      // Act
      const pi = await pay();
      await h.stripe.refunds.create({ payment_intent: pi.id });
      await h.sim.control.webhooksIdle();
      h.sim.control.removeWebhookEndpoint(endpoint.id);
      // Assess
      expect(second.received.map((r) => r.eventType)).toEqual(['charge.refunded']);
      const event = h.stripe.webhooks.constructEvent(
        second.received[0]?.rawBody ?? '',
        second.received[0]?.signature ?? '',
        'whsec_second',
      );
      expect((event.data.object as Stripe.Charge).payment_intent).toBe(pi.id);
    } finally {
      await second.close();
    }
  });
});

describe('webhook faults', () => {
  it('duplicates an event: the same event id arrives twice', async () => {
    // Prepare
    h.sim.control.addFault({ kind: 'duplicate', eventType: 'payment_intent.succeeded', count: 1 });
    // Act
    const pi = await pay();
    await h.sim.control.webhooksIdle();
    // Assess
    const copies = delivered(about(h.receiver.received, pi.id), 'payment_intent.succeeded');
    expect(copies).toHaveLength(2);
    expect(copies[0]?.eventId).toBe(copies[1]?.eventId);
  });

  it('loses an event: never delivered, still retrievable from the Events API', async () => {
    // Prepare
    h.sim.control.addFault({ kind: 'loss', eventType: 'payment_intent.succeeded', count: 1 });
    // Act
    const pi = await pay();
    await h.sim.control.webhooksIdle();
    // Assess
    expect(about(h.receiver.received, pi.id).map((r) => r.eventType)).toEqual([
      'payment_intent.created',
      'charge.succeeded',
    ]);
    const listed = await h.stripe.events.list({ type: 'payment_intent.succeeded', limit: 100 });
    const lost = listed.data.find((e) => (e.data.object as Stripe.PaymentIntent).id === pi.id);
    expect(lost).toBeDefined();
    expect((await h.stripe.events.retrieve(lost?.id as string)).type).toBe('payment_intent.succeeded');
  });

  it('reorders an event: it arrives after the one that followed it', async () => {
    // Prepare
    h.sim.control.addFault({ kind: 'reorder', eventType: 'charge.succeeded', count: 1 });
    // Act
    const pi = await pay();
    await h.sim.control.webhooksIdle();
    // Assess
    expect(about(h.receiver.received, pi.id).map((r) => r.eventType)).toEqual([
      'payment_intent.created',
      'payment_intent.succeeded',
      'charge.succeeded',
    ]);
  });

  it('delays an event behind later ones', async () => {
    // Prepare
    h.sim.control.addFault({ kind: 'delay', eventType: 'payment_intent.succeeded', delayMs: 1500, count: 1 });
    // Act
    const delayed = await pay({ which: 'delayed' });
    const later = await h.stripe.paymentIntents.create({ amount: 600, currency: 'usd' });
    await h.sim.control.webhooksIdle();
    // Assess
    const order = h.receiver.received.map((r) => r.eventId);
    const delayedEvent = delivered(about(h.receiver.received, delayed.id), 'payment_intent.succeeded')[0];
    const laterEvent = about(h.receiver.received, later.id)[0];
    expect(order.indexOf(delayedEvent?.eventId ?? '')).toBeGreaterThan(
      order.indexOf(laterEvent?.eventId ?? ''),
    );
  });
});
