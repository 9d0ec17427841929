/**
 * The operator API and the CLI on the whole local system: the operator's key (and only it) opens the routes;
 * a payment's timeline runs from the request to the ledger; a DLQ's messages are shown and redriven; a stored
 * webhook event whose queue message was lost is replayed and moves its order; every action needs a reason and
 * an Idempotency-Key and leaves one audit record, even when retried.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../bin/cli/main';
import { redact, storeEvent } from '../../../lambdas/webhooks/inbox';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../../sandbox/local-system';
import { localDocumentClient } from '../../support/engines';
import { paymentsContextOf, waitForOrders } from '../../support/payin';
import { eventually } from '../../support/runtime';
import { callApi, startTestSystem, TEST_API_KEY } from '../../support/system';

const OPERATOR_KEY = 'local-operator-key';
let system: LocalSystem;

beforeAll(async () => {
  system = await startTestSystem();
}, 120_000);

afterAll(async () => {
  await system?.stop();
});

/** Runs the CLI in-process against this system; answers its exit code and its --json output. */
async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main([...args, '--json', '--api', system.endpoints.api, '--psp', system.endpoints.psp], {
    write: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
  });
  return { code, json: stdout ? JSON.parse(stdout) : undefined, stderr };
}

const op = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  callApi(system, method, path, body, { 'x-api-key': OPERATOR_KEY, ...headers });

async function pay(checkoutId: string, token: string) {
  const answer = await callApi(system, 'POST', '/v1/payments', {
    checkout_id: checkoutId,
    buyer_info: { buyer_id: 'buyer_ops' },
    credit_card_info: token,
    payment_orders: [
      { payment_order_id: `${checkoutId}_a`, seller_account: 'seller_ops', amount: '20.00', currency: 'USD' },
    ],
  });
  expect(answer.status).toBe(201);
  return `${checkoutId}_a`;
}

