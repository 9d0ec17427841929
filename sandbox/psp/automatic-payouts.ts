/**
 * Automatic payouts: the simulator pays each day's balance transactions in one currency out in one payout
 * (`po_...`, stable per day and currency, effective the next day 00:00 UTC). This registry hands out those
 * ids (the settlement report names them in `automatic_payout_id`) and answers
 * `GET /v1/balance_transactions?payout=po_...` as Stripe does: the transactions the payout paid out, plus the
 * payout's own balance transaction (type `payout`, amount = minus the sum of their net), newest first.
 * A payout id the simulator never issued lists nothing.
 */
import { resourceMissing } from './errors';
import type { BalanceTransaction } from './objects';
import { newId } from './random';
import type { ListOptions, Store } from './store';

const DAY_S = 86_400;

export interface PayoutBalanceTransaction extends Omit<BalanceTransaction, 'reporting_category' | 'type'> {
  reporting_category: 'payout';
  type: 'payout';
}

class AutomaticPayouts {
  private readonly ids = new Map<string, string>();
  private readonly days = new Map<string, { date: string; currency: string }>();

  idFor(date: string, currency: string): string {
    const key = `${date}/${currency}`;
    let id = this.ids.get(key);
    if (!id) {
      id = newId('po');
      this.ids.set(key, id);
      this.days.set(id, { date, currency });
    }
    return id;
  }

  dayOf(payoutId: string): { date: string; currency: string } | undefined {
    return this.days.get(payoutId);
  }
}

const registries = new WeakMap<Store, AutomaticPayouts>();

export function automaticPayouts(store: Store): AutomaticPayouts {
  let registry = registries.get(store);
  if (!registry) {
    registry = new AutomaticPayouts();
    registries.set(store, registry);
  }
  return registry;
}

type Listed = BalanceTransaction | PayoutBalanceTransaction;

export function listPayoutTransactions(
  store: Store,
  payoutId: string,
  options: ListOptions & { type?: string | undefined },
  url: string,
): { object: 'list'; data: Listed[]; has_more: boolean; url: string } {
  const limit = options.limit ?? 10;
  const day = automaticPayouts(store).dayOf(payoutId);
  if (!day) return { object: 'list', data: [], has_more: false, url };
  const from = Date.parse(`${day.date}T00:00:00Z`) / 1000;
  const paid = store.balanceTransactions
    .all()
    .filter((t) => t.currency === day.currency && t.available_on >= from && t.available_on < from + DAY_S);
  const net = paid.reduce((s, t) => s + t.net, 0);
  const own: PayoutBalanceTransaction = {
    id: `txn_${payoutId.slice(3)}`,
    object: 'balance_transaction',
    amount: -net,
    available_on: from + DAY_S,
    created: from + DAY_S,
    currency: day.currency,
    description: 'STRIPE PAYOUT',
    exchange_rate: null,
    fee: 0,
    fee_details: [],
    net: -net,
    reporting_category: 'payout',
    source: payoutId,
    status: 'available',
    type: 'payout',
  };
  let items: Listed[] = [own, ...[...paid].reverse()].filter((t) => !options.type || t.type === options.type);
  if (options.startingAfter) {
    const index = items.findIndex((i) => i.id === options.startingAfter);
    if (index < 0) throw resourceMissing('balance_transaction', options.startingAfter, 'starting_after');
    items = items.slice(index + 1);
  }
  return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
}
