/**
 * EXTENSION POINT: refunds, disputes, transfers (pay-outs to sellers) and payout reversals. On this branch
 * we keep no records of them yet (they arrive with the refunds/disputes and pay-out work), so every such row
 * is, truthfully, money the PSP moved that we hold no record of: missing internally, handed to finance with
 * the order it belongs to when its charge is ours. When those records exist, each category gets its own
 * module here that loads them in bulk (needs) and compares amount, currency and status like charge.ts, and
 * this fallback keeps only the categories still without records.
 */
import type { CategoryMatcher, Verdict } from './types';

const WHAT: Record<string, string> = {
  refund: 'refund',
  refund_failure: 'failed refund',
  dispute: 'dispute',
  dispute_reversal: 'dispute reversal',
  transfer: 'transfer to a connected account',
  transfer_reversal: 'transfer reversal',
  payout_reversal: 'payout reversal',
};

export const notYetRecordedMatcher: CategoryMatcher = {
  categories: Object.keys(WHAT),
  needs(row, needs) {
    if (row.paymentOrderId) needs.orders.add(row.paymentOrderId);
  },
  classify(row, loaded): Verdict {
    const order = row.paymentOrderId ? loaded.orders.get(row.paymentOrderId) : undefined;
    return {
      class: 'missing_internally',
      detail: `${WHAT[row.category] ?? row.category} ${row.sourceId}: no ${row.category} record to match it against yet${order ? ` (order ${order.payment_order_id})` : ''}`,
      ...(order ? { orderIds: [], checkoutId: order.checkout_id } : {}),
    };
  },
};
