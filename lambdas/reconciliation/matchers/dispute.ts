/**
 * Disputes (`dispute`: the network withdrew the disputed amount and the PSP its dispute fee;
 * `dispute_reversal`: a won dispute's amount reinstated, with the fee when the PSP returns it). Matched by the
 * PSP's dispute id, under which we record every dispute. The row matches when the record is in its currency,
 * for its amount (negative withdrawn, positive reinstated), with the fee we posted (the withdrawal's; the
 * reversal's is none or that fee given back), and when we posted the money step the row is
 * (funds_withdrawn, funds_reinstated): the PSP moving money for a dispute we hold no such step for is a
 * status mismatch.
 *
 * Settlement: platform cash + net against PSP receivable - net. Our withdrawal posting already took amount
 * and fee off PSP receivable (the fee to PSP fees), the reinstatement put them back: the payout only moves
 * that balance to cash.
 */
import type { DisputeRecord } from '../../refunds/model';
import { type CategoryMatcher, currencyAndGrossVerdict, type Verdict } from './types';

export const disputeMatcher: CategoryMatcher = {
  categories: ['dispute', 'dispute_reversal'],
  needs(row, needs) {
    needs.disputes.add(row.sourceId);
  },
  classify(row, loaded): Verdict {
    const reversal = row.category === 'dispute_reversal';
    const what = reversal ? 'dispute reversal' : 'dispute withdrawal';
    const record: DisputeRecord | undefined = loaded.disputes.get(row.sourceId);
    const orderId = record?.payment_order_id ?? row.paymentOrderId;
    const step = reversal ? 'funds_reinstated' : 'funds_withdrawn';
    const base = {
      record: `dispute ${row.sourceId}`,
      ...(orderId ? { paymentOrderId: orderId } : {}),
      // The step's row is in the file, whatever its class: not "missing in the file".
      ...(record ? { postings: [`dispute:${record.dispute_id}:${step}`] } : {}),
    };
    if (!record) {
      return {
        ...base,
        class: 'missing_internally',
        detail: `the PSP settled a ${what} for ${row.sourceId}, a dispute we do not hold`,
        // Its events never reached us: recorded and posted as the webhook would.
        repair: 'apply_psp_dispute',
      };
    }
    const differs = currencyAndGrossVerdict(base, what, row, {
      currency: record.currency,
      gross: reversal ? BigInt(record.amount_minor) : -BigInt(record.amount_minor),
    });
    if (differs) return differs;
    if (!record.steps.includes(step)) {
      return {
        ...base,
        class: 'status_mismatch',
        detail: `the PSP settled a ${what} for ${row.sourceId}; we hold the dispute as ${record.status} without ${step}`,
        expected: { step },
        actual: { status: record.status, steps: record.steps.join(',') },
        repair: 'apply_psp_dispute',
      };
    }
    const fee = BigInt(record.fee_minor);
    const feeOk = reversal ? row.fee === 0n || row.fee === -fee : row.fee === fee;
    if (!feeOk) {
      return {
        ...base,
        class: 'fee_mismatch',
        detail: `the PSP took a fee of ${row.fee} on the ${what}; we posted a dispute fee of ${fee} (minor units)`,
        expected: { fee: (reversal ? -fee : fee).toString() },
        actual: { fee: row.fee.toString() },
      };
    }
    return {
      ...base,
      class: 'matched',
      detail: '',
      settlement: { cash: row.net, fees: 0n, receivable: -row.net },
    };
  },
};
