/**
 * The running API answers as its OpenAPI document says: every documented operation is called (with a request
 * that should succeed where the test knows how to make one, and with requests that must fail), and each answer's
 * status must be documented for that operation and its body must validate against the documented schema
 * (error codes included: an error answer's code must be one the document lists for that status).
 *
 * Operations the scenarios below do not name are still probed with a generic bad request (placeholder path
 * parameters, an empty JSON body), so a route added later is checked against its document without more work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSystem } from '../../../sandbox/local-system';
import { OpenApiChecker } from '../../support/openapi';
import { eventually } from '../../support/runtime';
import { startTestSystem, TEST_API_KEY } from '../../support/system';

const OPERATOR_KEY = 'local-operator-key';

let system: LocalSystem;
let checker: OpenApiChecker;
const exercised = new Set<string>();
const problems: string[] = [];

interface Call {
  readonly key: string;
  readonly path?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The status this request must get (also checked against the document). */
  readonly expect: number;
}

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are walked as untyped JSON
type Json = Record<string, any>;

function keyFor(op: Json): Record<string, string> {
  const scheme = Object.keys(op.security?.[0] ?? {})[0];
  if (scheme === 'storefrontKey') return { 'x-api-key': TEST_API_KEY };
  if (scheme === 'operatorKey') return { 'x-api-key': OPERATOR_KEY };
  return {};
}

