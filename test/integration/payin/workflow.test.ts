/**
 * Pay-in through the workflow, the webhook and the sweeper, end to end on the local system: the real Stripe
 * SDK in the functions talks to the PSP simulator, the Express state machine runs the ASL, webhooks are signed
 * by the simulator and go through our webhook route, queue and consumer. Every test ends with the ledger
 * invariants and the one-charge-per-order rule.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dueOrders, getOrder, type PaymentsContext, sweepDueOrders } from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  assertLedgerInvariants,
  assertOrderInvariants,
  availableBalance,
  executionDependencies,
  paymentsContextOf,
  settledHistory,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { eventually } from '../../support/runtime';
import { callApi, startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;

beforeAll(async () => {
  system = await startTestSystem();
  ctx = paymentsContextOf(system);
  psp = testPaymentProvider(system);
});
afterEach(async () => {
  // Invariants 1, 2, 3 and 5 of DESIGN.md §8 after every test, whatever it did.
  await assertOrderInvariants(system, ctx);
  await assertLedgerInvariants(ctx);
});
afterAll(async () => {
  await system?.stop();
});

/** Submits a checkout the way the API does, starting the workflow through the local Step Functions endpoint. */
function submit(
  orders: { seller: string; amount: string }[],
  paymentMethod?: string,
  options: { startWorkflow?: boolean } = {},
) {
  return submitTestCheckout(system, ctx, psp, {
    label: 'wf',
    orders,
    ...(paymentMethod ? { paymentMethod } : {}),
    ...options,
  });
}

