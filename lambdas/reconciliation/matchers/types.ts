/**
 * The contract of a category matcher: which of our records a row needs (loaded in bulk for a whole batch of
 * rows before any is classified), and the row's class given those records. One module per reporting
 * category; a new category (or a richer one, when refunds, disputes and pay-outs keep their own records) is a
 * new module registered in index.ts.
 */
import type { Checkout, PaymentOrder } from '../../payments/model';
import type { BreakClass, SettlementRow } from '../model';

export interface RecordNeeds {
  orders: Set<string>;
  checkouts: Set<string>;
}

export interface LoadedRecords {
  readonly orders: ReadonlyMap<string, PaymentOrder>;
  readonly checkouts: ReadonlyMap<string, Checkout>;
}

export interface MatchPolicy {
  /** The fee we agreed with the PSP for a charge of `gross` (minor units), or undefined when not checked. */
  expectedChargeFee(gross: bigint, currency: string): bigint | undefined;
}

export const Repair = {
  /** The PSP settled the payment of orders we hold as not done: drive them to SUCCESS. */
  RecordSuccess: 'record_success',
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
