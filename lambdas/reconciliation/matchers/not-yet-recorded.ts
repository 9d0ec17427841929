/**
 * The platform's own bank payouts coming back (`payout_reversal`: the automatic payout to the platform's bank
 * failed and the PSP returned it to the balance). We keep no record of the platform's automatic payouts (only
 * their totals, from their own row or the PSP's API), so such a row is, truthfully, money the PSP moved that
 * we hold no record of: missing internally, handed to finance. Every other money-moving category has its own
 * matcher (charge, refund, dispute, transfer, fee, payout).
 */
import type { CategoryMatcher, Verdict } from './types';

export const notYetRecordedMatcher: CategoryMatcher = {
  categories: ['payout_reversal'],
  needs() {},
  classify(row): Verdict {
    return {
      class: 'missing_internally',
      detail: `payout reversal ${row.sourceId}: the platform's automatic payout came back; we keep no record of those to match it against`,
    };
  },
};
