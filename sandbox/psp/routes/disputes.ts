/** `/v1/disputes`: retrieve and list the disputes the control API opened (read-only here, as we need it). */
import { LIST_PARAMS, listOptions, type Route, route } from '../router';

export const disputeRoutes: Route[] = [
  route('GET', '/v1/disputes', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'payment_intent', 'charge']);
    const pi = params.string('payment_intent');
    const charge = params.string('charge');
    return engine.store.disputes.list(
      '/v1/disputes',
      listOptions(params),
      (d) => (!pi || d.payment_intent === pi) && (!charge || d.charge === charge),
    );
  }),
  route('GET', '/v1/disputes/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.disputes.get(path.id ?? '', 'dispute');
  }),
];
