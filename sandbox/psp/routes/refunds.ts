/** `/v1/refunds`: full or partial refunds of a succeeded charge (by `payment_intent` or `charge`). */
import { invalidRequest } from '../errors';
import { LIST_PARAMS, listOptions, type Route, route } from '../router';

const REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

export const refundRoutes: Route[] = [
  route('POST', '/v1/refunds', ({ params, engine, request }) => {
    params.allowOnly([
      'payment_intent',
      'charge',
      'amount',
      'reason',
      'metadata',
      'expand',
      'instructions_email',
      'origin',
    ]);
    const reason = params.string('reason');
    if (reason !== undefined && !REASONS.includes(reason)) {
      throw invalidRequest(`Invalid reason: must be one of ${REASONS.join(', ')}`, { param: 'reason' });
    }
    return engine.createRefund(
      {
        charge: params.string('charge'),
        paymentIntent: params.string('payment_intent'),
        amount: params.integer('amount'),
        reason: reason ?? null,
        metadata: params.metadata(),
      },
      request,
    );
  }),
  route('GET', '/v1/refunds', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'payment_intent', 'charge']);
    const pi = params.string('payment_intent');
    const charge = params.string('charge');
    return engine.store.refunds.list(
      '/v1/refunds',
      listOptions(params),
      (r) => (!pi || r.payment_intent === pi) && (!charge || r.charge === charge),
    );
  }),
  route('GET', '/v1/refunds/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.refunds.get(path.id ?? '', 'refund');
  }),
];