describe('operator API', () => {
  it("takes the operator's key only: the storefront's key and no key are refused", async () => {
    for (const key of [TEST_API_KEY, '', 'local-operator-keyX']) {
      const answer = await callApi(system, 'GET', '/v1/operator/queues', undefined, { 'x-api-key': key });
      expect(answer.status).toBe(401);
      expect((answer.body as { error: { code: string } }).error.code).toBe('operator_key_required');
    }
    expect((await op('GET', '/v1/operator/queues')).status).toBe(200);
  });

  it('traces a payment from the request to the ledger (CLI and API agree)', async () => {
    const orderId = await pay('co_ops_trace', 'pm_card_visa');
    await waitForOrders(paymentsContextOf(system), [orderId]);
    const traced = await cli('trace', orderId);
    expect(traced.code).toBe(0);
    const kinds = traced.json.timeline.map((e: { kind: string }) => e.kind);
    expect(kinds[0]).toBe('request');
    expect(kinds).toContain('ledger');
    expect(traced.json.payment_order.status).toBe('SUCCESS');
    expect(traced.json.ledger_transactions[0].transaction_id).toBe(`payin:${orderId}`);
    const sum = traced.json.ledger_transactions[0].entries.reduce(
      (total: bigint, e: { amount: string }) => total + BigInt(e.amount.replace('.', '')),
      0n,
    );
    expect(sum).toBe(0n);

    const seller = await cli('seller', 'seller_ops', '--check');
    expect(seller.code).toBe(0);
    expect(seller.json.balances).toEqual([
      { currency: 'USD', available: '18.00', reserved: '0.00', paid_out: '0.00' },
    ]);
    expect(seller.json.balance_check.ok).toBe(true);
    expect(seller.json.ledger_entries[0].transaction_id).toBe(`payin:${orderId}`);
  }, 60_000);

  it('shows and redrives a DLQ, one audit record per action, a retried action acting once', async () => {
    const sqs = new SQSClient({
      endpoint: system.endpoints.messaging,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const dlq = system.names.queues['webhook-events-dlq']?.url as string;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: JSON.stringify({ event_id: 'evt_dead_1', type: 'x' }),
      }),
    );
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlq,
        MessageBody: JSON.stringify({ event_id: 'evt_dead_2', type: 'x' }),
      }),
    );

    const shown = await cli('dlq', 'show', 'webhook-events-dlq');
    expect(shown.code).toBe(0);
    expect(shown.json.messages.map((m: { body: { event_id: string } }) => m.body.event_id).sort()).toEqual([
      'evt_dead_1',
      'evt_dead_2',
    ]);
    // Showing left them in place.
    const listed = await cli('dlq', 'list');
    expect(
      listed.json.queues.find((q: { queue_id: string }) => q.queue_id === 'webhook-events-dlq').messages,
    ).toBe(2);

    const noReason = await cli('dlq', 'redrive', 'webhook-events-dlq');
    expect(noReason.code).toBe(2);
    const path = '/v1/operator/queues/webhook-events-dlq/redrive';
    const body = { actor: 'ada', reason: 'consumer fixed', max_messages: 1 };
    expect((await op('POST', path, body)).status).toBe(400);
    const first = await op('POST', path, body, { 'idempotency-key': 'redrive-once' });
    const again = await op('POST', path, body, { 'idempotency-key': 'redrive-once' });
    expect(first.status).toBe(200);
    expect(first.body.moved).toBe(1);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);

    const rest = await cli(
      'dlq',
      'redrive',
      'webhook-events-dlq',
      '--reason',
      'the rest too',
      '--actor',
      'grace',
    );
    expect(rest.code).toBe(0);
    expect(rest.json.moved).toBe(1);
    const after = await cli('dlq', 'list');
    expect(
      after.json.queues.find((q: { queue_id: string }) => q.queue_id === 'webhook-events-dlq').messages,
    ).toBe(0);

    const audit = (await cli('audit')).json.records.filter(
      (r: { action: string }) => r.action === 'queue.redrive',
    );
    expect(audit.map((r: { actor: string; reason: string }) => [r.actor, r.reason])).toEqual(
      expect.arrayContaining([
        ['ada', 'consumer fixed'],
        ['grace', 'the rest too'],
      ]),
    );
    // The retried request with the same key did not act (or audit) twice.
    expect(audit.filter((r: { reason: string }) => r.reason === 'consumer fixed')).toHaveLength(1);
  }, 60_000);

  it('replays a stored webhook event whose queue message was lost, and the order moves', async () => {
    // A 3-D Secure payment whose success webhook is stored but never queued (the lost-message case).
    const endpoints = system.psp.control.webhookEndpoints();
    for (const e of endpoints) system.psp.control.removeWebhookEndpoint(e.id);
    const orderId = await pay('co_ops_replay', 'pm_card_authenticationRequired');
    const [pending] = await waitForOrders(
      paymentsContextOf(system),
      [orderId],
      (o) => o[0]?.status === 'PENDING',
    );
    system.psp.control.completeAuthentication(pending?.psp_reference as string);
    const event = system.psp.control
      .events()
      .find(
        (e) =>
          e.type === 'payment_intent.succeeded' &&
          (e.data.object as { id?: string }).id === pending?.psp_reference,
      );
    expect(event).toBeDefined();
    for (const e of endpoints)
      system.psp.control.addWebhookEndpoint({ url: e.url, secret: 'whsec_local_simulator' });
    const inbox = { db: localDocumentClient(), table: system.names.tables['webhook-events'] as string };
    await storeEvent(inbox, {
      id: event?.id as string,
      type: 'payment_intent.succeeded',
      created: event?.created as number,
      payload: JSON.stringify(redact(event)),
    });
    expect((await cli('webhook', 'show', event?.id as string)).json.status).toBe('RECEIVED');

    const replayed = await cli('webhook', 'replay', event?.id as string, '--reason', 'queue message lost');
    expect(replayed.code).toBe(0);
    expect(replayed.json.status_before).toBe('RECEIVED');
    const [done] = await waitForOrders(paymentsContextOf(system), [orderId]);
    expect(done?.status).toBe('SUCCESS');
    await eventually(async () =>
      (await cli('webhook', 'show', event?.id as string)).json.status === 'APPLIED' ? true : undefined,
    );
    const audit = (await cli('audit')).json.records;
    expect(audit[0]).toMatchObject({
      action: 'webhook_event.replay',
      target: event?.id,
      reason: 'queue message lost',
    });
  }, 60_000);

  it('says plainly what is not built yet', async () => {
    const reconcile = await cli('reconcile', 'settlement.csv');
    expect(reconcile.code).toBe(3);
    expect(reconcile.json.error).toMatch(/not available yet/);
    expect((await cli('trigger', 'dispute')).code).toBe(3);
  });
});
