/**
 * Transfers to sellers' connected accounts (`transfer`: a seller's payout, Stripe Connect) and their
 * reversals (`transfer_reversal`). A transfer is matched by our payout id (`transfer_metadata[payout_id]`,
 * the same as its transfer_group) against the payouts table: the payout must name this transfer (or name
 * none yet), be in the row's currency, for its amount, and be one the provider has (SUBMITTED, PAID,
 * RETURNED; or FAILED with this transfer recorded: its recovery reversal brings the money back). The PSP
 * moving money for a payout we hold as CREATED, or FAILED with no transfer, is a status mismatch.
 *
 * A reversal is either a refund's claw-back from a paid-out seller (our `transfer_reversal:{trr}` posting,
 * read by id), matched on that posting's amount, or the recovery of a failed payout's transfer, matched
 * against the FAILED payout's amount.
 *
 * Settlement: a payout's transfer posts nothing here (its `payout:{id}:paid` posting already took it from
 * platform cash; a recovered one never reached cash); a claw-back moves the PSP receivable our reversal
 * posting opened to cash (cash + net, receivable - net).
 */
import { Accounts } from '../../ledger';
import type { Payout } from '../../payouts/model';
import type { SettlementRow } from '../model';
import { type CategoryMatcher, currencyAndGrossVerdict, type LoadedRecords, type Verdict } from './types';

const reversalTx = (row: SettlementRow) => `transfer_reversal:${row.sourceId}`;

function withPayout(row: SettlementRow, loaded: LoadedRecords): { payout?: Payout; base: Partial<Verdict> } {
  const id = row.transferPayoutId;
  const payout = id ? loaded.payouts.get(id) : undefined;
  return { ...(payout ? { payout } : {}), base: id ? { record: `payout ${id}` } : {} };
}

export const transferMatcher: CategoryMatcher = {
  categories: ['transfer'],
  needs(row, needs) {
    if (row.transferPayoutId) needs.payouts.add(row.transferPayoutId);
  },
  classify(row, loaded): Verdict {
    const { payout, base } = withPayout(row, loaded);
    if (!row.transferPayoutId) {
      return {
        class: 'missing_internally',
        detail: `transfer ${row.sourceId} carries no payout_id metadata: not one of our payouts`,
      };
    }
    if (!payout) {
      return {
        ...base,
        class: 'missing_internally',
        detail: `the PSP settled transfer ${row.sourceId} for payout ${row.transferPayoutId}, which we do not hold`,
      };
    }
    if (payout.provider_reference && payout.provider_reference !== row.sourceId) {
      // A second transfer for one payout: the seller may have been paid twice.
      return {
        ...base,
        class: 'missing_internally',
        detail: `payout ${payout.payout_id} is recorded with transfer ${payout.provider_reference}; the PSP settled another transfer ${row.sourceId}`,
        expected: { provider_reference: payout.provider_reference },
        actual: { provider_reference: row.sourceId },
      };
    }
    const differs = currencyAndGrossVerdict(base, 'transfer', row, {
      currency: payout.currency,
      gross: -BigInt(payout.amount),
    });
    if (differs) return differs;
    const noTransferYet =
      payout.status === 'CREATED' || (payout.status === 'FAILED' && !payout.provider_reference);
    if (noTransferYet) {
      return {
        ...base,
        class: 'status_mismatch',
        detail: `the PSP settled transfer ${row.sourceId}; we hold payout ${payout.payout_id} as ${payout.status}${payout.provider_reference ? '' : ' with no transfer'}`,
        expected: { status: 'SUBMITTED' },
        actual: { status: payout.status },
      };
    }
    if (row.fee !== 0n) {
      return {
        ...base,
        class: 'fee_mismatch',
        detail: `the PSP took a fee of ${row.fee} on transfer ${row.sourceId}; transfers carry none`,
        expected: { fee: '0' },
        actual: { fee: row.fee.toString() },
      };
    }
    return { ...base, class: 'matched', detail: '' };
  },
};

export const transferReversalMatcher: CategoryMatcher = {
  categories: ['transfer_reversal'],
  needs(row, needs) {
    needs.transactions.add(reversalTx(row));
    if (row.transferPayoutId) needs.payouts.add(row.transferPayoutId);
  },
  classify(row, loaded): Verdict {
    const { payout, base } = withPayout(row, loaded);
    const posted = loaded.transactions.get(reversalTx(row));
    if (posted) {
      // A refund's claw-back: what our posting put back on PSP receivable.
      const entries = posted.entries.filter((e) => e.account === Accounts.pspReceivable);
      const currency = entries[0]?.amount.currency;
      const amount = entries.reduce((s, e) => s + e.amount.minor, 0n);
      const refund = posted.refs.refundId;
      const claw = {
        ...base,
        ...(refund ? { record: `refund ${refund}` } : {}),
        postings: [posted.id],
      };
      if (currency !== row.currency) {
        return {
          ...claw,
          class: 'currency_mismatch',
          detail: `transfer reversal settled in ${row.currency}, posted in ${currency}`,
          expected: { currency: String(currency) },
          actual: { currency: row.currency },
        };
      }
      if (amount !== row.gross || row.fee !== 0n) {
        return {
          ...claw,
          class: amount !== row.gross ? 'amount_mismatch' : 'fee_mismatch',
          detail: `transfer reversal ${row.sourceId} settled ${row.gross} (fee ${row.fee}); we posted ${amount} (minor units)`,
          expected: { gross: amount.toString(), fee: '0' },
          actual: { gross: row.gross.toString(), fee: row.fee.toString() },
        };
      }
      return {
        ...claw,
        class: 'matched',
        detail: '',
        settlement: { cash: row.net, fees: 0n, receivable: -row.net },
      };
    }
    if (!payout) {
      return {
        ...base,
        class: 'missing_internally',
        detail: `the PSP settled transfer reversal ${row.sourceId}${row.transferPayoutId ? ` for payout ${row.transferPayoutId}` : ''}, which we neither posted nor hold a failed payout for`,
      };
    }
    if (payout.currency !== row.currency) {
      return {
        ...base,
        class: 'currency_mismatch',
        detail: `transfer reversal settled in ${row.currency}, payout recorded in ${payout.currency}`,
        expected: { currency: payout.currency },
        actual: { currency: row.currency },
      };
    }
    if (payout.status !== 'FAILED') {
      return {
        ...base,
        class: 'status_mismatch',
        detail: `the PSP reversed payout ${payout.payout_id}'s transfer (${row.sourceId}); we hold it as ${payout.status} and posted no reversal`,
        expected: { status: 'FAILED' },
        actual: { status: payout.status },
      };
    }
    if (row.gross !== BigInt(payout.amount) || row.fee !== 0n) {
      return {
        ...base,
        class: row.gross !== BigInt(payout.amount) ? 'amount_mismatch' : 'fee_mismatch',
        detail: `the failed payout's transfer came back as ${row.gross} (fee ${row.fee}); the payout was ${payout.amount} (minor units)`,
        expected: { gross: String(payout.amount), fee: '0' },
        actual: { gross: row.gross.toString(), fee: row.fee.toString() },
      };
    }
    // The recovery of a failed payout: the money is the platform's again; the payout never reached cash.
    return { ...base, class: 'matched', detail: '' };
  },
};
