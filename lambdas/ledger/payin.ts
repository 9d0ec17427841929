/**
 * Recording a successful pay-in (a payment order the PSP captured): the PSP owes us the gross, the seller
 * is owed the gross less the platform's commission, the platform earns the commission. Posted together with
 * the caller's order update in one TransactWriteItems, so the order's status, its wallet_updated /
 * ledger_updated flags, the entries and the seller's wallet change all together or not at all.
 */
import { isPositive, isZero, type Money, subtract, zero } from '../money';
import type { LedgerContext } from './context';
import { InvalidTransactionError } from './errors';
import { Accounts, checkKeySafeId, type EntryInput, type TransactionInput } from './model';
import { type PostingResult, type PostOptions, postTransaction } from './posting';

export interface PayInInput {
  readonly paymentOrderId: string;
  readonly sellerId: string;
  /** What the buyer paid for this order. */
  readonly gross: Money;
  /** The platform's share; zero when no commission is configured. */
  readonly commission?: Money;
}

/** One pay-in is one ledger transaction, whose id derives from the order: a retry can only replay it. */
export const payInTransactionId = (paymentOrderId: string) => `payin:${paymentOrderId}`;

export function payInTransaction(input: PayInInput): TransactionInput {
  checkKeySafeId('paymentOrderId', input.paymentOrderId);
  const commission = input.commission ?? zero(input.gross.currency);
  const net = subtract(input.gross, commission);
  if (!isPositive(input.gross) || commission.minor < 0n || net.minor < 0n) {
    throw new InvalidTransactionError('a pay-in needs gross > 0 and 0 <= commission <= gross', {
      paymentOrderId: input.paymentOrderId,
    });
  }
  const entries: EntryInput[] = [{ account: Accounts.pspReceivable, amount: input.gross }];
  if (!isZero(net)) {
    entries.push({ account: Accounts.sellerPayable(input.sellerId), amount: { ...net, minor: -net.minor } });
  }
  if (!isZero(commission)) {
    entries.push({ account: Accounts.platformRevenue, amount: { ...commission, minor: -commission.minor } });
  }
  return {
    id: payInTransactionId(input.paymentOrderId),
    reason: 'payin_captured',
    refs: { paymentOrderId: input.paymentOrderId },
    entries,
  };
}

export function recordPayIn(
  ctx: LedgerContext,
  input: PayInInput,
  options: PostOptions = {},
): Promise<PostingResult> {
  return postTransaction(ctx, payInTransaction(input), options);
}
