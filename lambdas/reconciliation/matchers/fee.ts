/**
 * The PSP's own fees billed as separate rows (`fee`: Radar, Connect, ...; `tax` on them): no record of ours
 * precedes them, so they match as they are and are posted with the payout (PSP fees against platform cash).
 */
import type { CategoryMatcher } from './types';

export const feeMatcher: CategoryMatcher = {
  categories: ['fee', 'tax'],
  needs() {},
  classify(row) {
    // A fee row's gross is negative (money the PSP took); it is the expense, plus any fee on the fee.
    return {
      class: 'matched',
      detail: '',
      settlement: { cash: row.net, fees: row.fee - row.gross, receivable: 0n },
    };
  },
};
