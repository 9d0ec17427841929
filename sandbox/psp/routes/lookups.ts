/**
 * Read-only endpoints: events (retrieve, list with `type` / `types[]`), charges, payment methods, balance
 * transactions (`payout=` lists what an automatic payout paid out: automatic-payouts.ts).
 */
import { listPayoutTransactions } from '../automatic-payouts';
import { LIST_PARAMS, listOptions, type Route, route } from '../router';

function typeMatches(pattern: string, type: string): boolean {
  return pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type;
}

export const lookupRoutes: Route[] = [
  route('GET', '/v1/events/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.events.get(path.id ?? '', 'id');
  }),
  route('GET', '/v1/events', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'type', 'types', 'delivery_success']);
    const type = params.string('type');
    const types = params.stringList('types');
    return engine.store.events.list(
      '/v1/events',
      listOptions(params),
      (e) => (!type || typeMatches(type, e.type)) && (!types || types.some((t) => typeMatches(t, e.type))),
    );
  }),
  route('GET', '/v1/charges/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.charges.get(path.id ?? '', 'charge');
  }),
  route('GET', '/v1/charges', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'payment_intent', 'transfer_group']);
    const pi = params.string('payment_intent');
    return engine.store.charges.list(
      '/v1/charges',
      listOptions(params),
      (c) => !pi || c.payment_intent === pi,
    );
  }),
  route('GET', '/v1/payment_methods/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.paymentMethods.get(path.id ?? '', 'payment_method');
  }),
  route('GET', '/v1/balance_transactions/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.balanceTransactions.get(path.id ?? '', 'id');
  }),
  route('GET', '/v1/balance_transactions', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'type', 'source', 'currency', 'payout']);
    const type = params.string('type');
    const source = params.string('source');
    const payout = params.string('payout');
    if (payout)
      return listPayoutTransactions(
        engine.store,
        payout,
        { ...listOptions(params), type },
        '/v1/balance_transactions',
      );
    return engine.store.balanceTransactions.list(
      '/v1/balance_transactions',
      listOptions(params),
      (t) => (!type || t.type === type) && (!source || t.source === source),
    );
  }),
];