/** One PaymentIntent per order at the PSP, whatever happened. */
function chargesFor(orderId: string): number {
  return system.psp.control
    .events()
    .filter((e) => e.type === 'payment_intent.created')
    .filter(
      (e) => (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id === orderId,
    ).length;
}

describe('card mode', () => {
  it('through the storefront API: POST a two-seller checkout, read it back done, and see the wallets', async () => {
    const checkoutId = `co_api_${Date.now().toString(36)}`;
    const posted = await callApi(
      system,
      'POST',
      '/v1/payments',
      {
        checkout_id: checkoutId,
        buyer_info: { buyer_id: 'buyer_api', email: 'ada@example.com' },
        credit_card_info: 'pm_card_visa',
        payment_orders: [
          {
            payment_order_id: `${checkoutId}_a`,
            seller_account: 'seller_api_a',
            amount: '100.00',
            currency: 'USD',
          },
          {
            payment_order_id: `${checkoutId}_b`,
            seller_account: 'seller_api_b',
            amount: '0.99',
            currency: 'USD',
          },
        ],
      },
      { 'Idempotency-Key': `key-${checkoutId}` },
    );
    expect(posted.status).toBe(201);
    const done = await eventually(async () => {
      const got = await callApi<{ is_payment_done: boolean; payment_orders: { status: string }[] }>(
        system,
        'GET',
        `/v1/checkouts/${checkoutId}`,
      );
      return got.body.is_payment_done ? got.body : undefined;
    });
    expect(done.payment_orders.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
    const wallet = await callApi(system, 'GET', '/v1/sellers/seller_api_a/wallet');
    // The wallet also answers payability (pending, payable, reasons): see the pay-out tests.
    expect(wallet.body).toMatchObject({
      seller_account: 'seller_api_a',
      balances: [
        {
          currency: 'USD',
          available: '90.00',
          reserved: '0.00',
          paid_out: '0.00',
          receivable: '0.00',
          dispute_held: '0.00',
        },
      ],
    });
    const small = await callApi(system, 'GET', '/v1/sellers/seller_api_b/wallet');
    expect(small.body).toMatchObject({ balances: [{ available: '0.89' }] }); // 0.99 - 0.10 (10% of 0.99, half-up)
    await assertLedgerInvariants(ctx);
  });

  it('takes a two-seller checkout to SUCCESS and credits both wallets (net of 10% commission)', async () => {
    const { checkout } = await submit(
      [
        { seller: 'seller_a', amount: '30.00' },
        { seller: 'seller_b', amount: '12.34' },
      ],
      'pm_card_visa',
    );
    const orders = await waitForOrders(ctx, checkout.order_ids);
    expect(orders.map((o) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(
      orders.every((o) => o.wallet_updated && o.ledger_updated && o.psp_reference?.startsWith('pi_')),
    ).toBe(true);
    expect(await availableBalance(ctx, 'seller_a', 'USD')).toBe('27.00');
    expect(await availableBalance(ctx, 'seller_b', 'USD')).toBe('11.11'); // 12.34 - 1.23 (10%, half-up)
    const history = await settledHistory(ctx, checkout.order_ids[0] ?? '');
    expect(history.map((h) => h.to)).toEqual(['NOT_STARTED', 'EXECUTING', 'SUCCESS']);
    for (const id of checkout.order_ids) expect(chargesFor(id)).toBe(1);
    await assertLedgerInvariants(ctx);
  });

  it('records a decline as FAILED with the PSP reason, and moves no money', async () => {
    const { checkout } = await submit(
      [{ seller: 'seller_c', amount: '5.00' }],
      'pm_card_chargeDeclinedInsufficientFunds',
    );
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order).toMatchObject({
      status: 'FAILED',
      failure_code: 'insufficient_funds',
      wallet_updated: false,
    });
    expect(await availableBalance(ctx, 'seller_c', 'USD')).toBe('0');
    await assertLedgerInvariants(ctx);
  });

  it('leaves a 3-D Secure payment PENDING, then completes it from the signed webhook', async () => {
    const { checkout } = await submit(
      [{ seller: 'seller_d', amount: '20.00' }],
      'pm_card_authenticationRequired',
    );
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (orders) =>
      orders.every((o) => o.status === 'PENDING'),
    );
    expect(pending?.pending_reason).toBe('requires_action');
    // The storefront reads what the buyer must do (live from the PSP; the client secret is never stored).
    const waiting = await callApi<{ next_action?: { client_secret: string; redirect_url?: string } }>(
      system,
      'GET',
      `/v1/payments/${pending?.payment_order_id}`,
    );
    expect(waiting.body.next_action?.client_secret).toMatch(new RegExp(`^${pending?.psp_reference}_secret_`));
    expect(waiting.body.next_action?.redirect_url).toContain(`/3ds/${pending?.psp_reference}`);
    const stored = JSON.stringify(await getOrder(ctx, pending?.payment_order_id ?? ''));
    expect(stored).not.toContain('_secret_');
    system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'succeed');
    const [done] = await waitForOrders(ctx, checkout.order_ids);
    expect(done?.status).toBe('SUCCESS');
    // A terminal order waits for nothing: no stale reason from when it did.
    expect(done?.pending_reason).toBeUndefined();
    expect(await availableBalance(ctx, 'seller_d', 'USD')).toBe('18.00');
    await assertLedgerInvariants(ctx);
  });
});

describe('failures', () => {
  it('survives PSP 5xx and a lost response after commit with exactly one charge', async () => {
    system.psp.control.addFault({ route: 'POST /v1/payment_intents', kind: 'drop', count: 1 });
    system.psp.control.addFault({ route: 'POST /v1/payment_intents', kind: 'error', status: 500, count: 2 });
    const { checkout } = await submit([{ seller: 'seller_e', amount: '9.99' }], 'pm_card_visa');
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order?.status).toBe('SUCCESS');
    expect(chargesFor(order?.payment_order_id ?? '')).toBe(1);
    system.psp.control.clearFaults();
    await assertLedgerInvariants(ctx);
  });

  it('a PSP answer slower than our 5 s timeout is retried with the same key: one charge', async () => {
    // The PSP does the work but answers after 6 s; our client gives up at 5 s and retries with the same key.
    const slow = system.psp.control.addFault({
      route: 'POST /v1/payment_intents',
      kind: 'latency',
      delayMs: 6_000,
      count: 1,
    });
    const { checkout } = await submit([{ seller: 'seller_slow', amount: '3.00' }], 'pm_card_visa');
    const [order] = await waitForOrders(ctx, checkout.order_ids, undefined, 60_000);
    system.psp.control.removeFault(slow);
    expect(order?.status).toBe('SUCCESS');
    expect(chargesFor(order?.payment_order_id ?? '')).toBe(1);
  });

  it('the sweeper finishes an order the workflow never ran, with the same idempotency key', async () => {
    // Prepare: the PSP is down for longer than the workflow retries; the order stays EXECUTING with a deadline.
    system.psp.control.addFault({
      route: 'POST /v1/payment_intents',
      kind: 'error',
      status: 503,
      count: 100,
    });
    const { checkout } = await submit([{ seller: 'seller_f', amount: '4.00' }], 'pm_card_visa');
    const [stuck] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'EXECUTING'),
    );
    await system.runtime.stepFunctions.idle();
    system.psp.control.clearFaults();
    // Act: the deadline passes; the sweeper runs.
    const due = await dueOrders(ctx, new Date(Date.parse(stuck?.deadline ?? '') + 1_000));
    expect(due.map((o) => o.payment_order_id)).toContain(stuck?.payment_order_id);
    await sweepDueOrders(ctx, executionDependencies(system, ctx, psp), due);
    // Assess
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order?.status).toBe('SUCCESS');
    expect(chargesFor(order?.payment_order_id ?? '')).toBe(1);
    await assertLedgerInvariants(ctx);
  });

  it('the sweeper assesses risk for a checkout whose workflow never ran, and never charges a declined one', async () => {
    // Prepare: over the USD checkout limit (10000.00); the workflow never starts.
    const { checkout } = await submit([{ seller: 'seller_big', amount: '10000.01' }], 'pm_card_visa', {
      startWorkflow: false,
    });
    const [waiting] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'NOT_STARTED'),
    );
    // Act
    const due = await dueOrders(ctx, new Date(Date.parse(waiting?.deadline ?? '') + 1_000));
    await sweepDueOrders(ctx, executionDependencies(system, ctx, psp), due);
    // Assess
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order).toMatchObject({ status: 'FAILED', failure_code: 'risk_declined' });
    expect(chargesFor(order?.payment_order_id ?? '')).toBe(0);
  });

  it('one order the PSP refuses outright fails alone; the sweep goes on to the next', async () => {
    const bad = await submit([{ seller: 'seller_bad_pm', amount: '1.00' }], 'pm_does_not_exist', {
      startWorkflow: false,
    });
    const good = await submit([{ seller: 'seller_good_pm', amount: '2.00' }], 'pm_card_visa', {
      startWorkflow: false,
    });
    const ids = [...bad.checkout.order_ids, ...good.checkout.order_ids];
    const waiting = await waitForOrders(ctx, ids, (o) => o.every((x) => x.status === 'NOT_STARTED'));
    const latest = Math.max(...waiting.map((o) => Date.parse(o.deadline ?? '')));
    const report = await sweepDueOrders(
      ctx,
      executionDependencies(system, ctx, psp),
      await dueOrders(ctx, new Date(latest + 1_000)),
    );
    expect(report.errors).toEqual([]);
    const [badOrder, goodOrder] = await waitForOrders(ctx, ids);
    expect(badOrder).toMatchObject({ status: 'FAILED', failure_code: 'resource_missing' });
    expect(goodOrder?.status).toBe('SUCCESS');
  });

  it('a failed 3-D Secure attempt cancels the PaymentIntent before the order is FAILED', async () => {
    const { checkout } = await submit(
      [{ seller: 'seller_3ds_fail', amount: '7.00' }],
      'pm_card_authenticationRequired',
    );
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'fail');
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order?.status).toBe('FAILED');
    // The buyer can no longer confirm the same PaymentIntent and be charged for a FAILED order.
    expect((await psp.retrievePayment(order?.psp_reference ?? '')).status).toBe('canceled');
  });
});
