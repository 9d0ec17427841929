/**
 * A payout's own row (present when the input is the PSP's API or a balance report): it states the payout's
 * amount, against which the rows it paid out are checked (reconcile.ts groups them). It moves nothing itself:
 * the settlement posting of the matched rows is the money arriving in the platform's cash.
 */
import type { CategoryMatcher } from './types';

export const payoutMatcher: CategoryMatcher = {
  categories: ['payout'],
  needs() {},
  classify(row) {
    return { class: 'matched', detail: '', payoutTotal: -row.gross };
  },
};
