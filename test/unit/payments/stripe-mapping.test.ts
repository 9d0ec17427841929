import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { toPspPayment } from '../../../lambdas/psp/stripe-provider';

function intent(fields: Partial<Stripe.PaymentIntent>): Stripe.PaymentIntent {
  return {
    id: 'pi_1',
    object: 'payment_intent',
    amount: 1234,
    currency: 'usd',
    metadata: { payment_order_id: 'po_1', checkout_id: 'co_1' },
    status: 'succeeded',
    last_payment_error: null,
    cancellation_reason: null,
    ...fields,
  } as Stripe.PaymentIntent;
}

describe("Stripe's PaymentIntent statuses map onto our closed set", () => {
  it('succeeded -> succeeded, with our ids and the amount in minor units', () => {
    expect(toPspPayment(intent({}))).toEqual({
      pspPaymentId: 'pi_1',
      status: 'succeeded',
      amount: { currency: 'USD', minor: 1234n },
      paymentOrderId: 'po_1',
      checkoutId: 'co_1',
    });
  });

  it('requires_payment_method after an attempt -> failed with the decline code', () => {
    const failed = toPspPayment(
      intent({
        status: 'requires_payment_method',
        last_payment_error: {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'insufficient_funds',
          message: 'no',
        },
      }),
    );
    expect(failed).toMatchObject({
      status: 'failed',
      failureCode: 'insufficient_funds',
      failureMessage: 'no',
    });
  });

  it('requires_payment_method before any attempt -> still pending', () => {
    expect(toPspPayment(intent({ status: 'requires_payment_method' }))).toMatchObject({ status: 'pending' });
  });

  it.each(['requires_action', 'processing', 'requires_confirmation', 'requires_capture'] as const)(
    '%s -> pending with that reason',
    (status) => {
      expect(toPspPayment(intent({ status }))).toMatchObject({ status: 'pending', pendingReason: status });
    },
  );

  it('canceled -> canceled; an unknown status -> pending, never success', () => {
    expect(toPspPayment(intent({ status: 'canceled', cancellation_reason: 'abandoned' }))).toMatchObject({
      status: 'canceled',
      failureCode: 'abandoned',
    });
    expect(toPspPayment(intent({ status: 'something_new' as Stripe.PaymentIntent.Status }))).toMatchObject({
      status: 'pending',
    });
  });
});