async function call(c: Call): Promise<{ status: number; body: Json }> {
  const [method, template] = c.key.split(' ') as [string, string];
  const op = checker.operation(c.key);
  const path = c.path ?? template;
  const response = await fetch(`${system.endpoints.api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...keyFor(op), ...c.headers },
    ...(c.body === undefined ? {} : { body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) }),
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  exercised.add(c.key);
  const checked = checker.check(c.key, response.status, body);
  problems.push(...checked.problems);
  expect(response.status, `${c.key} ${path}: ${text.slice(0, 300)}`).toBe(c.expect);
  expect(checked.problems).toEqual([]);
  return { status: response.status, body };
}

beforeAll(async () => {
  system = await startTestSystem();
  const doc = (await (await fetch(`${system.endpoints.api}/openapi.json`)).json()) as Json;
  checker = new OpenApiChecker(doc);
}, 120_000);

afterAll(async () => {
  await system?.stop();
});

const checkout = (id: string, token?: string) => ({
  checkout_id: id,
  buyer_info: { buyer_id: 'buyer_contract', email: 'c@example.com' },
  ...(token ? { credit_card_info: token } : {}),
  payment_orders: [
    { payment_order_id: `${id}_a`, seller_account: 'seller_books', amount: '30.00', currency: 'USD' },
    { payment_order_id: `${id}_b`, seller_account: 'seller_tea', amount: '12.34', currency: 'USD' },
  ],
});

describe('the running API answers as /openapi.json documents', () => {
  it('serves a 3.1 document covering every route', () => {
    expect(checker.doc.openapi).toBe('3.1.0');
    expect(checker.operations().length).toBeGreaterThanOrEqual(system.runtime ? 6 : 0);
  });

  it('storefront routes', async () => {
    await call({ key: 'GET /v1/health', expect: 200 });
    await call({
      key: 'POST /v1/payments',
      body: checkout('co_contract_1', 'pm_card_visa'),
      headers: { 'idempotency-key': 'contract-1' },
      expect: 201,
    });
    await call({ key: 'POST /v1/payments', body: checkout('co_contract_1', 'pm_card_visa'), expect: 200 });
    await call({ key: 'POST /v1/payments', body: checkout('co_contract_hosted'), expect: 201 });
    await call({
      key: 'POST /v1/payments',
      body: {
        ...checkout('co_contract_1', 'pm_card_visa'),
        payment_orders: [
          {
            payment_order_id: 'co_contract_1_a',
            seller_account: 'seller_books',
            amount: '31.00',
            currency: 'USD',
          },
        ],
      },
      expect: 409,
    });
    await call({ key: 'POST /v1/payments', body: { checkout_id: 'x' }, expect: 400 });
    await call({ key: 'POST /v1/payments', body: '{not json', expect: 400 });
    await call({
      key: 'POST /v1/payments',
      body: {
        ...checkout('co_contract_f'),
        payment_orders: [{ payment_order_id: 'f1', seller_account: 's', amount: 1.5, currency: 'USD' }],
      },
      expect: 400,
    });
    await call({
      key: 'POST /v1/payments',
      body: checkout('co_contract_nokey', 'pm_card_visa'),
      headers: { 'x-api-key': 'wrong' },
      expect: 403,
    });
    await call({
      key: 'POST /v1/payments',
      body: checkout('co_contract_2', 'pm_card_visa'),
      headers: { 'content-type': 'text/plain' },
      expect: 415,
    });

    await eventually(async () => {
      const r = await fetch(`${system.endpoints.api}/v1/checkouts/co_contract_1`, {
        headers: { 'x-api-key': TEST_API_KEY },
      });
      return ((await r.json()) as { is_payment_done: boolean }).is_payment_done || undefined;
    }, 30_000);
    await call({ key: 'GET /v1/checkouts/{checkout_id}', path: '/v1/checkouts/co_contract_1', expect: 200 });
    await call({ key: 'GET /v1/checkouts/{checkout_id}', path: '/v1/checkouts/co_missing', expect: 404 });
    await call({ key: 'GET /v1/checkouts/{checkout_id}', path: '/v1/checkouts/bad%20id', expect: 400 });
    await call({
      key: 'POST /v1/checkouts/{checkout_id}/cancel',
      path: '/v1/checkouts/co_contract_hosted/cancel',
      expect: 200,
    });
    await call({
      key: 'POST /v1/checkouts/{checkout_id}/cancel',
      path: '/v1/checkouts/co_missing/cancel',
      expect: 404,
    });
    await call({
      key: 'GET /v1/payments/{payment_order_id}',
      path: '/v1/payments/co_contract_1_a',
      expect: 200,
    });
    await call({ key: 'GET /v1/payments/{payment_order_id}', path: '/v1/payments/po_missing', expect: 404 });
    await call({
      key: 'GET /v1/sellers/{seller_account}/wallet',
      path: '/v1/sellers/seller_books/wallet',
      expect: 200,
    });
    await call({
      key: 'GET /v1/sellers/{seller_account}/wallet',
      path: '/v1/sellers/seller_nobody/wallet',
      expect: 200,
    });
    await call({
      key: 'POST /v1/webhooks/psp',
      body: { id: 'evt_x', type: 'x' },
      headers: { 'stripe-signature': 't=1,v1=00' },
      expect: 400,
    });
  }, 90_000);

  it('operator routes (after the storefront ones, so there is something to read)', async () => {
    await call({ key: 'GET /v1/operator/payments', expect: 200 });
    await call({
      key: 'GET /v1/operator/payments',
      path: '/v1/operator/payments?status=SUCCESS&limit=5',
      expect: 200,
    });
    await call({ key: 'GET /v1/operator/payments', path: '/v1/operator/payments?limit=0', expect: 400 });
    await call({ key: 'GET /v1/operator/payments', headers: { 'x-api-key': TEST_API_KEY }, expect: 401 });
    await call({
      key: 'GET /v1/operator/payments/{payment_order_id}',
      path: '/v1/operator/payments/co_contract_1_a',
      expect: 200,
    });
    await call({
      key: 'GET /v1/operator/payments/{payment_order_id}',
      path: '/v1/operator/payments/po_missing',
      expect: 404,
    });
    await call({
      key: 'GET /v1/operator/sellers/{seller_account}',
      path: '/v1/operator/sellers/seller_books',
      expect: 200,
    });
    await call({
      key: 'GET /v1/operator/ledger/check',
      path: '/v1/operator/ledger/check?seller_account=seller_books',
      expect: 200,
    });
    const events = await call({ key: 'GET /v1/operator/webhook-events', expect: 200 });
    const eventId = events.body.events[0]?.id as string;
    expect(eventId).toMatch(/^evt_/);
    await call({
      key: 'GET /v1/operator/webhook-events/{event_id}',
      path: `/v1/operator/webhook-events/${eventId}`,
      expect: 200,
    });
    await call({
      key: 'GET /v1/operator/webhook-events/{event_id}',
      path: '/v1/operator/webhook-events/evt_missing',
      expect: 404,
    });
    await call({ key: 'GET /v1/operator/queues', expect: 200 });
    await call({
      key: 'GET /v1/operator/queues/{queue_id}/messages',
      path: '/v1/operator/queues/webhook-events-dlq/messages',
      expect: 200,
    });
    await call({
      key: 'GET /v1/operator/queues/{queue_id}/messages',
      path: '/v1/operator/queues/webhook-events/messages',
      expect: 400,
    });
    await call({
      key: 'GET /v1/operator/queues/{queue_id}/messages',
      path: '/v1/operator/queues/no-such-queue/messages',
      expect: 404,
    });
    const act = { actor: 'contract-test', reason: 'checking the document' };
    await call({
      key: 'POST /v1/operator/queues/{queue_id}/redrive',
      path: '/v1/operator/queues/webhook-events-dlq/redrive',
      body: act,
      headers: { 'idempotency-key': 'c-redrive-1' },
      expect: 200,
    });
    await call({
      key: 'POST /v1/operator/queues/{queue_id}/redrive',
      path: '/v1/operator/queues/webhook-events-dlq/redrive',
      body: act,
      expect: 400,
    });
    await call({
      key: 'POST /v1/operator/queues/{queue_id}/redrive',
      path: '/v1/operator/queues/webhook-events-dlq/redrive',
      body: { actor: 'x' },
      headers: { 'idempotency-key': 'c-redrive-2' },
      expect: 400,
    });
    await call({
      key: 'POST /v1/operator/webhook-events/{event_id}/replay',
      path: `/v1/operator/webhook-events/${eventId}/replay`,
      body: act,
      headers: { 'idempotency-key': 'c-replay-1' },
      expect: 202,
    });
    await call({
      key: 'POST /v1/operator/webhook-events/{event_id}/replay',
      path: '/v1/operator/webhook-events/evt_missing/replay',
      body: act,
      headers: { 'idempotency-key': 'c-replay-2' },
      expect: 404,
    });
    await call({ key: 'GET /v1/operator/audit', expect: 200 });
  }, 90_000);

  it('refund and dispute routes (on the orders the storefront routes paid)', async () => {
    const refunds = 'POST /v1/payments/{payment_order_id}/refunds';
    const refund = await call({
      key: refunds,
      path: '/v1/payments/co_contract_1_a/refunds',
      body: { amount: '5.00', reason: 'requested_by_customer' },
      headers: { 'idempotency-key': 'c-refund-1' },
      expect: 201,
    });
    const refundId = refund.body.refund_id as string;
    await call({
      key: refunds,
      path: '/v1/payments/co_contract_1_a/refunds',
      body: { amount: '5.00', reason: 'requested_by_customer' },
      headers: { 'idempotency-key': 'c-refund-1' },
      expect: 201,
    });
    await call({
      key: refunds,
      path: '/v1/payments/co_contract_1_a/refunds',
      body: { amount: '999.00' },
      expect: 422,
    });
    await call({
      key: refunds,
      path: '/v1/payments/co_contract_1_a/refunds',
      body: { amount: 5 },
      expect: 400,
    });
    await call({
      key: refunds,
      path: '/v1/payments/co_contract_1_a/refunds',
      body: { amount: '5.00', currency: 'USD' },
      expect: 400,
    });
    await call({ key: refunds, path: '/v1/payments/po_missing/refunds', body: {}, expect: 404 });
    // The hosted checkout was never paid.
    await call({ key: refunds, path: '/v1/payments/co_contract_hosted_a/refunds', body: {}, expect: 409 });
    await call({ key: refunds, path: '/v1/payments/co_contract_1_b/refunds', body: {}, expect: 201 });
    await call({ key: refunds, path: '/v1/payments/co_contract_1_b/refunds', body: {}, expect: 409 });

    const list = await call({
      key: 'GET /v1/payments/{payment_order_id}/refunds',
      path: '/v1/payments/co_contract_1_a/refunds',
      expect: 200,
    });
    expect(list.body.data.map((r: Json) => r.refund_id)).toContain(refundId);
    await call({
      key: 'GET /v1/payments/{payment_order_id}/refunds',
      path: '/v1/payments/po_missing/refunds',
      expect: 404,
    });
    await call({ key: 'GET /v1/refunds/{refund_id}', path: `/v1/refunds/${refundId}`, expect: 200 });
    await call({ key: 'GET /v1/refunds/{refund_id}', path: '/v1/refunds/rf_missing', expect: 404 });
    await call({ key: 'GET /v1/disputes/{dispute_id}', path: '/v1/disputes/dp_missing', expect: 404 });
  }, 90_000);

  it('payout routes', async () => {
    const seller = 'PUT /v1/sellers/{seller_account}';
    const settings = { destination: { provider: 'stripe_connect', account: 'acct_contract_books' } };
    await call({ key: seller, path: '/v1/sellers/seller_books', body: settings, expect: 201 });
    await call({
      key: seller,
      path: '/v1/sellers/seller_books',
      body: { ...settings, minimum_amounts: { USD: '1.00' } },
      expect: 200,
    });
    await call({ key: seller, path: '/v1/sellers/seller_books', body: {}, expect: 400 });
    await call({
      key: seller,
      path: '/v1/sellers/seller_books',
      body: { ...settings, minimum_amounts: { USD: '1.001' } },
      expect: 400,
    });
    await call({
      key: 'GET /v1/sellers/{seller_account}/wallet',
      path: '/v1/sellers/seller_books/wallet',
      expect: 200,
    });

    const payouts = 'POST /v1/payouts';
    const payout = await call({
      key: payouts,
      body: { seller_account: 'seller_books', currency: 'USD', amount: '1.00' },
      headers: { 'idempotency-key': 'c-payout-1' },
      expect: 201,
    });
    const payoutId = payout.body.payout_id as string;
    await call({
      key: payouts,
      body: { seller_account: 'seller_books', currency: 'USD', amount: '100000.00' },
      expect: 422,
    });
    await call({
      key: payouts,
      body: { seller_account: 'seller_nobody', currency: 'USD', all_payable: true },
      expect: 404,
    });
    await call({ key: payouts, body: { seller_account: 'seller_books', currency: 'USD' }, expect: 400 });
    await call({
      key: payouts,
      body: { seller_account: 'seller_books', currency: 'XYZ', amount: '1.00' },
      expect: 400,
    });

    await call({ key: 'GET /v1/payouts/{payout_id}', path: `/v1/payouts/${payoutId}`, expect: 200 });
    await call({ key: 'GET /v1/payouts/{payout_id}', path: '/v1/payouts/pout_missing', expect: 404 });
    await eventually(async () => {
      const page = await call({
        key: 'GET /v1/sellers/{seller_account}/payouts',
        path: '/v1/sellers/seller_books/payouts?limit=5',
        expect: 200,
      });
      return page.body.data.some((p: Json) => p.payout_id === payoutId) || undefined;
    }, 15_000);
    await call({
      key: 'GET /v1/sellers/{seller_account}/payouts',
      path: '/v1/sellers/seller_books/payouts?limit=0',
      expect: 400,
    });

    await call({
      key: 'POST /v1/sellers/{seller_account}/payouts/pause',
      path: '/v1/sellers/seller_books/payouts/pause',
      expect: 200,
    });
    await call({
      key: payouts,
      body: { seller_account: 'seller_books', currency: 'USD', all_payable: true },
      expect: 422,
    });
    await call({
      key: 'POST /v1/sellers/{seller_account}/payouts/resume',
      path: '/v1/sellers/seller_books/payouts/resume',
      expect: 200,
    });
    await call({
      key: 'POST /v1/sellers/{seller_account}/payouts/pause',
      path: '/v1/sellers/seller_nobody/payouts/pause',
      expect: 404,
    });
  }, 90_000);

  it('every other documented operation answers a bad request as documented', async () => {
    for (const { key, method, path, op } of checker.operations()) {
      if (exercised.has(key)) continue;
      const filled = path.replace(/\{[^}]+\}/g, 'contract_probe');
      const response = await fetch(`${system.endpoints.api}${filled}`, {
        method,
        headers: { 'content-type': 'application/json', ...keyFor(op) },
        ...(method === 'GET' ? {} : { body: '{}' }),
      });
      const text = await response.text();
      const checked = checker.check(key, response.status, text ? JSON.parse(text) : {});
      expect(checked.problems, `${key}: ${text.slice(0, 200)}`).toEqual([]);
      exercised.add(key);
    }
    expect([...exercised].sort()).toEqual(
      checker
        .operations()
        .map((o) => o.key)
        .sort(),
    );
  }, 60_000);
});
