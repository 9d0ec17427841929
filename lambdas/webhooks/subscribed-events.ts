/**
 * The PSP event types our webhook endpoint subscribes to: exactly the ones the consumer acts on
 * (lambdas/webhooks/apply.ts and the refunds and pay-out modules it hands events to). One list for the local
 * simulator's endpoint, the deploy guide and the stack's `WebhookEnabledEvents` output, so the endpoint
 * registered at Stripe gets nothing we would only store and drop: every event costs an API Gateway request, two
 * function invocations, a queue message and an inbox write.
 * Stripe's `enabled_events` takes exact types (or `*`), so the list is explicit.
 */
export const PAYMENT_INTENT_EVENT_TYPES = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.canceled',
] as const;

export const CHECKOUT_SESSION_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
] as const;

/** Refunds (ours and those made in the dashboard) and disputes: lambdas/refunds/events.ts. */
export const MONEY_BACK_EVENT_TYPES = [
  'refund.created',
  'refund.updated',
  'refund.failed',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
  'charge.dispute.closed',
] as const;

/** Connect bank payouts' outcomes: lambdas/payouts/events.ts. */
export const PAYOUT_EVENT_TYPES = ['payout.paid', 'payout.failed', 'payout.canceled'] as const;

export const SUBSCRIBED_EVENT_TYPES: readonly string[] = [
  ...PAYMENT_INTENT_EVENT_TYPES,
  ...CHECKOUT_SESSION_EVENT_TYPES,
  ...MONEY_BACK_EVENT_TYPES,
  ...PAYOUT_EVENT_TYPES,
];
