/**
 * The webhook path under the faults the PSP really produces: bad and stale signatures, replays, duplicates,
 * reordering and loss (the sweeper recovers), and a poisoned message that ends in the DLQ. Also the hosted
 * payment page, completed only by webhook. Each test ends with the ledger invariants.
 */
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TIMING,
  dueOrders,
  getCheckout,
  getOrders,
  type PaymentsContext,
  sweepDueOrders,
} from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../../sandbox/local-system';
import { localDocumentClient } from '../../support/engines';
import {
  assertLedgerInvariants,
  availableBalance,
  executionDependencies,
  payHostedPage,
  settledHistory,
  submitTestCheckout,
  usePayinSystem,
  waitForOrders,
} from '../../support/payin';
import { eventually } from '../../support/runtime';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
const WEBHOOK_SECRET = 'whsec_local_simulator';

usePayinSystem(
  (s) => {
    ({ system, ctx, psp } = s);
  },
  {
    // Failed webhook messages come back after ~1 s instead of the production backoff.
    beforeStart: () => {
      process.env.WEBHOOK_RETRY_BASE_SECONDS = '0';
    },
  },
);

function submit(seller: string, amount: string, paymentMethod?: string) {
  return submitTestCheckout(system, ctx, psp, {
    label: 'wh',
    orders: [{ seller, amount }],
    ...(paymentMethod ? { paymentMethod } : {}),
  });
}

async function postWebhook(body: string, signature: string): Promise<Response> {
  return fetch(`${system.endpoints.api}/v1/webhooks/psp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    body,
  });
}

async function inboxSize(): Promise<number> {
  const scanned = await localDocumentClient().send(
    new ScanCommand({ TableName: system.names.tables['webhook-events'] }),
  );
  return scanned.Count ?? 0;
}

describe('signature', () => {
  it('rejects a bad or stale signature with 400 and stores nothing', async () => {
    const before = await inboxSize();
    const body = JSON.stringify({ id: 'evt_forged', type: 'payment_intent.succeeded', data: { object: {} } });
    const forged = await postWebhook(
      body,
      Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_wrong' }),
    );
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: 'invalid_signature' } });
    const stale = await postWebhook(
      body,
      Stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: WEBHOOK_SECRET,
        timestamp: Math.floor(Date.now() / 1000) - 301,
      }),
    );
    expect(stale.status).toBe(400);
    const unsigned = await postWebhook(body, '');
    expect(unsigned.status).toBe(400);
    expect(await inboxSize()).toBe(before);
  });

  it('acknowledges a replayed event id and changes nothing', async () => {
    const { checkout } = await submit('seller_replay', '10.00', 'pm_card_visa');
    await waitForOrders(ctx, checkout.order_ids);
    await system.psp.control.webhooksIdle();
    const succeeded = system.psp.control
      .events()
      .find(
        (e) =>
          e.type === 'payment_intent.succeeded' &&
          (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id ===
            checkout.order_ids[0],
      );
    expect(succeeded).toBeDefined();
    const body = JSON.stringify(succeeded);
    const replay = await postWebhook(
      body,
      Stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET }),
    );
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: true, duplicate: true });
    expect(await availableBalance(ctx, 'seller_replay', 'USD')).toBe('9.00');
    await assertLedgerInvariants(ctx);
  });
});

const signedBy = (body: string, secret = WEBHOOK_SECRET) =>
  Stripe.webhooks.generateTestHeaderString({ payload: body, secret });

async function inboxItem(id: string): Promise<Record<string, unknown> | undefined> {
  const got = await localDocumentClient().send(
    new GetCommand({ TableName: system.names.tables['webhook-events'], Key: { pk: `EVENT#${id}` } }),
  );
  return got.Item;
}

/** An item's size as DynamoDB bills it (attribute names and values; a number counted by its digits, an upper bound). */
function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (n, [name, value]) =>
      n +
      Buffer.byteLength(name) +
      (typeof value === 'number' ? String(value).length : Buffer.byteLength(String(value))),
    0,
  );
}

async function appliedOutcome(id: string): Promise<unknown> {
  return eventually(async () => {
    const item = await inboxItem(id);
    return item?.status === 'APPLIED' ? item.outcome : undefined;
  });
}

