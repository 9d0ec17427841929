/**
 * Postings of money going back: refunds (requested, succeeded, failed or canceled), disputes (funds
 * withdrawn, reinstated, lost) and transfer reversals that pay a seller's receivable back. Each is ONE ledger
 * transaction keyed by the PSP object and the transition (`refund:{id}:requested`, `dispute:{id}:lost`, ...), so
 * a replay is a no-op.
 *
 * What the seller bears is taken from their available balance first; whatever it cannot cover becomes a
 * receivable (seller_receivable, an asset: the seller owes the platform), never a negative `available`. The
 * split depends on the wallet at the moment of posting, so these postings are "adaptive": `postAdaptive` reads
 * the wallet, builds the transaction, and posts it conditioned on that wallet still covering it; a concurrent
 * change makes it build again. Once a transaction id is stored, whatever split it took is the posting: a
 * retry answers it (replayed) and never posts a second split.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CurrencyCode, Money } from '../money';
import type { LedgerContext } from './context';
import { ConflictingTransactionError, InsufficientFundsError, LedgerContentionError } from './errors';
import { minorUnits } from './items';
import { balanceKey } from './keys';
import {
  type AccountId,
  Accounts,
  contentHash,
  type EntryInput,
  type TransactionInput,
  type TransactionRefs,
} from './model';
import { type PostingResult, type PostOptions, postTransaction, readTransactionById } from './posting';

/** The balances of one seller's wallet in one currency that adaptive postings draw on. */
export interface WalletSnapshot {
  readonly available: bigint;
  readonly receivable: bigint;
  readonly disputeHeld: bigint;
}

const EMPTY: WalletSnapshot = { available: 0n, receivable: 0n, disputeHeld: 0n };

export async function walletSnapshot(
  ctx: LedgerContext,
  sellerId: string,
  currency: CurrencyCode,
): Promise<WalletSnapshot> {
  const { Item } = await ctx.db.send(
    new GetCommand({
      TableName: ctx.tables.wallets,
      Key: balanceKey(sellerId, currency),
      ConsistentRead: true,
    }),
  );
  if (!Item) return EMPTY;
  return {
    available: minorUnits(Item.available),
    receivable: minorUnits(Item.receivable),
    disputeHeld: minorUnits(Item.dispute_held),
  };
}

export interface AdaptiveOptions extends PostOptions {
  /**
   * Given what is stored under the id, the transaction this call would mean: a replay is answered only when
   * the stored one is it (else ConflictingTransactionError). Default: any stored content is a replay.
   */
  readonly expected?: (stored: TransactionInput) => TransactionInput;
  readonly maxAttempts?: number;
}

/**
 * Posts the transaction `build` makes from the seller's current wallet. A stored transaction with this id
 * answers as a replay; a wallet that changed before the write (InsufficientFundsError) makes it read again.
 */
export async function postAdaptive(
  ctx: LedgerContext,
  id: string,
  wallet: { readonly sellerId: string; readonly currency: CurrencyCode },
  build: (wallet: WalletSnapshot) => TransactionInput,
  options: AdaptiveOptions = {},
): Promise<PostingResult> {
  const attempts = options.maxAttempts ?? 8;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const stored = await readTransactionById(ctx, id);
    if (stored) {
      if (options.expected && contentHash(options.expected(stored)) !== stored.contentHash) {
        throw new ConflictingTransactionError(id);
      }
      return { transaction: stored, replayed: true };
    }
    const tx = build(await walletSnapshot(ctx, wallet.sellerId, wallet.currency));
    try {
      return await postTransaction(ctx, tx, options);
    } catch (error) {
      // Another writer posted this id with the split it saw: that posting stands (checked on the next turn).
      if (error instanceof ConflictingTransactionError) continue;
      if (!(error instanceof InsufficientFundsError)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** attempt));
  }
  throw new LedgerContentionError(`posting ${id}: the wallet kept changing`, { id, attempts });
}

/** Sums entries per account and drops the zeros, so a transaction never carries a zero or repeated entry. */
export function netEntries(entries: readonly EntryInput[]): EntryInput[] {
  const byAccount = new Map<string, EntryInput>();
  for (const e of entries) {
    const key = `${e.account}\u0000${e.amount.currency}`;
    const found = byAccount.get(key);
    byAccount.set(key, {
      account: e.account,
      amount: { currency: e.amount.currency, minor: (found?.amount.minor ?? 0n) + e.amount.minor },
    });
  }
  return [...byAccount.values()].filter((e) => e.amount.minor !== 0n);
}

