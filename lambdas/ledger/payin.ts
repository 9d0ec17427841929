/**
 * Recording a successful pay-in (a payment order the PSP captured): the PSP owes us the gross, the seller
 * is owed the gross less the platform's commission, the platform earns the commission. Posted together with
 * the caller's order update in one TransactWriteItems, so the order's status, its wallet_updated /
 * ledger_updated flags, the entries and the seller's wallet change all together or not at all.
 *
 * A seller who owes the platform (a receivable left by a refund or a lost dispute their wallet could not
 * cover) pays it from this pay-in first: the seller's net goes to seller_receivable up to what is owed, the
 * rest to seller_payable. How much is netted depends on the wallet when the pay-in is posted; a retry finds
 * the stored transaction and answers it, whatever was netted then.
 */
import { isPositive, isZero, type Money, subtract, zero } from '../money';
import type { LedgerContext } from './context';
import { InvalidTransactionError } from './errors';
import { Accounts, checkKeySafeId, type EntryInput, type TransactionInput } from './model';
import { postAdaptive } from './money-back';
import type { PostingResult, PostOptions } from './posting';

export interface PayInInput {
  readonly paymentOrderId: string;
  readonly sellerId: string;
  /** What the buyer paid for this order. */
  readonly gross: Money;
  /** The platform's share; zero when no commission is configured. */
  readonly commission?: Money;
  /** What this pay-in pays of the seller's receivable (0 <= netted <= gross - commission). */
  readonly netReceivable?: Money;
}

/** One pay-in is one ledger transaction, whose id derives from the order: a retry can only replay it. */
export const payInTransactionId = (paymentOrderId: string) => `payin:${paymentOrderId}`;

export function payInTransaction(input: PayInInput): TransactionInput {
  checkKeySafeId('paymentOrderId', input.paymentOrderId);
  const commission = input.commission ?? zero(input.gross.currency);
  const netted = input.netReceivable ?? zero(input.gross.currency);
  const net = subtract(subtract(input.gross, commission), netted);
  if (!isPositive(input.gross) || commission.minor < 0n || netted.minor < 0n || net.minor < 0n) {
    throw new InvalidTransactionError(
      'a pay-in needs gross > 0, 0 <= commission, 0 <= netted receivable, commission + netted <= gross',
      { paymentOrderId: input.paymentOrderId },
    );
  }
  const entries: EntryInput[] = [{ account: Accounts.pspReceivable, amount: input.gross }];
  if (!isZero(net)) {
    entries.push({ account: Accounts.sellerPayable(input.sellerId), amount: { ...net, minor: -net.minor } });
  }
  if (!isZero(netted)) {
    entries.push({
      account: Accounts.sellerReceivable(input.sellerId),
      amount: { ...netted, minor: -netted.minor },
    });
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
  const commission = input.commission ?? zero(input.gross.currency);
  const sellerNet = subtract(input.gross, commission).minor;
  const receivable = Accounts.sellerReceivable(input.sellerId);
  return postAdaptive(
    ctx,
    payInTransactionId(input.paymentOrderId),
    { sellerId: input.sellerId, currency: input.gross.currency },
    (wallet) => {
      const owed = wallet.receivable < sellerNet ? wallet.receivable : sellerNet;
      return payInTransaction({
        ...input,
        netReceivable: { currency: input.gross.currency, minor: owed > 0n ? owed : 0n },
      });
    },
    {
      ...options,
      // A replay is this pay-in with whatever it netted then; any other content is a conflict.
      expected: (stored) =>
        payInTransaction({
          ...input,
          netReceivable: {
            currency: input.gross.currency,
            minor: -stored.entries
              .filter((e) => e.account === receivable)
              .reduce((sum, e) => sum + e.amount.minor, 0n),
          },
        }),
    },
  );
}