describe('events verified at the source (the body is only a hint)', () => {
  it('a validly signed but forged payment_intent.succeeded does not complete a 3-D Secure order the buyer never completed', async () => {
    const { checkout } = await submit('seller_forged', '30.00', 'pm_card_authenticationRequired');
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    expect(pending?.pending_reason).toBe('requires_action');
    const id = `evt_forged${Date.now().toString(36)}`;
    const body = JSON.stringify({
      id,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: pending?.psp_reference,
          object: 'payment_intent',
          status: 'succeeded',
          amount: 3000,
          currency: 'usd',
          metadata: { payment_order_id: pending?.payment_order_id, checkout_id: checkout.checkout_id },
        },
      },
    });
    const answer = await postWebhook(body, signedBy(body));
    expect(answer.status).toBe(200);
    // Applied: the consumer asked the PSP, which says the buyer has not authenticated.
    expect(await appliedOutcome(id)).toBe('no_change');
    const [after] = await waitForOrders(ctx, checkout.order_ids, () => true);
    expect(after).toMatchObject({ status: 'PENDING', pending_reason: 'requires_action' });
    expect(['0', '0.00']).toContain(await availableBalance(ctx, 'seller_forged', 'USD'));
    // The buyer then really completes it: the real event moves the order.
    system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'succeed');
    const [done] = await waitForOrders(ctx, checkout.order_ids);
    expect(done?.status).toBe('SUCCESS');
    expect(await availableBalance(ctx, 'seller_forged', 'USD')).toBe('27.00');
    await system.psp.control.webhooksIdle();
  });

  it('a retrieval that fails is indeterminate: the event is retried through the queue, never FAILED', async () => {
    const { checkout } = await submit('seller_retrieve', '12.00', 'pm_card_authenticationRequired');
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    await system.psp.control.webhooksIdle();
    // More 500s than the SDK's own retries of one call (2): the consumer's attempt fails and the queue retries.
    const fault = system.psp.control.addFault({
      kind: 'error',
      route: `GET /v1/payment_intents/${pending?.psp_reference}`,
      status: 500,
      count: 5,
    });
    system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'succeed');
    const [order] = await waitForOrders(ctx, checkout.order_ids, undefined, 60_000);
    expect(order?.status).toBe('SUCCESS');
    expect(system.psp.control.listFaults().find((f) => f.id === fault)?.fired ?? 5).toBe(5);
    system.psp.control.removeFault(fault);
    expect(await availableBalance(ctx, 'seller_retrieve', 'USD')).toBe('10.80');
    await system.psp.control.webhooksIdle();
  });

  it("an order already final in the state its intent's event reports is not looked up again; an event that disagrees is", async () => {
    const { checkout } = await submit('seller_final', '14.00', 'pm_card_visa');
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order?.status).toBe('SUCCESS');
    await system.psp.control.webhooksIdle();
    // Every retrieval of the intent fails from now on: an event that needs one cannot be applied.
    const fault = system.psp.control.addFault({
      kind: 'error',
      route: `GET /v1/payment_intents/${order?.psp_reference}`,
      status: 500,
      count: 1_000,
    });
    const fired = () => system.psp.control.listFaults().find((f) => f.id === fault)?.fired ?? 0;
    const eventOf = (id: string, status: string) =>
      JSON.stringify({
        id,
        object: 'event',
        type: status === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.canceled',
        created: Math.floor(Date.now() / 1000),
        data: {
          object: {
            id: order?.psp_reference,
            object: 'payment_intent',
            status,
            amount: 1400,
            currency: 'usd',
            metadata: { payment_order_id: order?.payment_order_id, checkout_id: checkout.checkout_id },
          },
        },
      });
    // The success the order already holds: applied without asking the PSP.
    const agreeing = `evt_agree${Date.now().toString(36)}`;
    const body = eventOf(agreeing, 'succeeded');
    expect((await postWebhook(body, signedBy(body))).status).toBe(200);
    expect(await appliedOutcome(agreeing)).toBe('no_change');
    expect(fired()).toBe(0);
    // A signed body saying canceled disagrees: it must be retrieved, which fails, so it waits on the queue.
    const disagreeing = `evt_disagree${Date.now().toString(36)}`;
    const forged = eventOf(disagreeing, 'canceled');
    expect((await postWebhook(forged, signedBy(forged))).status).toBe(200);
    await eventually(async () => (fired() > 0 ? true : undefined));
    expect((await inboxItem(disagreeing))?.status).not.toBe('APPLIED');
    system.psp.control.removeFault(fault);
    // Once the PSP answers (succeeded), nothing moves: the order stays SUCCESS, the seller paid once.
    expect(await appliedOutcome(disagreeing)).toBe('no_change');
    const [after] = await waitForOrders(ctx, checkout.order_ids);
    expect(after?.status).toBe('SUCCESS');
    expect(await availableBalance(ctx, 'seller_final', 'USD')).toBe('12.60');
  });

  it('an event about an object the PSP does not know moves nothing, and is not retried', async () => {
    const id = `evt_unknown${Date.now().toString(36)}`;
    const body = JSON.stringify({
      id,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'pi_neverexisted', object: 'payment_intent', metadata: {} } },
    });
    expect((await postWebhook(body, signedBy(body))).status).toBe(200);
    expect(await appliedOutcome(id)).toBe('unknown_at_psp');
  });

  it('a signed body that is not an event gets a 400 and stores nothing, never a 5xx or a shared key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bodies: Record<string, string> = {
      null: 'null',
      'not JSON': '{"id": "evt_x", ',
      array: '[]',
      string: '"evt_x"',
      'no id': JSON.stringify({
        object: 'event',
        type: 'payment_intent.succeeded',
        created: now,
        data: { object: {} },
      }),
      'empty id': JSON.stringify({
        id: '',
        type: 'payment_intent.succeeded',
        created: now,
        data: { object: {} },
      }),
      'not an event id': JSON.stringify({
        id: 'EVENT#x',
        type: 'payment_intent.succeeded',
        created: now,
        data: { object: {} },
      }),
      'no type': JSON.stringify({ id: 'evt_notype', created: now, data: { object: {} } }),
      'no data': JSON.stringify({ id: 'evt_nodata', type: 'payment_intent.succeeded', created: now }),
      'data is null': JSON.stringify({
        id: 'evt_nulldata',
        type: 'payment_intent.succeeded',
        created: now,
        data: null,
      }),
      'no created': JSON.stringify({
        id: 'evt_nocreated',
        type: 'payment_intent.succeeded',
        data: { object: {} },
      }),
    };
    const before = await inboxSize();
    for (const [what, body] of Object.entries(bodies)) {
      const answer = await postWebhook(body, signedBy(body));
      expect(answer.status, what).toBe(400);
      expect(await answer.json(), what).toMatchObject({ error: { code: 'malformed_event' } });
    }
    expect(await inboxSize()).toBe(before);
    for (const key of ['undefined', 'null', '', 'evt_notype', 'evt_nodata', 'evt_nulldata', 'evt_nocreated'])
      expect(await inboxItem(key), key).toBeUndefined();
  });

  it('a signed event larger than an item can hold is stored under its own id (its pointer only) and applied', async () => {
    const id = `evt_large${Date.now().toString(36)}`;
    const body = JSON.stringify({
      id,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: 'pi_largeunknown',
          object: 'payment_intent',
          description: 'x'.repeat(450_000),
          metadata: {},
        },
      },
    });
    const answer = await postWebhook(body, signedBy(body));
    expect(answer.status).toBe(200);
    const stored = await inboxItem(id);
    expect(stored).toMatchObject({ id, type: 'payment_intent.succeeded' });
    expect(itemBytes(stored ?? {})).toBeLessThan(1024);
    expect(await appliedOutcome(id)).toBe('unknown_at_psp');
  });

  it('stores a real payment_intent.succeeded as its pointer, in one write unit, and applies it', async () => {
    const { checkout } = await submit('seller_pointer', '15.00', 'pm_card_authenticationRequired');
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    // The order completes only through the webhook: the buyer authenticates at the PSP.
    system.psp.control.completeAuthentication(pending?.psp_reference as string);
    const [done] = await waitForOrders(ctx, checkout.order_ids);
    expect(done?.status).toBe('SUCCESS');
    const event = system.psp.control
      .events()
      .find(
        (e) =>
          e.type === 'payment_intent.succeeded' &&
          (e.data.object as { id?: string }).id === pending?.psp_reference,
      );
    expect(event).toBeDefined();
    expect(await appliedOutcome(event?.id as string)).toMatch(/^(applied|no_change)$/);
    const stored = await inboxItem(event?.id as string);
    // Applied (status, applied_at and outcome added) and still under 1 KB: each write costs one unit.
    expect(itemBytes(stored ?? {})).toBeLessThan(1024);
    expect(JSON.stringify(event).length).toBeGreaterThan(1024);
    expect(JSON.parse(String(stored?.payload))).toEqual({
      id: event?.id,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: event?.created,
      livemode: false,
      data: {
        object: {
          id: pending?.psp_reference,
          object: 'payment_intent',
          status: 'succeeded',
          metadata: expect.objectContaining({ payment_order_id: checkout.order_ids[0] }),
        },
      },
    });
    await assertLedgerInvariants(ctx);
  });
});

