/**
 * POST /v1/checkouts/{checkout_id}/cancel through the storefront API on the local system (the real Stripe SDK
 * in the function talks to the PSP simulator): a card checkout waiting on 3-D Secure, a hosted checkout whose
 * old page is then refused, a cancel that comes after the payment (SUCCESS wins), a repeated cancel, and a
 * storefront switching the buyer from the hosted page to a card (cancel + new checkout): one cart, one charge.
 */
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dueOrders, getOrders, type PaymentsContext, sweepDueOrders } from '../../../lambdas/payments';
import { createStripeClient } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  assertLedgerInvariants,
  assertOrderInvariants,
  availableBalance,
  executionDependencies,
  payHostedPage,
  paymentsContextOf,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { eventually } from '../../support/runtime';
import { callApi, startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let stripe: Stripe;

beforeAll(async () => {
  system = await startTestSystem();
  ctx = paymentsContextOf(system);
  stripe = createStripeClient({ apiKey: 'sk_test_cancel', apiBase: system.endpoints.psp });
});
afterEach(async () => {
  await system.psp.control.webhooksIdle(30_000).catch(() => undefined);
  await assertOrderInvariants(system, ctx);
  await assertLedgerInvariants(ctx);
});
afterAll(async () => {
  await system?.stop();
});

interface OrderView {
  payment_order_id: string;
  status: string;
  failure_code?: string;
  pending_reason?: string;
  psp_reference?: string;
}
interface CheckoutAnswer {
  checkout_id: string;
  is_payment_done: boolean;
  canceled_at?: string;
  payment_page_url?: string;
  payment_orders: OrderView[];
  error?: { code: string };
}

let made = 0;
/** Ids of letters and base-36 time: never a Luhn-valid digit run. */
function newId(label: string): string {
  made++;
  return `co_cx_${label}_${made.toString(36)}${Date.now().toString(36)}`;
}

function checkoutBody(checkoutId: string, seller: string, amount: string, card?: string) {
  return {
    checkout_id: checkoutId,
    buyer_info: { buyer_id: `buyer_${checkoutId}`, email: 'buyer@example.com' },
    ...(card ? { credit_card_info: card } : {}),
    payment_orders: [
      { payment_order_id: `${checkoutId}_a`, seller_account: seller, amount, currency: 'USD' },
    ],
  };
}

async function submit(checkoutId: string, seller: string, amount: string, card?: string) {
  const posted = await callApi<CheckoutAnswer>(
    system,
    'POST',
    '/v1/payments',
    checkoutBody(checkoutId, seller, amount, card),
    { 'Idempotency-Key': `key-${checkoutId}` },
  );
  expect(posted.status).toBe(201);
  return posted.body;
}

function cancel(checkoutId: string, headers: Record<string, string> = {}) {
  return callApi<CheckoutAnswer>(system, 'POST', `/v1/checkouts/${checkoutId}/cancel`, undefined, headers);
}

/** Every PaymentIntent the PSP holds for a checkout (card: per order metadata; hosted: the checkout's). */
async function intentsOf(checkoutId: string): Promise<Stripe.PaymentIntent[]> {
  const all: Stripe.PaymentIntent[] = [];
  for await (const pi of stripe.paymentIntents.list({ limit: 100 })) {
    if (pi.metadata?.checkout_id === checkoutId) all.push(pi);
  }
  return all;
}

describe('cancel a card checkout', () => {
  it('waiting on 3-D Secure: the intent is canceled, the order FAILED (canceled), the buyer can no longer pay', async () => {
    const id = newId('tds');
    await submit(id, 'seller_cx_tds', '30.00', 'pm_card_authenticationRequired');
    const [waiting] = await waitForOrders(
      ctx,
      [`${id}_a`],
      (orders) => orders[0]?.status === 'PENDING' && orders[0]?.pending_reason === 'requires_action',
    );
    const pi = waiting?.psp_reference ?? '';
    expect(pi).toMatch(/^pi_/);

    const canceled = await cancel(id);
    expect(canceled.status).toBe(200);
    expect(canceled.body.canceled_at).toBeDefined();
    expect(canceled.body.is_payment_done).toBe(true);
    expect(canceled.body.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'canceled' }]);
    expect((await stripe.paymentIntents.retrieve(pi)).status).toBe('canceled');

    // The buyer finishes the challenge too late: the PSP refuses, nothing is charged.
    const late = await fetch(`${system.endpoints.psp}/_sim/payment_intents/${pi}/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'succeed' }),
    });
    expect(late.status).toBeGreaterThanOrEqual(400);
    expect((await intentsOf(id)).filter((p) => p.status === 'succeeded')).toEqual([]);
    expect(await availableBalance(ctx, 'seller_cx_tds', 'USD')).toBe('0');
  });

  it('after the payment succeeded: the order stays SUCCESS and the answer says so; cancel again answers the same', async () => {
    const id = newId('paid');
    await submit(id, 'seller_cx_paid', '12.00', 'pm_card_visa');
    await waitForOrders(ctx, [`${id}_a`]);
    const first = await cancel(id, { 'Idempotency-Key': `cancel-${id}` });
    expect(first.status).toBe(200);
    expect(first.body.payment_orders).toMatchObject([{ status: 'SUCCESS' }]);
    // Again, without a key and with the same key: the same answer (the second a replay).
    const again = await cancel(id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const replay = await cancel(id, { 'Idempotency-Key': `cancel-${id}` });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await availableBalance(ctx, 'seller_cx_paid', 'USD')).toBe('10.80');
    const succeeded = (await intentsOf(id)).filter((p) => p.status === 'succeeded');
    expect(succeeded).toHaveLength(1);
  });

  it('a repeated cancel of an unpaid checkout answers the same FAILED orders and writes nothing new', async () => {
    const id = newId('twice');
    await submit(id, 'seller_cx_twice', '8.00', 'pm_card_authenticationRequired');
    await waitForOrders(ctx, [`${id}_a`], (orders) => orders[0]?.status === 'PENDING');
    const first = await cancel(id);
    const second = await cancel(id);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.body.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'canceled' }]);
  });

  it('an unknown checkout is a 404; a body with fields is a 400', async () => {
    expect((await cancel(newId('none'))).status).toBe(404);
    const id = newId('body');
    await submit(id, 'seller_cx_body', '3.00', 'pm_card_visa');
    const refused = await callApi<CheckoutAnswer>(system, 'POST', `/v1/checkouts/${id}/cancel`, {
      reason: 'x',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('validation_error');
  });
});

describe('cancel a hosted checkout', () => {
  it('expires the page: the old page is refused, nothing is charged, the orders are FAILED (canceled)', async () => {
    const id = newId('page');
    const created = await submit(id, 'seller_cx_page', '40.00');
    const url = created.payment_page_url ?? '';
    expect(url).toContain('/checkout/cs_');

    const canceled = await cancel(id);
    expect(canceled.status).toBe(200);
    expect(canceled.body.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'canceled' }]);
    expect(canceled.body.payment_orders[0]?.pending_reason).toBeUndefined();

    const paid = await payHostedPage(url);
    expect(paid.status).toBe(410);
    await paid.text();
    expect((await intentsOf(id)).filter((p) => p.status === 'succeeded')).toEqual([]);
    // The page's own expiry event, arriving after, changes nothing.
    await system.psp.control.webhooksIdle(30_000);
    const [order] = await waitForOrders(ctx, [`${id}_a`]);
    expect(order).toMatchObject({ status: 'FAILED', failure_code: 'canceled' });
  });

  it('paid before the cancel: the payment wins, the order is SUCCESS in the answer', async () => {
    const id = newId('won');
    const created = await submit(id, 'seller_cx_won', '20.00');
    // The completion event is held back, so the cancel is the first to hear of the payment.
    const lost = system.psp.control.addFault({
      kind: 'delay',
      eventType: 'checkout.session.*',
      delayMs: 3_000,
    });
    try {
      const paid = await payHostedPage(created.payment_page_url ?? '');
      expect([302, 303]).toContain(paid.status);
      const canceled = await cancel(id);
      expect(canceled.status).toBe(200);
      expect(canceled.body.payment_orders).toMatchObject([{ status: 'SUCCESS' }]);
    } finally {
      system.psp.control.removeFault(lost);
    }
    expect(await availableBalance(ctx, 'seller_cx_won', 'USD')).toBe('18.00');
  });

  it('switching the buyer from the hosted page to a card (cancel + new checkout): one cart is paid once', async () => {
    const hostedId = newId('switchh');
    const hosted = await submit(hostedId, 'seller_cx_switch', '55.00');
    const oldPage = hosted.payment_page_url ?? '';
    // The storefront switches: cancel the hosted checkout, then submit the same cart for the card.
    const canceled = await cancel(hostedId);
    expect(canceled.body.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'canceled' }]);
    const cardId = newId('switchc');
    await submit(cardId, 'seller_cx_switch', '55.00', 'pm_card_visa');
    const [cardOrder] = await waitForOrders(ctx, [`${cardId}_a`]);
    expect(cardOrder?.status).toBe('SUCCESS');

    // The buyer, in another tab, still pays the old hosted page: refused, no second charge.
    const paid = await payHostedPage(oldPage);
    expect(paid.status).toBe(410);
    await paid.text();
    const taken = [...(await intentsOf(hostedId)), ...(await intentsOf(cardId))].filter(
      (p) => p.status === 'succeeded',
    );
    expect(taken.map((p) => p.amount)).toEqual([5500]);
    expect(await availableBalance(ctx, 'seller_cx_switch', 'USD')).toBe('49.50');
    // And a late resubmission of the canceled checkout gets no new page.
    const again = await callApi<CheckoutAnswer>(
      system,
      'POST',
      '/v1/payments',
      checkoutBody(hostedId, 'seller_cx_switch', '55.00'),
    );
    expect(again.status).toBe(200);
    expect(again.body.payment_orders).toMatchObject([{ status: 'FAILED', failure_code: 'canceled' }]);
    await eventually(async () =>
      (await callApi<CheckoutAnswer>(system, 'GET', `/v1/checkouts/${hostedId}`)).body.is_payment_done
        ? true
        : undefined,
    );
  });
});

describe('a hosted page the sweeper gave up on', () => {
  it('is never registered by a late retry of the submission: the buyer cannot pay FAILED orders', async () => {
    const id = newId('late');
    const body = checkoutBody(id, 'seller_cx_late', '12.00');
    const headers = { 'Idempotency-Key': `key-${id}` };
    // The PSP fails every registration attempt of the first submission (more than the SDK's own retries).
    const down = system.psp.control.addFault({
      kind: 'error',
      route: 'POST /v1/checkout/sessions',
      status: 500,
      count: 10,
    });
    let first: Awaited<ReturnType<typeof callApi<CheckoutAnswer>>>;
    try {
      first = await callApi<CheckoutAnswer>(system, 'POST', '/v1/payments', body, headers);
    } finally {
      system.psp.control.removeFault(down);
    }
    expect(first.status).toBeGreaterThanOrEqual(500);
    // The storefront gave up for now; at the orders' deadline the sweeper finds no page and FAILs them.
    const [stored] = await getOrders(ctx, [`${id}_a`]);
    const due = new Date(Date.parse(stored?.deadline ?? '') + 1_000);
    await sweepDueOrders(
      ctx,
      executionDependencies(system, ctx, testPaymentProvider(system)),
      await dueOrders(ctx, due),
    );
    const [failed] = await getOrders(ctx, [`${id}_a`]);
    expect(failed).toMatchObject({ status: 'FAILED', failure_code: 'hosted_page_not_registered' });
    // The storefront's late retry (same key, the PSP back): no payable page for FAILED orders.
    const late = await callApi<CheckoutAnswer>(system, 'POST', '/v1/payments', body, headers);
    expect(late.status).toBeLessThan(500);
    expect(late.body.payment_page_url).toBeUndefined();
    expect(late.body.payment_orders).toMatchObject([
      { status: 'FAILED', failure_code: 'hosted_page_not_registered' },
    ]);
    expect((await intentsOf(id)).filter((p) => p.status === 'succeeded')).toEqual([]);
  });
});
