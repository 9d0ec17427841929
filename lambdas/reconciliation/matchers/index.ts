/** The matcher of each reporting category. A category not listed here is unexplained (investigation). */
import type { SettlementRow } from '../model';
import { chargeMatcher } from './charge';
import { disputeMatcher } from './dispute';
import { feeMatcher } from './fee';
import { notYetRecordedMatcher } from './not-yet-recorded';
import { payoutMatcher } from './payout';
import { refundMatcher } from './refund';
import { transferMatcher, transferReversalMatcher } from './transfer';
import type { CategoryMatcher, Verdict } from './types';

export type { CategoryMatcher, LoadedRecords, MatchPolicy, RecordNeeds, Settlement, Verdict } from './types';
export { noNeeds } from './types';

const MATCHERS: readonly CategoryMatcher[] = [
  chargeMatcher,
  refundMatcher,
  disputeMatcher,
  transferMatcher,
  transferReversalMatcher,
  feeMatcher,
  payoutMatcher,
  notYetRecordedMatcher,
];

const BY_CATEGORY: ReadonlyMap<string, CategoryMatcher> = new Map(
  MATCHERS.flatMap((m) => m.categories.map((c) => [c, m] as const)),
);

export function matcherFor(row: SettlementRow): CategoryMatcher | undefined {
  return BY_CATEGORY.get(row.category);
}

export function unexplained(row: SettlementRow): Verdict {
  return {
    class: 'unexplained',
    detail: `reporting_category ${row.category} (${row.sourceId || row.balanceTransactionId}) fits no class`,
  };
}
