/**
 * The webhook endpoint's subscription is what the consumer acts on: no type we need is missing (it would never
 * arrive from Stripe), and none we would only store and drop is there (each costs an API request, two
 * invocations, a message and an inbox write).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPayoutEvent } from '../../../lambdas/payouts/events';
import { isMoneyBackEvent } from '../../../lambdas/refunds/events';
import {
  CHECKOUT_SESSION_EVENT_TYPES,
  PAYMENT_INTENT_EVENT_TYPES,
  PAYOUT_EVENT_TYPES,
  SUBSCRIBED_EVENT_TYPES,
} from '../../../lambdas/webhooks/subscribed-events';

const simulatorDir = resolve(__dirname, '../../../sandbox/psp');
const sandboxSources = readdirSync(simulatorDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(resolve(simulatorDir, f), 'utf8'))
  .join('\n');
const emitted = new Set([...sandboxSources.matchAll(/emit\('([a-z_.]+)'/g)].map((m) => m[1] ?? ''));

describe('subscribed webhook events', () => {
  it('are exact types (Stripe takes no wildcards but *), without repeats', () => {
    for (const type of SUBSCRIBED_EVENT_TYPES) expect(type).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
    expect(new Set(SUBSCRIBED_EVENT_TYPES).size).toBe(SUBSCRIBED_EVENT_TYPES.length);
  });

  it('each is one the consumer hands to a module that acts on it', () => {
    const handled = (t: string) =>
      (PAYMENT_INTENT_EVENT_TYPES as readonly string[]).includes(t) ||
      (CHECKOUT_SESSION_EVENT_TYPES as readonly string[]).includes(t) ||
      isMoneyBackEvent(t) ||
      (PAYOUT_EVENT_TYPES as readonly string[]).includes(t);
    for (const type of SUBSCRIBED_EVENT_TYPES) expect(handled(type), type).toBe(true);
  });

  it('covers every outcome event the simulator sends for what we act on, and leaves out the rest', () => {
    expect(emitted.size).toBeGreaterThan(10);
    for (const type of emitted) {
      const actedOn =
        type.startsWith('payment_intent.') && type !== 'payment_intent.created'
          ? true
          : type.startsWith('checkout.session.') ||
            isMoneyBackEvent(type) ||
            (PAYOUT_EVENT_TYPES as readonly string[]).includes(type);
      expect(SUBSCRIBED_EVENT_TYPES.includes(type), type).toBe(actedOn);
    }
    // Transfers and charge.* outcomes are not acted on: the PaymentIntent and payout events carry them.
    expect(SUBSCRIBED_EVENT_TYPES.some((t) => t.startsWith('transfer.') || t === 'charge.succeeded')).toBe(
      false,
    );
    expect(isPayoutEvent('transfer.created')).toBe(true);
  });

  it('the deploy guide points at this list', () => {
    const guide = readFileSync(resolve(__dirname, '../../../docs/deploy.md'), 'utf8');
    expect(guide).toContain('WebhookEnabledEvents');
    expect(guide).toContain('lambdas/webhooks/subscribed-events.ts');
  });
});
