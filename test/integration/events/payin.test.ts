/**
 * The real system: a pay-in through the storefront API (real manifest, local runtime, PSP simulator) moves
 * money, and the analytics subscriber of `domain-events` receives exactly the events of that movement: each
 * order's success and the checkout's completion, with nothing of the buyer's details or payment method.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiFixture, checkoutBody, postPayment, startApi } from '../api/support';
import { Inbox } from './support';

let api: ApiFixture;
let inbox: Inbox;

beforeAll(async () => {
  api = await startApi();
  inbox = new Inbox(api.runtime.names.queues['domain-events-analytics']?.url ?? '');
});
afterAll(async () => {
  await api?.stop();
  inbox?.close();
});

it('publishes each order success and the checkout completion of a pay-in, once each', async () => {
  // Prepare
  const body = checkoutBody(2);

  // Act
  const created = await postPayment(api.runtime, body);
  // The checkout completes after its orders: once its event is here, theirs are too.
  const completion = await inbox.receiveUntil(
    (event) => event.type === 'checkout.completed' && event.data.checkout_id === body.checkout_id,
  );

  // Assess
  expect(created.status).toBe(201);
  expect(completion.event.data).toMatchObject({
    checkout_id: body.checkout_id,
    buyer_id: body.buyer_info.buyer_id,
    order_count: 2,
  });
  const orders = body.payment_orders.map((o) =>
    inbox.about(`ORDER#${o.payment_order_id}`).map((d) => [d.event.type, d.event.data]),
  );
  expect(orders).toEqual(
    body.payment_orders.map((o) => [
      [
        'payment_order.succeeded',
        expect.objectContaining({
          payment_order_id: o.payment_order_id,
          checkout_id: body.checkout_id,
          seller_account: o.seller_account,
          amount: '10.00',
          amount_minor: 1000,
          currency: 'USD',
        }),
      ],
    ]),
  );
  expect(inbox.delivered.map((d) => d.raw).join('\n')).not.toMatch(/buyer@example\.com|pm_card_visa/);
});