const debit = (account: AccountId, amount: Money): EntryInput => ({ account, amount });
const credit = (account: AccountId, amount: Money): EntryInput => ({
  account,
  amount: { currency: amount.currency, minor: -amount.minor },
});
const m = (currency: CurrencyCode, minor: bigint): Money => ({ currency, minor });

/** A charge on a seller: from available first, the rest as a receivable. */
export function chargeSeller(sellerId: string, amount: Money, wallet: WalletSnapshot): EntryInput[] {
  const fromAvailable = amount.minor < wallet.available ? amount.minor : wallet.available;
  const owed = amount.minor - (fromAvailable > 0n ? fromAvailable : 0n);
  return [
    debit(Accounts.sellerPayable(sellerId), m(amount.currency, fromAvailable > 0n ? fromAvailable : 0n)),
    debit(Accounts.sellerReceivable(sellerId), m(amount.currency, owed)),
  ];
}

/** Money given back to a seller: it pays what they owe first, the rest is available. */
export function creditSeller(sellerId: string, amount: Money, wallet: WalletSnapshot): EntryInput[] {
  const repays = amount.minor < wallet.receivable ? amount.minor : wallet.receivable;
  return [
    credit(Accounts.sellerReceivable(sellerId), m(amount.currency, repays)),
    credit(Accounts.sellerPayable(sellerId), m(amount.currency, amount.minor - repays)),
  ];
}

// ------------------------------------------------------------------------------------------ refunds

export const refundTransactionIds = (refundId: string) => ({
  requested: `refund:${refundId}:requested`,
  succeeded: `refund:${refundId}:succeeded`,
  /** Failed or canceled: what requested took goes back (and what succeeded paid, if it had). */
  reversed: `refund:${refundId}:reversed`,
});

export interface RefundShares {
  readonly refundId: string;
  readonly paymentOrderId: string;
  readonly sellerId: string;
  readonly amount: Money;
  /** What the seller bears (amount less the commission given back), or zero when the platform bears it. */
  readonly seller: Money;
  /** The platform's commission given back with the refund. */
  readonly commission: Money;
  /** What the platform bears itself (platform_losses). */
  readonly platform: Money;
}

function refundRefs(s: RefundShares): TransactionRefs {
  return { refundId: s.refundId, paymentOrderId: s.paymentOrderId };
}

/**
 * Requested: the buyer is owed the amount (refunds_pending) until the PSP confirms; the seller's share
 * leaves their wallet (available, then receivable), the commission share leaves platform_revenue, the rest is
 * the platform's loss.
 */
export function refundRequestedTransaction(s: RefundShares, wallet: WalletSnapshot): TransactionInput {
  return {
    id: refundTransactionIds(s.refundId).requested,
    reason: 'refund_requested',
    refs: refundRefs(s),
    entries: netEntries([
      ...chargeSeller(s.sellerId, s.seller, wallet),
      debit(Accounts.platformRevenue, s.commission),
      debit(Accounts.platformLosses, s.platform),
      credit(Accounts.refundsPending, s.amount),
    ]),
  };
}

/** Succeeded: the PSP paid the buyer out of our balance. */
export function refundSucceededTransaction(s: RefundShares): TransactionInput {
  return {
    id: refundTransactionIds(s.refundId).succeeded,
    reason: 'refund_succeeded',
    refs: refundRefs(s),
    entries: [debit(Accounts.refundsPending, s.amount), credit(Accounts.pspReceivable, s.amount)],
  };
}

/**
 * Failed or canceled: the exact amounts requested took go back — the seller's share to what they owe first
 * (a receivable the refund created may since have been netted by a pay-in: then it is available again), the
 * commission to platform_revenue, the platform's share out of platform_losses. If the PSP had reported the
 * refund succeeded, the money also comes back to our PSP balance.
 */
export function refundReversedTransaction(
  s: RefundShares,
  requested: TransactionInput,
  hadSucceeded: boolean,
  wallet: WalletSnapshot,
): TransactionInput {
  const sellerTook = requested.entries
    .filter(
      (e) =>
        e.account === Accounts.sellerPayable(s.sellerId) ||
        e.account === Accounts.sellerReceivable(s.sellerId),
    )
    .reduce((sum, e) => sum + e.amount.minor, 0n);
  const currency = s.amount.currency;
  return {
    id: refundTransactionIds(s.refundId).reversed,
    reason: 'refund_reversed',
    refs: { ...refundRefs(s), reversalOf: requested.id },
    entries: netEntries([
      ...creditSeller(s.sellerId, m(currency, sellerTook), wallet),
      credit(Accounts.platformRevenue, s.commission),
      credit(Accounts.platformLosses, s.platform),
      debit(Accounts.refundsPending, s.amount),
      ...(hadSucceeded
        ? [debit(Accounts.pspReceivable, s.amount), credit(Accounts.refundsPending, s.amount)]
        : []),
    ]),
  };
}