describe('late, duplicate, out-of-order and lost webhooks', () => {
  it('ends a 3-D Secure payment in the same state as a clean run despite duplicates and reordering', async () => {
    const dup = system.psp.control.addFault({ kind: 'duplicate', eventType: 'payment_intent.*', copies: 2 });
    const reorder = system.psp.control.addFault({
      kind: 'reorder',
      eventType: 'payment_intent.*',
      delayMs: 300,
    });
    const { checkout } = await submit('seller_dup', '50.00', 'pm_card_authenticationRequired');
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'succeed');
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    await system.psp.control.webhooksIdle();
    system.psp.control.removeFault(dup);
    system.psp.control.removeFault(reorder);
    expect(order?.status).toBe('SUCCESS');
    const history = await settledHistory(ctx, order?.payment_order_id ?? '');
    expect(history.map((h) => h.to)).toEqual(['NOT_STARTED', 'EXECUTING', 'PENDING', 'SUCCESS']);
    expect(await availableBalance(ctx, 'seller_dup', 'USD')).toBe('45.00');
    // The consumer closes the checkout right after the order's last move.
    await eventually(async () =>
      (await getCheckout(ctx, checkout.checkout_id))?.is_payment_done ? true : undefined,
    );
    await assertLedgerInvariants(ctx);
  });

  it('recovers a lost success webhook with the sweeper', async () => {
    // Every PaymentIntent event is lost: any one of them would now heal the order (the consumer retrieves the
    // intent, whatever the event's type), so the sweeper is the only way left.
    const loss = system.psp.control.addFault({ kind: 'loss', eventType: 'payment_intent.*' });
    const { checkout } = await submit('seller_lost', '8.00', 'pm_card_authenticationRequired');
    const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'succeed');
    await system.psp.control.webhooksIdle();
    const [stillPending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
      o.every((x) => x.status === 'PENDING'),
    );
    expect(stillPending?.status).toBe('PENDING');
    system.psp.control.removeFault(loss);
    // The recheck deadline passes; the sweeper asks the PSP.
    const due = await dueOrders(ctx, new Date(Date.parse(stillPending?.deadline ?? '') + 1_000));
    const report = await sweepDueOrders(ctx, executionDependencies(system, ctx, psp), due);
    expect(report.errors).toEqual([]);
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order?.status).toBe('SUCCESS');
    expect((await settledHistory(ctx, order?.payment_order_id ?? '')).at(-1)?.actor).toBe('sweeper');
    await assertLedgerInvariants(ctx);
  });

  it('a buyer gone from 3-D Secure is looked at less often the longer they are gone (half the age, capped), and still credited', async () => {
    const loss = system.psp.control.addFault({ kind: 'loss', eventType: 'payment_intent.*' });
    try {
      const { checkout } = await submit('seller_gone', '9.00', 'pm_card_authenticationRequired');
      const [pending] = await waitForOrders(ctx, checkout.order_ids, (o) =>
        o.every((x) => x.status === 'PENDING'),
      );
      const id = pending?.payment_order_id ?? '';
      const created = Date.parse(pending?.created_at ?? '');
      const deps = executionDependencies(system, ctx, psp);
      // Swept when the order is 3 hours old: the next look is 90 minutes later, not 10.
      const sweepAt = async (ageMs: number) => {
        const clock = new Date(created + ageMs);
        const due = (await dueOrders(ctx, clock)).filter((o) => o.payment_order_id === id);
        expect(due).toHaveLength(1);
        await sweepDueOrders({ ...ctx, clock: () => clock }, deps, due);
        const [after] = await getOrders(ctx, [id]);
        return { after, waitMs: Date.parse(after?.deadline ?? '') - clock.getTime() };
      };
      const old = await sweepAt(3 * 3600_000);
      expect(old.after).toMatchObject({ status: 'PENDING', pending_reason: 'requires_action' });
      expect(old.waitMs).toBe(90 * 60_000);
      // Ten hours old: the cap, 2 hours.
      expect((await sweepAt(10 * 3600_000)).waitMs).toBe(DEFAULT_TIMING.pendingRecheckMaxMs);
      // The buyer comes back and pays while the events are lost: the next look credits them.
      system.psp.control.completeAuthentication(pending?.psp_reference ?? '', 'succeed');
      await system.psp.control.webhooksIdle();
      const credited = await sweepAt(12 * 3600_000 + 1_000);
      expect(credited.after?.status).toBe('SUCCESS');
    } finally {
      system.psp.control.removeFault(loss);
    }
    await assertLedgerInvariants(ctx);
  });

  it('sends a message that can never be applied to the dead-letter queue after 5 receives', async () => {
    const sqs = new SQSClient({
      endpoint: system.endpoints.messaging,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: system.names.queues['webhook-events']?.url,
        MessageBody: JSON.stringify({ event_id: 'evt_not_in_inbox', type: 'payment_intent.succeeded' }),
      }),
    );
    const dlqUrl = system.names.queues['webhook-events-dlq']?.url;
    const depth = await eventually(async () => {
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      const count = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
      return count > 0 ? count : undefined;
    }, 60_000);
    expect(depth).toBe(1);
    sqs.destroy();
  });
});

