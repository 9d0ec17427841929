/**
 * A checkout closes when its last order ends, even when the invocation that ended it died before closing it:
 * the payments table's stream, filtered to ended orders, asks the closer (lambdas/payments/checkout-closer.ts).
 * A 10,000-checkout chaos run left one checkout open this way: a sweep moved its orders and died before the
 * close, and no later sweep came back to an order no longer due.
 */
import { describe, expect, it } from 'vitest';
import { itemChange } from '../../../lambdas/events';
import { getCheckout, type PaymentsContext, transitionOrder } from '../../../lambdas/payments';
import { closeCheckoutOfEndedOrder } from '../../../lambdas/payments/checkout-closer';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import type { LocalSystem } from '../../../sandbox/local-system';
import { submitTestCheckout, usePayinSystem } from '../../support/payin';
import { eventually } from '../../support/runtime';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
usePayinSystem((s) => {
  ({ system, ctx, psp } = s);
});

/** Ends an order the way a mover does, and stops there: no close, as when the mover dies right after. */
async function endWithoutClosing(orderId: string): Promise<void> {
  await transitionOrder(ctx, orderId, { to: 'EXECUTING', actor: 'sweeper', reason: 'test: charging' });
  await transitionOrder(ctx, orderId, {
    to: 'FAILED',
    actor: 'sweeper',
    reason: 'test: declined',
    set: { failure_code: 'card_declined' },
  });
}

describe('closing a checkout from the stream', () => {
  it('closes the checkout whose last order ended without a close, and not before its last order ends', async () => {
    // Prepare: two orders, no workflow (nothing else would ever close it).
    const { checkout, orders } = await submitTestCheckout(system, ctx, psp, {
      label: 'unclosed',
      orders: [
        { seller: 'seller_unclosed_a', amount: '5.00' },
        { seller: 'seller_unclosed_b', amount: '6.00' },
      ],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const [first, second] = orders.map((o) => o.payment_order_id);
    if (!first || !second) throw new Error('two orders expected');

    // Act: the first ends; the closer, asked about it directly, finds an order still open.
    await endWithoutClosing(first);
    const afterFirst = await closeCheckoutOfEndedOrder(ctx, {
      pk: `ORDER#${first}`,
      sk: 'META',
      eventName: 'MODIFY',
      oldImage: { status: 'EXECUTING', checkout_id: checkout.checkout_id },
      newImage: { status: 'FAILED', checkout_id: checkout.checkout_id },
    });
    await endWithoutClosing(second);

    // Assess: the stream's consumer closes it, with the counts.
    expect(afterFirst).toBe('open');
    const closed = await eventually(async () => {
      const now = await getCheckout(ctx, checkout.checkout_id);
      return now?.is_payment_done ? now : undefined;
    }, 20_000);
    expect(closed).toMatchObject({ is_payment_done: true, succeeded_count: 0, failed_count: 2 });
  });

  it('answers not_an_end for later writes of an ended order, and already_closed once closed', async () => {
    // Prepare
    const { checkout, orders } = await submitTestCheckout(system, ctx, psp, {
      label: 'closedonce',
      orders: [{ seller: 'seller_closedonce', amount: '4.00' }],
      paymentMethod: 'pm_card_visa',
      startWorkflow: false,
    });
    const orderId = orders[0]?.payment_order_id ?? '';
    await endWithoutClosing(orderId);
    await eventually(
      async () => (await getCheckout(ctx, checkout.checkout_id))?.is_payment_done || undefined,
    );
    const change = (before: string) =>
      itemChange({
        eventName: 'MODIFY',
        dynamodb: {
          Keys: { pk: { S: `ORDER#${orderId}` }, sk: { S: 'META' } },
          OldImage: { status: { S: before }, checkout_id: { S: checkout.checkout_id } },
          NewImage: { status: { S: 'FAILED' }, checkout_id: { S: checkout.checkout_id } },
        },
      });

    // Act
    const refundWrite = await closeCheckoutOfEndedOrder(ctx, change('FAILED'));
    const replayed = await closeCheckoutOfEndedOrder(ctx, change('EXECUTING'));

    // Assess
    expect(refundWrite).toBe('not_an_end');
    expect(replayed).toBe('already_closed');
  });
});
