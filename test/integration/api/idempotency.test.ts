/**
 * Idempotency of POST /v1/payments on the real engines: replays of stored answers, a key reused with another
 * body, requests in flight, and 100 concurrent duplicates (with one key, and with none but one checkout_id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../support/runtime';
import {
  type ApiFixture,
  type ApiResponse,
  call,
  checkoutBody,
  postPayment,
  scanAll,
  startApi,
  uid,
} from './support';

let api: ApiFixture;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  api.psp.control.releaseHeld();
  await api?.stop();
});

/** The payments table's items of one checkout: the checkout itself and its orders (history excluded). */
/** Invariant 1: once the checkout is done, the PSP saw exactly one PaymentIntent per payment order. */
async function expectOneChargePerOrder(body: {
  checkout_id: string;
  payment_orders: { payment_order_id: string }[];
}) {
  await eventually(async () => {
    const checkout = await call(api.runtime, 'GET', `/v1/checkouts/${body.checkout_id}`);
    return checkout.json.is_payment_done ? true : undefined;
  }, 30_000);
  const created = api.psp.control
    .events()
    .filter((e) => e.type === 'payment_intent.created')
    .map((e) => (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id);
  for (const order of body.payment_orders) {
    expect(created.filter((id) => id === order.payment_order_id)).toHaveLength(1);
  }
}

async function storedOf(checkoutId: string) {
  const items = await scanAll(api.runtime.names.tables.payments as string);
  return {
    checkouts: items.filter((i) => i.pk === `CHECKOUT#${checkoutId}`),
    orders: items.filter(
      (i) => i.sk === 'META' && i.checkout_id === checkoutId && String(i.pk).startsWith('ORDER#'),
    ),
  };
}

const replayed = (r: ApiResponse) => r.headers.get('idempotent-replayed') === 'true';

describe('Idempotency-Key', () => {
  it('replays the first answer, status and body byte for byte, marked Idempotent-Replayed', async () => {
    // Prepare
    const body = checkoutBody(2);
    const key = uid('key');

    // Act
    const first = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    const second = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });

    // Assess
    expect(first.status).toBe(201);
    expect(replayed(first)).toBe(false);
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe(true);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('content-type')).toBe('application/json');
  });

  it('refuses the same key with another body: 400 idempotency_error, and changes nothing', async () => {
    // Prepare
    const body = checkoutBody(1);
    const key = uid('key');
    await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    const other = checkoutBody(1);

    // Act
    const response = await postPayment(api.runtime, other, { headers: { 'Idempotency-Key': key } });

    // Assess
    expect(response.status).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'idempotency_error' });
    expect((await storedOf(other.checkout_id)).checkouts).toHaveLength(0);
    const again = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    expect(replayed(again)).toBe(true);
  });

  it('stores a client error of an executed request (409 checkout_conflict) and replays it', async () => {
    // Prepare
    const body = checkoutBody(1);
    await postPayment(api.runtime, body);
    const conflicting = { ...body, buyer_info: { buyer_id: uid('someone_else') } };
    const key = uid('key');

    // Act
    const first = await postPayment(api.runtime, conflicting, { headers: { 'Idempotency-Key': key } });
    const second = await postPayment(api.runtime, conflicting, { headers: { 'Idempotency-Key': key } });

    // Assess
    expect(first.status).toBe(409);
    expect(first.json.error.code).toBe('checkout_conflict');
    expect(second.status).toBe(409);
    expect(replayed(second)).toBe(true);
    expect(second.text).toBe(first.text);
  });

  it('does not store a refusal before execution: the same key then works with a valid body', async () => {
    // Prepare
    const body = checkoutBody(1);
    const key = uid('key');
    const invalid = { ...body, payment_orders: [{ ...body.payment_orders[0], amount: 10 }] };

    // Act
    const refused = await postPayment(api.runtime, invalid, { headers: { 'Idempotency-Key': key } });
    const accepted = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('amount_is_float');
    expect(accepted.status).toBe(201);
    expect(replayed(accepted)).toBe(false);
  });

  it('answers 409 request_in_progress while the first request runs, then replays its answer', async () => {
    // Prepare: the PSP holds the hosted-page registration until released.
    const { credit_card_info: _none, ...body } = checkoutBody(1);
    const key = uid('key');
    const fault = api.psp.control.addFault({ kind: 'hold', route: 'POST /v1/checkout/sessions', count: 1 });
    const first = postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    await api.psp.control.waitForHeld(1);

    // Act
    const sameKey = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });
    const otherKey = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': uid('key') } });
    const noKey = await postPayment(api.runtime, body);
    api.psp.control.releaseHeld();
    api.psp.control.removeFault(fault);
    const done = await first;
    const after = await postPayment(api.runtime, body, { headers: { 'Idempotency-Key': key } });

    // Assess
    for (const busy of [sameKey, otherKey, noKey]) {
      expect(busy.status).toBe(409);
      expect(busy.json.error.code).toBe('request_in_progress');
      expect(busy.headers.get('retry-after')).toBe('1');
    }
    expect(done.status).toBe(201);
    expect(after.status).toBe(201);
    expect(replayed(after)).toBe(true);
    expect(after.json.psp_token).toBe(done.json.psp_token);
    expect((await storedOf(body.checkout_id)).checkouts).toHaveLength(1);
  });
});

describe('100 concurrent duplicates', () => {
  async function hundred(body: unknown, headers: Record<string, string>) {
    return Promise.all(Array.from({ length: 100 }, () => postPayment(api.runtime, body, { headers })));
  }

  function assessAnswers(answers: ApiResponse[]) {
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 201 || s === 200 || s === 409)).toBe(true);
    for (const busy of answers.filter((a) => a.status === 409)) {
      expect(busy.json.error.code).toBe('request_in_progress');
    }
    // Exactly one request executed and created the checkout; any other 201 is its replay.
    expect(answers.filter((a) => a.status === 201 && !replayed(a))).toHaveLength(1);
  }

  it('with one Idempotency-Key: one checkout, every answer 201 (or its replay) or 409 request_in_progress', async () => {
    // Prepare
    const body = checkoutBody(3);
    const key = uid('key');

    // Act
    const answers = await hundred(body, { 'Idempotency-Key': key });

    // Assess
    assessAnswers(answers);
    expect(answers.filter((a) => a.status === 200)).toEqual([]);
    const created = answers.find((a) => a.status === 201 && !replayed(a));
    for (const replay of answers.filter(replayed)) expect(replay.text).toBe(created?.text);
    const stored = await storedOf(body.checkout_id);
    expect(stored.checkouts).toHaveLength(1);
    expect(stored.orders).toHaveLength(3);
    await expectOneChargePerOrder(body);
  });

  it('with no key but one checkout_id: one checkout, every answer 201, 200 or 409 request_in_progress', async () => {
    // Prepare
    const body = checkoutBody(3);

    // Act
    const answers = await hundred(body, {});

    // Assess
    assessAnswers(answers);
    for (const ok of answers.filter((a) => a.status === 200))
      expect(ok.json.checkout_id).toBe(body.checkout_id);
    const stored = await storedOf(body.checkout_id);
    expect(stored.checkouts).toHaveLength(1);
    expect(stored.orders).toHaveLength(3);
    await expectOneChargePerOrder(body);
  });
});
