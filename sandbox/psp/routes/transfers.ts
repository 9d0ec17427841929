/**
 * `/v1/transfers` (Stripe Connect pay-outs to `acct_...`) and their reversals. Destinations in async mode
 * (`acct_async...`, or configured through the control API) answer later by webhook: `transfer.paid` or
 * `transfer.failed`.
 */
import { invalidRequest } from '../errors';
import { LIST_PARAMS, listOptions, type Route, route } from '../router';
import { readCurrency } from './payment-intents';

export const transferRoutes: Route[] = [
  route('POST', '/v1/transfers', ({ params, engine, request }) => {
    params.allowOnly([
      'amount',
      'currency',
      'destination',
      'transfer_group',
      'metadata',
      'description',
      'source_transaction',
      'source_type',
      'expand',
    ]);
    const currency = readCurrency(params);
    const amount = params.requiredInteger('amount');
    if (amount <= 0) throw invalidRequest('Amount must be a positive integer.', { param: 'amount' });
    return engine.createTransfer(
      {
        amount,
        currency,
        destination: params.requiredString('destination'),
        transferGroup: params.nullableString('transfer_group') ?? null,
        description: params.nullableString('description') ?? null,
        metadata: params.metadata(),
        sourceTransaction: params.string('source_transaction') ?? null,
      },
      request,
    );
  }),
  route('GET', '/v1/transfers', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'destination', 'transfer_group']);
    const destination = params.string('destination');
    const group = params.string('transfer_group');
    return engine.store.transfers.list(
      '/v1/transfers',
      listOptions(params),
      (t) => (!destination || t.destination === destination) && (!group || t.transfer_group === group),
    );
  }),
  route('GET', '/v1/transfers/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.transfers.get(path.id ?? '', 'transfer');
  }),
  route('POST', '/v1/transfers/:id/reversals', ({ params, engine, path, request }) => {
    params.allowOnly(['amount', 'metadata', 'description', 'refund_application_fee', 'expand']);
    const transfer = engine.store.transfers.get(path.id ?? '', 'id');
    return engine.reverseTransfer(
      transfer,
      {
        amount: params.integer('amount'),
        metadata: params.metadata(),
        description: params.string('description') ?? null,
      },
      request,
    );
  }),
  route('GET', '/v1/transfers/:id/reversals', ({ params, engine, path }) => {
    params.allowOnly([...LIST_PARAMS]);
    const transfer = engine.store.transfers.get(path.id ?? '', 'id');
    return engine.store.reversals.list(
      `/v1/transfers/${transfer.id}/reversals`,
      listOptions(params),
      (r) => r.transfer === transfer.id,
    );
  }),
];
