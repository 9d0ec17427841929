/**
 * The contract of a category matcher: which of our records a row needs (loaded in bulk for a whole batch of
 * rows before any is classified), and the row's class given those records. One module per reporting
 * category (charge, refund, dispute, transfer, fee, payout, ...); a new category is a new module registered
 * in index.ts.
 */
import type { LedgerTransaction } from '../../ledger';
import type { Checkout, PaymentOrder } from '../../payments/model';
import type { Payout } from '../../payouts/model';
import type { DisputeRecord, RefundRecord } from '../../refunds/model';
import type { BreakClass, SettlementRow } from '../model';

export interface RecordNeeds {
  orders: Set<string>;
  checkouts: Set<string>;
  refunds: Set<string>;
  disputes: Set<string>;
  payouts: Set<string>;
  /** Ledger transactions by id (a transfer reversal's posting). */
  transactions: Set<string>;
}

export const noNeeds = (): RecordNeeds => ({
  orders: new Set(),
  checkouts: new Set(),
  refunds: new Set(),
  disputes: new Set(),
  payouts: new Set(),
  transactions: new Set(),
});

export interface LoadedRecords {
  readonly orders: ReadonlyMap<string, PaymentOrder>;
  readonly checkouts: ReadonlyMap<string, Checkout>;
  readonly refunds: ReadonlyMap<string, RefundRecord>;
  readonly disputes: ReadonlyMap<string, DisputeRecord>;
  readonly payouts: ReadonlyMap<string, Payout>;
  readonly transactions: ReadonlyMap<string, LedgerTransaction>;
}

export interface MatchPolicy {
  /** The fee we agreed with the PSP for a charge of `gross` (minor units), or undefined when not checked. */
  expectedChargeFee(gross: bigint, currency: string): bigint | undefined;
}

export const Repair = {
  /** The PSP settled the payment of orders we hold as not done: drive them to SUCCESS. */
  RecordSuccess: 'record_success',
  /** The PSP moved a refund's money we hold no (or an older) state of: apply the PSP's refund (the webhook's code). */
  ApplyPspRefund: 'apply_psp_refund',
  /** Likewise a dispute: apply the PSP's dispute (the webhook's code). */
  ApplyPspDispute: 'apply_psp_dispute',
} as const;
export type Repair = (typeof Repair)[keyof typeof Repair];

/** How a matched row moves the ledger when its payout settles (platform cash, PSP fees, PSP receivable). */
export interface Settlement {
  readonly cash: bigint;
  readonly fees: bigint;
  readonly receivable: bigint;
}

export interface Verdict {
  readonly class: BreakClass;
  readonly detail: string;
  /** Orders the row accounts for (seen in the file: not "missing in the file"). */
  readonly orderIds?: readonly string[];
  readonly checkoutId?: string;
  /** The order a money-back row belongs to (shown on its break; not "seen": its charge row still must be). */
  readonly paymentOrderId?: string;
  /** Our record the row was matched against: `refund rf_...`, `dispute dp_...`, `payout pout_...`. */
  readonly record?: string;
  /** Our ledger postings the row accounts for (not "missing in the file" for the day). */
  readonly postings?: readonly string[];
  readonly expected?: Readonly<Record<string, string>>;
  readonly actual?: Readonly<Record<string, string>>;
  readonly repair?: Repair;
  /** For matched rows: what the settlement posts. */
  readonly settlement?: Settlement;
  /** For a payout's own row: the payout's amount (positive, minor units). */
  readonly payoutTotal?: bigint;
}

export interface CategoryMatcher {
  readonly categories: readonly string[];
  needs(row: SettlementRow, needs: RecordNeeds): void;
  /** Called once the first round is loaded: records found through others (a checkout's orders). */
  moreNeeds?(row: SettlementRow, loaded: LoadedRecords, needs: RecordNeeds): void;
  classify(row: SettlementRow, loaded: LoadedRecords, policy: MatchPolicy): Verdict;
}

/**
 * The first two checks every recorded row gets: the currency, then the gross amount (minor units, signed as
 * the PSP's balance moves). Answers the break, or undefined when both agree.
 */
export function currencyAndGrossVerdict(
  base: Partial<Verdict>,
  what: string,
  row: { readonly currency: string; readonly gross: bigint },
  recorded: { readonly currency: string; readonly gross: bigint },
): Verdict | undefined {
  if (recorded.currency !== row.currency) {
    return {
      ...base,
      class: 'currency_mismatch',
      detail: `${what} settled in ${row.currency}, recorded in ${recorded.currency}`,
      expected: { currency: recorded.currency },
      actual: { currency: row.currency },
    };
  }
  if (row.gross !== recorded.gross) {
    return {
      ...base,
      class: 'amount_mismatch',
      detail: `${what} settled ${row.gross}, recorded ${recorded.gross} (minor units)`,
      expected: { gross: recorded.gross.toString() },
      actual: { gross: row.gross.toString() },
    };
  }
  return undefined;
}
