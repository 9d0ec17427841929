/**
 * Risk on every path (issue 9.3): a hosted-page checkout is assessed once, before its page is registered, by the
 * same rules as card mode. A declined one gets no page (nothing payable at the PSP), its orders are FAILED
 * (risk_declined) and the answer says so; velocity counts hosted pages as it counts card checkouts.
 */
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentsContext } from '../../../lambdas/payments';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import { assertLedgerInvariants, assertOrderInvariants, paymentsContextOf } from '../../support/payin';
import { callApi, startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let stripe: Stripe;

beforeAll(async () => {
  system = await startTestSystem();
  ctx = paymentsContextOf(system);
  stripe = createStripeClient({ apiKey: 'sk_test_risk', apiBase: system.endpoints.psp });
});
afterEach(async () => {
  await assertOrderInvariants(system, ctx);
  await assertLedgerInvariants(ctx);
});
afterAll(async () => {
  await system?.stop();
});

interface Answer {
  is_payment_done: boolean;
  payment_page_url?: string;
  psp_token?: string;
  payment_orders: { status: string; failure_code?: string; pending_reason?: string }[];
}

const run = Date.now().toString(36);
let made = 0;

function hostedCheckout(buyer: string, amount: string) {
  made++;
  const id = `co_hr_${run}_${made.toString(36)}x`;
  return {
    id,
    body: {
      checkout_id: id,
      buyer_info: { buyer_id: buyer, email: `${buyer}@example.com` },
      payment_orders: [{ payment_order_id: `${id}_a`, seller_account: 'seller_hr', amount, currency: 'USD' }],
    },
  };
}

/** Every Checkout Session the PSP holds for our checkout id (client_reference_id). */
async function sessionsOf(checkoutId: string): Promise<Stripe.Checkout.Session[]> {
  const all: Stripe.Checkout.Session[] = [];
  for await (const s of stripe.checkout.sessions.list({ limit: 100 })) {
    if (s.client_reference_id === checkoutId) all.push(s);
  }
  return all;
}

describe('hosted checkouts are risk-assessed before a page exists', () => {
  it('an over-limit hosted checkout is declined: no page, orders FAILED (risk_declined), also when resubmitted', async () => {
    // The default limit is 10,000.00 USD per checkout (lib/manifest/index.ts, PAYIN_RISK_RULES).
    const { id, body } = hostedCheckout(`buyer_hr_big_${run}`, '10000.01');
    const posted = await callApi<Answer>(system, 'POST', '/v1/payments', body);
    expect(posted.status).toBe(201);
    expect(posted.body.payment_page_url).toBeUndefined();
    expect(posted.body.psp_token).toBeUndefined();
    expect(posted.body.is_payment_done).toBe(true);
    expect(posted.body.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'risk_declined' }]);
    expect(posted.body.payment_orders[0]?.pending_reason).toBeUndefined();
    const again = await callApi<Answer>(system, 'POST', '/v1/payments', body);
    expect(again.status).toBe(200);
    expect(again.body.payment_page_url).toBeUndefined();
    expect(await sessionsOf(id)).toEqual([]);
  });

  it('velocity applies to hosted pages: one buyer opening 12 gets 10 pages, the 11th and 12th are declined', async () => {
    const buyer = `buyer_hr_fast_${run}`;
    const answers: { id: string; answer: Answer }[] = [];
    for (let i = 0; i < 12; i++) {
      const { id, body } = hostedCheckout(buyer, '5.00');
      const posted = await callApi<Answer>(system, 'POST', '/v1/payments', body);
      expect(posted.status).toBe(201);
      answers.push({ id, answer: posted.body });
    }
    const withPage = answers.filter((a) => a.answer.payment_page_url);
    expect(withPage).toHaveLength(10);
    for (const { id, answer } of answers.slice(10)) {
      expect(answer.payment_page_url).toBeUndefined();
      expect(answer.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'risk_declined' }]);
      expect(await sessionsOf(id)).toEqual([]);
    }
  });
});
