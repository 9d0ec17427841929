/**
 * The storefront API on the real manifest, the local runtime and the PSP simulator: creating a checkout,
 * reading it back, resubmissions and conflicts, hosted-page mode, the API key.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDocumentClient } from '../../support/engines';
import { eventually } from '../../support/runtime';
import { type ApiFixture, call, checkoutBody, postPayment, startApi, uid } from './support';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.stop();
});

describe('POST /v1/payments (card token)', () => {
  it('creates the checkout and its orders (201), readable by checkout and by order', async () => {
    // Prepare
    const body = checkoutBody(2);

    // Act
    const created = await postPayment(api.runtime, body);
    const checkout = await call(api.runtime, 'GET', `/v1/checkouts/${body.checkout_id}`);
    // The history is appended from the table's stream: eventually consistent.
    const order = await eventually(async () => {
      const read = await call(api.runtime, 'GET', `/v1/payments/${body.payment_orders[0]?.payment_order_id}`);
      return read.json?.history?.length ? read : undefined;
    });

    // Assess
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      checkout_id: body.checkout_id,
      mode: 'card',
      currency: 'USD',
      total_amount: '20.00',
      is_payment_done: false,
      buyer_info: body.buyer_info,
      payment_orders: body.payment_orders.map((o) => ({
        payment_order_id: o.payment_order_id,
        seller_account: o.seller_account,
        amount: '10.00',
        currency: 'USD',
        status: 'NOT_STARTED',
      })),
    });
    expect(created.text).not.toContain('pm_card_visa');
    expect(created.text).not.toContain('request_hash');
    expect(checkout.status).toBe(200);
    expect(checkout.json.checkout_id).toBe(body.checkout_id);
    expect(checkout.json.payment_orders).toHaveLength(2);
    expect(order.status).toBe(200);
    expect(order.json).toMatchObject({
      payment_order_id: body.payment_orders[0]?.payment_order_id,
      checkout_id: body.checkout_id,
      amount: '10.00',
      currency: 'USD',
    });
    expect(order.json.history[0]).toMatchObject({ version: 1, from: null, to: 'NOT_STARTED', actor: 'api' });
  });

  it('is driven to completion by the pay-in workflow it starts', async () => {
    // Prepare
    const body = checkoutBody(2);

    // Act
    const created = await postPayment(api.runtime, body);
    const done = await eventually(async () => {
      const checkout = await call(api.runtime, 'GET', `/v1/checkouts/${body.checkout_id}`);
      return checkout.json?.is_payment_done ? checkout.json : undefined;
    }, 30_000);

    // Assess
    expect(created.status).toBe(201);
    expect(done.payment_orders.map((o: { status: string }) => o.status)).toEqual(['SUCCESS', 'SUCCESS']);
    const history = await eventually(async () => {
      const order = await call(
        api.runtime,
        'GET',
        `/v1/payments/${body.payment_orders[1]?.payment_order_id}`,
      );
      const moves: { to: string }[] = order.json.history;
      return moves.at(-1)?.to === 'SUCCESS' ? moves : undefined;
    });
    expect(history.map((h) => h.to)).toEqual(expect.arrayContaining(['NOT_STARTED', 'SUCCESS']));
  });

  it('answers a resubmission with the same content 200 and the stored checkout', async () => {
    // Prepare
    const body = checkoutBody(1);
    const first = await postPayment(api.runtime, body);
    const reordered = Object.fromEntries(Object.entries(body).reverse());

    // Act
    const again = await postPayment(api.runtime, reordered);

    // Assess
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json.checkout_id).toBe(body.checkout_id);
    expect(again.json.created_at).toBe(first.json.created_at);
    expect(again.json.payment_orders.map((o: { created_at: string }) => o.created_at)).toEqual(
      first.json.payment_orders.map((o: { created_at: string }) => o.created_at),
    );
    // Not a replay of a stored response: an answer from what the checkout is now.
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('refuses the same checkout_id with other content: 409 checkout_conflict', async () => {
    // Prepare
    const body = checkoutBody(1);
    await postPayment(api.runtime, body);
    const changed = {
      ...body,
      payment_orders: [{ ...(body.payment_orders[0] as (typeof body.payment_orders)[0]), amount: '11.00' }],
    };

    // Act
    const response = await postPayment(api.runtime, changed);

    // Assess
    expect(response.status).toBe(409);
    expect(response.json.error).toMatchObject({ code: 'checkout_conflict' });
    expect(typeof response.json.error.request_id).toBe('string');
    const checkout = await call(api.runtime, 'GET', `/v1/checkouts/${body.checkout_id}`);
    expect(checkout.json.payment_orders[0].amount).toBe('10.00');
  });

  it('refuses an order id used by another checkout: 409 payment_order_conflict, nothing written', async () => {
    // Prepare
    const first = checkoutBody(1);
    await postPayment(api.runtime, first);
    const second = checkoutBody(2);
    (second.payment_orders[1] as { payment_order_id: string }).payment_order_id = first.payment_orders[0]
      ?.payment_order_id as string;

    // Act
    const response = await postPayment(api.runtime, second);

    // Assess
    expect(response.status).toBe(409);
    expect(response.json.error).toMatchObject({
      code: 'payment_order_conflict',
      details: { payment_order_id: first.payment_orders[0]?.payment_order_id },
    });
    const checkout = await call(api.runtime, 'GET', `/v1/checkouts/${second.checkout_id}`);
    expect(checkout.status).toBe(404);
    const order = await call(
      api.runtime,
      'GET',
      `/v1/payments/${second.payment_orders[0]?.payment_order_id}`,
    );
    expect(order.status).toBe(404);
  });

  it('accepts 40 orders (the transaction limit) in a zero-decimal currency', async () => {
    // Prepare
    const body = checkoutBody(40);
    for (const order of body.payment_orders) Object.assign(order, { amount: '1500', currency: 'JPY' });

    // Act
    const response = await postPayment(api.runtime, body);

    // Assess
    expect(response.status).toBe(201);
    expect(response.json.total_amount).toBe('60000');
    expect(response.json.payment_orders).toHaveLength(40);
  });
});

describe('POST /v1/payments (hosted page)', () => {
  it('registers the page with the PSP, stores the token, and answers it with the URL', async () => {
    // Prepare
    const { credit_card_info: _none, ...body } = checkoutBody(2);

    // Act
    const response = await postPayment(api.runtime, body);
    const stored = await call(api.runtime, 'GET', `/v1/checkouts/${body.checkout_id}`);
    const again = await postPayment(api.runtime, body);

    // Assess
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ mode: 'hosted', total_amount: '20.00' });
    expect(response.json.psp_token).toMatch(/^cs_/);
    expect(response.json.payment_page_url).toMatch(/^http/);
    expect(Date.parse(response.json.payment_page_expires_at)).toBeGreaterThan(Date.now() + 29 * 60_000);
    expect(response.json.payment_orders.map((o: { status: string }) => o.status)).toEqual([
      'PENDING',
      'PENDING',
    ]);
    expect(stored.json.psp_token).toBe(response.json.psp_token);
    expect(stored.json.payment_page_url).toBe(response.json.payment_page_url);
    expect(again.status).toBe(200);
    expect(again.json.psp_token).toBe(response.json.psp_token);
  });

  it('answers 503 psp_unavailable with Retry-After when the PSP fails, and a retry succeeds', async () => {
    // Prepare
    const { credit_card_info: _none, ...body } = checkoutBody(1);
    const fault = api.psp.control.addFault({
      kind: 'error',
      route: 'POST /v1/checkout/sessions',
      status: 503,
    });
    const key = uid('key');

    // Act
    const failed = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    api.psp.control.removeFault(fault);
    const retried = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });

    // Assess
    expect(failed.status).toBe(503);
    expect(failed.json.error).toMatchObject({ code: 'psp_unavailable' });
    expect(failed.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(failed.text).not.toMatch(/stripe|api_error|sk_test/i);
    // A 5xx is not stored: the retry with the same key executes.
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('hosted page registration after a lost PSP answer', () => {
  it('registers the same session when the storefront retries, and answers 201 once', async () => {
    // Prepare: the PSP creates the session, then the answer is lost, every time the SDK retries too.
    const { credit_card_info: _none, ...body } = checkoutBody(1);
    const fault = api.psp.control.addFault({ kind: 'drop', route: 'POST /v1/checkout/sessions', count: 3 });
    const key = uid('key');

    // Act
    const failed = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    api.psp.control.removeFault(fault);
    const retried = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    const resubmitted = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': uid('key') } });

    // Assess
    expect(failed.status).toBe(503);
    expect(retried.status).toBe(201);
    expect(resubmitted.status).toBe(200);
    const token = retried.json.psp_token;
    expect(token).toMatch(/^cs_/);
    expect(resubmitted.json.psp_token).toBe(token);
    // However many times the PSP saw the registration, one session exists for this checkout: the one we hold.
    const stripe = new Stripe('sk_test_api', { host: '127.0.0.1', port: api.psp.port, protocol: 'http' });
    const listed = await stripe.checkout.sessions.list({ limit: 100 });
    const sessions = listed.data.filter((session) => session.client_reference_id === body.checkout_id);
    expect(sessions.map((session) => session.id)).toEqual([token]);
  });
});

describe('GET routes', () => {
  it('answer an order whose PaymentIntent the PSP does not know 200, without next_action (not 502)', async () => {
    // Prepare: a 3-D Secure order waiting on the buyer, then its PaymentIntent unknown to the PSP (as after
    // the PSP lost it)
    const body = checkoutBody(1, { credit_card_info: 'pm_card_authenticationRequired' });
    const orderId = body.payment_orders[0]?.payment_order_id as string;
    await postPayment(api.runtime, body);
    const waiting = await eventually(async () => {
      const answer = await call(api.runtime, 'GET', `/v1/payments/${orderId}`);
      return answer.json?.next_action ? answer : undefined;
    }, 20_000);
    await localDocumentClient().send(
      new UpdateCommand({
        TableName: api.runtime.names.tables.payments,
        Key: { pk: `ORDER#${orderId}`, sk: 'META' },
        UpdateExpression: 'SET psp_reference = :unknown',
        ExpressionAttributeValues: { ':unknown': 'pi_unknown_to_the_psp' },
      }),
    );

    // Act
    const answer = await call(api.runtime, 'GET', `/v1/payments/${orderId}`);

    // Assess
    expect(waiting.json.status).toBe('PENDING');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ payment_order_id: orderId, status: 'PENDING' });
    expect(answer.json.next_action).toBeUndefined();
  });

  it('answer 404 not_found for unknown ids and 400 for ids that cannot exist', async () => {
    // Act
    const order = await call(api.runtime, 'GET', `/v1/payments/${uid('nope')}`);
    const checkout = await call(api.runtime, 'GET', `/v1/checkouts/${uid('nope')}`);
    const bad = await call(api.runtime, 'GET', `/v1/checkouts/${encodeURIComponent('a b')}`);

    // Assess
    expect(order.status).toBe(404);
    expect(order.json.error).toMatchObject({ code: 'not_found' });
    expect(checkout.status).toBe(404);
    expect(checkout.json.error).toMatchObject({ code: 'not_found' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'validation_error' });
  });
});

describe('API key', () => {
  it('is required on every storefront route (403 without it, nothing written)', async () => {
    // Prepare
    const body = checkoutBody(1);

    // Act
    const post = await call(api.runtime, 'POST', '/v1/payments', { body, apiKey: null });
    const getOrder = await call(api.runtime, 'GET', '/v1/payments/x', { apiKey: null });
    const getCheckout = await call(api.runtime, 'GET', '/v1/checkouts/x', { apiKey: null });
    const wrong = await call(api.runtime, 'POST', '/v1/payments', { body, apiKey: 'not-the-key' });

    // Assess
    expect([post.status, getOrder.status, getCheckout.status, wrong.status]).toEqual([403, 403, 403, 403]);
    const stored = await call(api.runtime, 'GET', `/v1/checkouts/${body.checkout_id}`);
    expect(stored.status).toBe(404);
  });
});