describe('hosted payment page', () => {
  it('registers the page before answering, and completes the order when the buyer pays (by webhook)', async () => {
    const { checkout, orders } = await submit('seller_hosted', '25.00');
    expect(checkout.psp_session_id).toMatch(/^cs_/);
    expect(checkout.payment_page_url).toContain(checkout.psp_session_id);
    expect(orders[0]).toMatchObject({ status: 'PENDING', pending_reason: 'awaiting_buyer_on_hosted_page' });
    // The buyer pays on the PSP's page (a form post, as the browser would).
    const paid = await payHostedPage(checkout.payment_page_url ?? '');
    expect([302, 303]).toContain(paid.status);
    expect(paid.headers.get('location')).toBe(`https://shop.example/co/${checkout.checkout_id}/done`);
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order).toMatchObject({ status: 'SUCCESS', wallet_updated: true });
    expect(order?.psp_reference).toMatch(/^pi_/);
    expect(await availableBalance(ctx, 'seller_hosted', 'USD')).toBe('22.50');
    await assertLedgerInvariants(ctx);
  });

  /** The buyer pays the hosted page while the named events are lost (never delivered, as a loss fault does). */
  async function payWhileLost(seller: string, amount: string, lost: string[]) {
    const { checkout } = await submit(seller, amount);
    const faults = lost.map((eventType) => system.psp.control.addFault({ kind: 'loss', eventType }));
    try {
      const paid = await payHostedPage(checkout.payment_page_url ?? '');
      expect([302, 303]).toContain(paid.status);
      await system.psp.control.webhooksIdle(30_000);
    } finally {
      for (const id of faults) system.psp.control.removeFault(id);
    }
    return checkout;
  }

  it('issue 15: every webhook of a paid page lost: the sweeper credits it at its next recheck, not at page expiry', async () => {
    const checkout = await payWhileLost('seller_hosted_lost', '31.00', [
      'checkout.session.*',
      'payment_intent.*',
    ]);
    const [before] = await getOrders(ctx, checkout.order_ids);
    expect(before).toMatchObject({ status: 'PENDING', pending_reason: 'awaiting_buyer_on_hosted_page' });
    // One recheck interval later (10 minutes), well before the page would expire (60 minutes).
    const at = new Date(Date.now() + DEFAULT_TIMING.pendingRecheckMs + 30_000);
    const due = (await dueOrders(ctx, at)).filter((o) => o.checkout_id === checkout.checkout_id);
    expect(due.map((o) => o.payment_order_id)).toEqual(checkout.order_ids);
    await sweepDueOrders(ctx, executionDependencies(system, ctx, psp), due);
    const [order] = await getOrders(ctx, checkout.order_ids);
    expect(order).toMatchObject({ status: 'SUCCESS', wallet_updated: true });
    expect(order?.pending_reason).toBeUndefined();
    expect(await availableBalance(ctx, 'seller_hosted_lost', 'USD')).toBe('27.90');
  });

  it('issue 15: the page events lost, the payment_intent.succeeded event of the page completes the orders', async () => {
    const checkout = await payWhileLost('seller_hosted_pi', '14.00', ['checkout.session.*']);
    const [order] = await waitForOrders(ctx, checkout.order_ids);
    expect(order).toMatchObject({ status: 'SUCCESS', wallet_updated: true });
    expect(await availableBalance(ctx, 'seller_hosted_pi', 'USD')).toBe('12.60');
  });
});
