/**
 * The operator API and the CLI on the whole local system: the operator's key (and only it) opens the routes;
 * a payment's timeline runs from the request to the ledger; a DLQ's messages are shown and redriven; a stored
 * webhook event whose queue message was lost is replayed and moves its order; every action needs a reason and
 * an Idempotency-Key and leaves one audit record, even when retried. A needs-attention record is resolved; a
 * seller's page shows a failed payout's reason, a refund and a dispute, and payouts are paused and resumed; a
 * local settlement file goes through the bucket's trigger (`payments reconcile`) and a break is resolved.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../bin/cli/main';
import { AttentionKind, AttentionSubjectType, recordAttention } from '../../../lambdas/attention';
import { pointerOf, storeEvent } from '../../../lambdas/webhooks/inbox';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../../sandbox/local-system';
import { localDocumentClient } from '../../support/engines';
import {
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
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
      payload: JSON.stringify(pointerOf(event as NonNullable<typeof event>)),
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

  it('lists, shows and resolves a needs-attention record: a reason and an Idempotency-Key, audited once, a second resolve refused', async () => {
    const attention = { db: localDocumentClient(), table: system.names.tables.attention as string };
    const subject = `co_ops_attn_${Date.now().toString(36)}_a`;
    const { record } = await recordAttention(attention, {
      kind: AttentionKind.CapturedForFailedOrder,
      subjectType: AttentionSubjectType.PaymentOrder,
      subjectId: subject,
      summary: 'captured for an order we recorded FAILED',
      details: { payment_order_id: subject, amount: '12.00', currency: 'USD' },
    });
    const id = record.attention_id;
    const listed = await cli('attention', 'list');
    expect(listed.code).toBe(0);
    expect(listed.json.status).toBe('OPEN');
    expect(listed.json.records.map((r: { attention_id: string }) => r.attention_id)).toContain(id);
    const shown = await cli('attention', 'show', id);
    expect(shown.json).toMatchObject({
      attention_id: id,
      subject_type: 'payment_order',
      subject_id: subject,
      status: 'OPEN',
      details: { amount: '12.00' },
    });

    const path = `/v1/operator/attention/${encodeURIComponent(id)}/resolve`;
    expect((await op('POST', path, { actor: 'ada' }, { 'idempotency-key': 'attn-no-reason' })).status).toBe(
      400,
    );
    expect((await op('POST', path, { actor: 'ada', reason: 'refunded by hand' })).status).toBe(400);
    expect((await cli('attention', 'resolve', id)).code).toBe(2);
    const body = { actor: 'ada', reason: 'refunded by hand in the dashboard' };
    const first = await op('POST', path, body, { 'idempotency-key': `attn-${id}` });
    const again = await op('POST', path, body, { 'idempotency-key': `attn-${id}` });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'RESOLVED', resolved_by: 'ada', resolution: body.reason });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const twice = await op('POST', path, body, { 'idempotency-key': `attn-${id}-2` });
    expect(twice.status).toBe(409);
    expect((twice.body as { error: { code: string } }).error.code).toBe('already_resolved');
    const missing = await op(
      'POST',
      '/v1/operator/attention/amount_mismatch:payment_order:po_nothing/resolve',
      body,
      {
        'idempotency-key': 'attn-missing',
      },
    );
    expect(missing.status).toBe(404);

    const open = await cli('attention', 'list');
    expect(open.json.records.map((r: { attention_id: string }) => r.attention_id)).not.toContain(id);
    const resolved = await cli('attention', 'list', '--status', 'resolved');
    expect(resolved.json.records.map((r: { attention_id: string }) => r.attention_id)).toContain(id);
    const audit = (await cli('audit')).json.records.filter(
      (r: { action: string; target: string }) => r.action === 'attention.resolve' && r.target === id,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'ada', reason: body.reason });
  }, 60_000);

  it("shows a seller's payouts (failure reasons), refunds and disputes, and pauses and resumes payouts (audited)", async () => {
    const seller = `seller_opsv_${Date.now().toString(36)}`;
    const put = await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
      destination: { provider: 'stripe_connect', account: `acct_x_bankfail_${Date.now().toString(36)}` },
    });
    expect(put.status).toBe(201);
    const payments = paymentsContextOf(system);
    const { orders } = await submitTestCheckout(system, payments, testPaymentProvider(system), {
      label: 'opsv',
      orders: [
        { seller, amount: '40.00' },
        { seller, amount: '20.00' },
      ],
      paymentMethod: 'pm_card_visa',
    });
    const paid = await waitForOrders(
      payments,
      orders.map((o) => o.payment_order_id),
    );
    const [a, b] = paid;
    const refund = await callApi(system, 'POST', `/v1/payments/${a?.payment_order_id}/refunds`, {
      amount: '5.00',
    });
    expect(refund.status).toBeLessThan(300);
    system.psp.control.moneyBack?.openDispute({ paymentIntent: b?.psp_reference as string });
    const payout = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '10.00',
    });
    expect(payout.status).toBe(201);
    const payoutId = payout.body.payout_id as string;
    const submitted = await eventually(async () => {
      const got = await callApi(system, 'GET', `/v1/payouts/${payoutId}`);
      return got.body.status === 'SUBMITTED' ? got.body : undefined;
    });
    system.psp.control.connect.settle(String(submitted.bank_payout_id));

    const view = await eventually(async () => {
      const s = (await cli('seller', seller)).json;
      return s.payouts[0]?.status === 'FAILED' && s.refunds.length === 1 && s.disputes.length === 1
        ? s
        : undefined;
    }, 30_000);
    expect(view.payouts[0]).toMatchObject({ payout_id: payoutId, failure: { code: 'account_closed' } });
    expect(view.refunds[0]).toMatchObject({ payment_order_id: a?.payment_order_id, amount: '5.00' });
    expect(view.disputes[0]).toMatchObject({ payment_order_id: b?.payment_order_id, amount: '20.00' });
    expect(view.payout_settings).toMatchObject({ paused: false, schedule: 'manual' });

    expect((await cli('payouts', 'pause', seller)).code).toBe(2);
    const paused = await cli('payouts', 'pause', seller, '--reason', 'bank account closed, asked the seller');
    expect(paused.code).toBe(0);
    expect(paused.json.paused).toBe(true);
    expect((await cli('seller', seller)).json.payout_settings.paused).toBe(true);
    // The seller's own API says so too: the same payouts record.
    const refused = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '1.00',
    });
    expect(refused.status).toBe(422);
    const resumed = await cli('payouts', 'resume', seller, '--reason', 'seller confirmed');
    expect(resumed.json.paused).toBe(false);
    const unknown = await op(
      'POST',
      '/v1/operator/sellers/seller_nobody/payouts/pause',
      { actor: 'ada', reason: 'testing' },
      { 'idempotency-key': `pause-nobody-${Date.now().toString(36)}` },
    );
    expect(unknown.status).toBe(404);
    const audit = (await cli('audit')).json.records.filter((r: { target: string }) => r.target === seller);
    expect(audit.map((r: { action: string }) => r.action).sort()).toEqual([
      'payouts.pause',
      'payouts.resume',
    ]);
  }, 90_000);

  it("reconciles a local settlement file through the bucket's trigger, shows the day's breaks and resolves one (audited)", async () => {
    const orderId = await pay(`co_ops_recon_${Date.now().toString(36)}`, 'pm_card_visa');
    await waitForOrders(paymentsContextOf(system), [orderId]);
    const day = new Date().toISOString().slice(0, 10);
    const settlement = system.psp.control.settlementReport({
      date: day,
      discrepancies: [{ kind: 'extra_row', amountMinor: 777, currency: 'usd' }],
    });
    const dir = mkdtempSync(join(tmpdir(), 'ops-recon-'));
    const file = join(dir, 'settlement.csv');
    writeFileSync(file, settlement.csv);
    expect((await cli('reconcile', join(dir, 'absent.csv'))).code).toBe(2);

    const run = await cli('reconcile', file, '--day', day);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.uploaded.key).toMatch(new RegExp(`^settlements/cli/${day}\\.`));
    const report = run.json.report;
    expect(report.day).toBe(day);
    expect(report.classes.matched.count).toBeGreaterThan(0);
    const extra = report.breaks.find(
      (x: { class: string; status: string }) => x.class !== 'matched' && x.status === 'open',
    );
    expect(extra).toBeDefined();

    const days = await cli('recon');
    expect(days.json.days.map((d: { day: string }) => d.day)).toContain(day);
    const shown = await cli('recon', 'show', day);
    expect(shown.json.sha256).toBe(report.sha256);

    const path = `/v1/operator/reconciliation/${day}/breaks/${encodeURIComponent(extra.id)}/resolve`;
    expect(
      (
        await op(
          'POST',
          path,
          { actor: 'ada', reason: 'x', action: 'accept' },
          { 'idempotency-key': 'r-short' },
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await op(
          'POST',
          path,
          { actor: 'ada', reason: 'fine', action: 'link' },
          { 'idempotency-key': 'r-link' },
        )
      ).status,
    ).toBe(400);
    const resolved = await cli(
      'recon',
      'resolve',
      day,
      extra.id,
      '--action',
      'accept',
      '--reason',
      'PSP adjustment, explained',
    );
    expect(resolved.code, JSON.stringify(resolved.json)).toBe(0);
    expect(resolved.json).toMatchObject({ status: 'resolved', action: 'accept', replayed: false });
    const after = (await cli('recon', 'show', day)).json;
    expect(after.breaks.find((x: { id: string }) => x.id === extra.id)).toMatchObject({
      status: 'resolved',
      resolution: { action: 'accept', reason: 'PSP adjustment, explained' },
    });
    const audit = (await cli('audit')).json.records.find(
      (r: { action: string }) => r.action === 'reconciliation_break.accept',
    );
    expect(audit).toMatchObject({ target: `${day}/${extra.id}`, reason: 'PSP adjustment, explained' });
    expect((await op('GET', '/v1/operator/reconciliation/2001-01-01')).status).toBe(404);
    expect((await op('GET', '/v1/operator/reconciliation/2001-02-30')).status).toBe(400);

    // The payment's timeline now names the day's report.
    const traced = (await cli('trace', orderId)).json;
    expect(traced.settlement.reports.map((r: { day: string }) => r.day)).toContain(day);
    expect(traced.timeline.map((e: { kind: string }) => e.kind)).toContain('settlement');
  }, 90_000);
});
