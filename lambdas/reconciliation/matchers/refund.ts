/**
 * Refunds (`refund`: the PSP paid a buyer back out of our balance; `refund_failure`: the buyer's bank sent it
 * back). Matched by our refund id (`refund_metadata[refund_id]`, which our API sets on every refund it asks
 * for) or, for a refund made in the PSP's dashboard, by the PSP's id we recorded it under. The row matches
 * when the record is that PSP refund, in its currency, for its amount (negative for a refund, positive for
 * its failure), with no fee, and in a status that has moved the money: a refund row needs a refund the PSP
 * took (succeeded, or failed later: its failure row gives it back); a failure row needs a failed refund.
 *
 * Settlement: like a charge, platform cash + net against PSP receivable - gross: our `refund:{id}:succeeded`
 * posting took the amount off PSP receivable; the payout now nets it out of the money paid in.
 */
import type { RefundRecord } from '../../refunds/model';
import type { SettlementRow } from '../model';
import { type CategoryMatcher, currencyAndGrossVerdict, type Verdict } from './types';

const refundIdOf = (row: SettlementRow) => row.refundId ?? row.sourceId;

/** Statuses in which the PSP took the refund's amount from our balance. */
const TOOK_MONEY: ReadonlySet<string> = new Set(['succeeded', 'failed']);

export const refundMatcher: CategoryMatcher = {
  categories: ['refund', 'refund_failure'],
  needs(row, needs) {
    needs.refunds.add(refundIdOf(row));
  },
  classify(row, loaded): Verdict {
    const id = refundIdOf(row);
    const failure = row.category === 'refund_failure';
    const what = failure ? 'failed refund' : 'refund';
    const record: RefundRecord | undefined = loaded.refunds.get(id);
    const orderId = record?.payment_order_id ?? row.paymentOrderId;
    const base = {
      record: `refund ${id}`,
      ...(orderId ? { paymentOrderId: orderId } : {}),
      // The refund's row is in the file, whatever its class: not "missing in the file".
      ...(record && !failure ? { postings: [`refund:${record.refund_id}:requested`] } : {}),
    };
    if (!record) {
      return {
        record: `refund ${id}`,
        ...(orderId ? { paymentOrderId: orderId } : {}),
        class: 'missing_internally',
        detail: `the PSP settled a ${what} ${row.sourceId}${row.refundId ? ` (our refund ${row.refundId})` : ''} that we do not hold`,
        // A refund made in the PSP's dashboard whose events never reached us: recorded as the webhook would.
        // One that names our id yet is not stored is data lost: a person.
        ...(row.refundId ? {} : { repair: 'apply_psp_refund' as const }),
      };
    }
    if (record.psp_refund_id && record.psp_refund_id !== row.sourceId) {
      // A second PSP refund for one of ours: the buyer may have been paid back twice.
      return {
        ...base,
        // Not our refund's row: ours may still be missing.
        postings: [],
        class: 'missing_internally',
        detail: `refund ${id} is recorded with ${record.psp_refund_id}; the PSP settled another refund ${row.sourceId}`,
        expected: { psp_refund_id: record.psp_refund_id },
        actual: { psp_refund_id: row.sourceId },
      };
    }
    const differs = currencyAndGrossVerdict(base, what, row, {
      currency: record.currency,
      gross: failure ? BigInt(record.amount_minor) : -BigInt(record.amount_minor),
    });
    if (differs) return differs;
    const statusOk = failure ? record.status === 'failed' : TOOK_MONEY.has(record.status);
    if (!statusOk) {
      return {
        ...base,
        class: 'status_mismatch',
        detail: `the PSP settled ${what} ${row.sourceId}; we hold refund ${id} as ${record.status}`,
        expected: { status: failure ? 'failed' : 'succeeded' },
        actual: { status: record.status },
        repair: 'apply_psp_refund',
      };
    }
    if (row.fee !== 0n) {
      return {
        ...base,
        class: 'fee_mismatch',
        detail: `the PSP took a fee of ${row.fee} on ${what} ${row.sourceId}; refunds carry none`,
        expected: { fee: '0' },
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
