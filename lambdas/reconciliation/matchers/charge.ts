/**
 * Charges: a card-mode payment is one PaymentIntent per order (metadata payment_order_id); a hosted-page
 * payment is one PaymentIntent per checkout (metadata checkout_id) covering all its orders. The row matches
 * when the PaymentIntent is the one we recorded, the currency and amount are ours, the PSP's fee is the
 * agreed one and every order it pays is SUCCESS. What differs is the row's class, checked in that order.
 */
import type { PaymentOrder } from '../../payments/model';
import type { SettlementRow } from '../model';
import type { CategoryMatcher, LoadedRecords, MatchPolicy, Verdict } from './types';

function ordersOf(row: SettlementRow, loaded: LoadedRecords): { orders: PaymentOrder[]; missing: string[] } {
  const ids = row.paymentOrderId
    ? [row.paymentOrderId]
    : row.checkoutId
      ? [...(loaded.checkouts.get(row.checkoutId)?.order_ids ?? [])]
      : [];
  const orders: PaymentOrder[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const order = loaded.orders.get(id);
    if (order) orders.push(order);
    else missing.push(id);
  }
  return { orders, missing };
}

export const chargeMatcher: CategoryMatcher = {
  categories: ['charge'],
  needs(row, needs) {
    if (row.paymentOrderId) needs.orders.add(row.paymentOrderId);
    else if (row.checkoutId) needs.checkouts.add(row.checkoutId);
  },
  moreNeeds(row, loaded, needs) {
    if (row.paymentOrderId || !row.checkoutId) return;
    for (const id of loaded.checkouts.get(row.checkoutId)?.order_ids ?? []) needs.orders.add(id);
  },
  classify(row, loaded, policy: MatchPolicy): Verdict {
    const pi = row.paymentIntentId ?? row.sourceId;
    if (!row.paymentOrderId && !row.checkoutId) {
      return {
        class: 'missing_internally',
        detail: `charge ${pi} carries neither payment_order_id nor checkout_id metadata: not ours to match`,
      };
    }
    const { orders, missing } = ordersOf(row, loaded);
    const checkout = row.checkoutId ? loaded.checkouts.get(row.checkoutId) : undefined;
    const checkoutId = orders[0]?.checkout_id ?? row.checkoutId;
    const base = {
      orderIds: orders.map((o) => o.payment_order_id),
      ...(checkoutId ? { checkoutId } : {}),
    };
    if (orders.length === 0 || missing.length > 0) {
      const what = row.paymentOrderId ? `order ${row.paymentOrderId}` : `checkout ${row.checkoutId}`;
      return {
        ...base,
        class: 'missing_internally',
        detail: `the PSP settled ${pi} for ${what}, which we do not hold${missing.length && orders.length ? ` (orders ${missing.join(', ')} missing)` : ''}`,
      };
    }
    const foreign = orders.find((o) => o.psp_reference && row.paymentIntentId && o.psp_reference !== pi);
    if (foreign) {
      // A second PaymentIntent for an order: a possible double charge, never matched silently.
      return {
        ...base,
        class: 'missing_internally',
        detail: `order ${foreign.payment_order_id} is recorded with ${foreign.psp_reference}; the PSP settled another payment ${pi}`,
        expected: { psp_reference: foreign.psp_reference ?? '' },
        actual: { psp_reference: pi },
      };
    }
    const currency = orders[0]?.currency;
    if (orders.some((o) => o.currency !== row.currency)) {
      return {
        ...base,
        class: 'currency_mismatch',
        detail: `settled in ${row.currency}, recorded in ${currency}`,
        expected: { currency: String(currency) },
        actual: { currency: row.currency },
      };
    }
    const expectedGross =
      checkout && !row.paymentOrderId
        ? BigInt(checkout.total_minor)
        : orders.reduce((s, o) => s + BigInt(o.amount_minor), 0n);
    if (row.gross !== expectedGross) {
      return {
        ...base,
        class: 'amount_mismatch',
        detail: `settled ${row.gross}, recorded ${expectedGross} (minor units)`,
        expected: { gross: expectedGross.toString() },
        actual: { gross: row.gross.toString() },
      };
    }
    const notDone = orders.filter((o) => o.status !== 'SUCCESS');
    if (notDone.length > 0) {
      const failed = notDone.filter((o) => o.status === 'FAILED');
      return {
        ...base,
        class: 'status_mismatch',
        detail: `the PSP settled ${pi}; we hold ${notDone.map((o) => `${o.payment_order_id} as ${o.status}`).join(', ')}`,
        expected: { status: 'SUCCESS' },
        actual: { status: [...new Set(notDone.map((o) => o.status))].join(',') },
        // A FAILED order is terminal: money captured for it goes to a person, never a silent flip.
        ...(failed.length === 0 ? { repair: 'record_success' as const } : {}),
      };
    }
    const fee = policy.expectedChargeFee(row.gross, row.currency);
    if (fee !== undefined && fee !== row.fee) {
      return {
        ...base,
        class: 'fee_mismatch',
        detail: `the PSP took a fee of ${row.fee}, the agreed fee is ${fee} (minor units)`,
        expected: { fee: fee.toString() },
        actual: { fee: row.fee.toString() },
      };
    }
    return {
      ...base,
      class: 'matched',
      detail: '',
      settlement: { cash: row.net, fees: row.fee, receivable: -row.gross },
    };
  },
};