// ------------------------------------------------------------------------------------------ disputes

export const disputeTransactionIds = (disputeId: string) => ({
  withdrawn: `dispute:${disputeId}:funds_withdrawn`,
  reinstated: `dispute:${disputeId}:funds_reinstated`,
  lost: `dispute:${disputeId}:lost`,
});

export interface DisputeShares {
  readonly disputeId: string;
  readonly paymentOrderId: string;
  readonly sellerId: string;
  readonly amount: Money;
  /** The PSP's dispute fee on the withdrawal (the platform bears it). */
  readonly fee: Money;
  /** Whether the seller bears the disputed amount (held now, taken if lost); else the platform does. */
  readonly sellerBears: boolean;
}

function disputeRefs(s: DisputeShares): TransactionRefs {
  return { disputeId: s.disputeId, paymentOrderId: s.paymentOrderId };
}

/**
 * Withdrawn: the PSP took amount + fee from our balance; the network holds the amount until the dispute
 * closes (disputed_funds, an asset). The seller's money is frozen: from available (then receivable) into
 * dispute_hold. The fee is the platform's expense.
 */
export function disputeWithdrawnTransaction(s: DisputeShares, wallet: WalletSnapshot): TransactionInput {
  const sellerSide = s.sellerBears
    ? [...chargeSeller(s.sellerId, s.amount, wallet), credit(Accounts.disputeHold(s.sellerId), s.amount)]
    : [];
  return {
    id: disputeTransactionIds(s.disputeId).withdrawn,
    reason: 'dispute_funds_withdrawn',
    refs: disputeRefs(s),
    entries: netEntries([
      ...sellerSide,
      debit(Accounts.disputedFunds, s.amount),
      debit(Accounts.pspFees, s.fee),
      credit(Accounts.pspReceivable, { currency: s.amount.currency, minor: s.amount.minor + s.fee.minor }),
    ]),
  };
}

/** Won: the network gave the amount back (and the fee, when `feeReturned`); the seller's hold is released. */
export function disputeReinstatedTransaction(
  s: DisputeShares,
  feeReturned: Money,
  wallet: WalletSnapshot,
): TransactionInput {
  const sellerSide = s.sellerBears
    ? [debit(Accounts.disputeHold(s.sellerId), s.amount), ...creditSeller(s.sellerId, s.amount, wallet)]
    : [];
  return {
    id: disputeTransactionIds(s.disputeId).reinstated,
    reason: 'dispute_funds_reinstated',
    refs: disputeRefs(s),
    entries: netEntries([
      ...sellerSide,
      credit(Accounts.disputedFunds, s.amount),
      credit(Accounts.pspFees, feeReturned),
      debit(Accounts.pspReceivable, {
        currency: s.amount.currency,
        minor: s.amount.minor + feeReturned.minor,
      }),
    ]),
  };
}

/** Lost: the network keeps the amount; the seller's held money pays it (or the platform bears it). */
export function disputeLostTransaction(s: DisputeShares): TransactionInput {
  return {
    id: disputeTransactionIds(s.disputeId).lost,
    reason: 'dispute_lost',
    refs: disputeRefs(s),
    entries: [
      s.sellerBears
        ? debit(Accounts.disputeHold(s.sellerId), s.amount)
        : debit(Accounts.platformLosses, s.amount),
      credit(Accounts.disputedFunds, s.amount),
    ],
  };
}

// ------------------------------------------------------------------------------------------ reversals

/**
 * A Connect transfer reversal: the seller's PSP balance paid back (part of) what they owe; the money is on
 * the platform's PSP balance again. It pays the seller's receivable first; what the receivable no longer
 * holds (a pay-in netted it while the reversal was on its way) is the seller's available money again, so a
 * seller never pays twice.
 */
export function transferReversedTransaction(
  input: {
    readonly reversalId: string;
    readonly sellerId: string;
    readonly amount: Money;
    readonly refundId?: string;
    readonly payoutId?: string;
  },
  wallet: WalletSnapshot,
): TransactionInput {
  return {
    id: `transfer_reversal:${input.reversalId}`,
    reason: 'transfer_reversed',
    refs: {
      transferReversalId: input.reversalId,
      ...(input.refundId ? { refundId: input.refundId } : {}),
      ...(input.payoutId ? { payoutId: input.payoutId } : {}),
    },
    entries: netEntries([
      debit(Accounts.pspReceivable, input.amount),
      ...creditSeller(input.sellerId, input.amount, wallet),
    ]),
  };
}
