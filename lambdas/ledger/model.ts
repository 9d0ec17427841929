/**
 * The ledger's vocabulary: the chart of accounts, why money moves (reason codes), the references that
 * explain a movement, and the rules a transaction must satisfy before anything is written.
 *
 * Sign convention: an entry's amount is signed, DEBIT POSITIVE, credit negative, so every transaction's
 * entries sum to zero per currency. An account's balance is read in its normal direction: assets and
 * expenses are debit-normal (balance = sum), liabilities and revenue are credit-normal (balance = -sum).
 * A seller's wallet is therefore: available = balance of seller_payable:{seller}, reserved = balance of
 * payouts_in_transit:{seller}, receivable = balance of seller_receivable:{seller} (what the seller owes the
 * platform: an asset), dispute_held = balance of dispute_hold:{seller} (funds held for open disputes).
 */
import { createHash } from 'node:crypto';
import { type CurrencyCode, isCurrencyCode, MAX_MINOR_UNITS, type Money } from '../money';
import { InvalidTransactionError, UnbalancedTransactionError } from './errors';

export const AccountKind = {
  PspReceivable: 'psp_receivable',
  SellerPayable: 'seller_payable',
  PlatformRevenue: 'platform_revenue',
  PayoutsInTransit: 'payouts_in_transit',
  PlatformCash: 'platform_cash',
  PspFees: 'psp_fees',
  SellerReceivable: 'seller_receivable',
  DisputeHold: 'dispute_hold',
  RefundsPending: 'refunds_pending',
  /** Expense: refunds and lost disputes the platform bears itself (by configuration, or when unrecoverable). */
  PlatformLosses: 'platform_losses',
  /** Asset: the disputed amount the card network holds until the dispute closes. */
  DisputedFunds: 'disputed_funds',
} as const;
export type AccountKind = (typeof AccountKind)[keyof typeof AccountKind];

type PlatformKind =
  | 'psp_receivable'
  | 'platform_revenue'
  | 'platform_cash'
  | 'psp_fees'
  | 'refunds_pending'
  | 'platform_losses'
  | 'disputed_funds';
type SellerKind = 'seller_payable' | 'payouts_in_transit' | 'seller_receivable' | 'dispute_hold';

/** `psp_receivable`, or `seller_payable:{sellerId}`. */
export type AccountId = PlatformKind | `${SellerKind}:${string}`;

const NORMAL_SIGN: Record<AccountKind, 1n | -1n> = {
  psp_receivable: 1n, // asset
  platform_cash: 1n, // asset
  psp_fees: 1n, // expense
  seller_payable: -1n, // liability
  payouts_in_transit: -1n, // liability
  platform_revenue: -1n, // revenue
  seller_receivable: 1n, // asset: the seller owes the platform
  dispute_hold: -1n, // liability: the seller's money, held while a dispute is open
  refunds_pending: -1n, // liability: owed to the buyer until the PSP confirms or fails the refund
  platform_losses: 1n, // expense
  disputed_funds: 1n, // asset
};

const SELLER_KINDS: ReadonlySet<string> = new Set<SellerKind>([
  'seller_payable',
  'payouts_in_transit',
  'seller_receivable',
  'dispute_hold',
]);
const PLATFORM_KINDS: ReadonlySet<string> = new Set<PlatformKind>([
  'psp_receivable',
  'platform_revenue',
  'platform_cash',
  'psp_fees',
  'refunds_pending',
  'platform_losses',
  'disputed_funds',
]);

/** Ids we put inside keys: no `#` or `:` so keys split unambiguously; bounded so items stay small. */
const KEY_SAFE = /^[A-Za-z0-9_.@+-][A-Za-z0-9_.@+:-]{0,199}$/;
const SELLER_ID = /^[A-Za-z0-9_.@+-]{1,128}$/;

export const Accounts = {
  pspReceivable: 'psp_receivable',
  platformRevenue: 'platform_revenue',
  platformCash: 'platform_cash',
  pspFees: 'psp_fees',
  sellerPayable: (sellerId: string): AccountId => `seller_payable:${checkSellerId(sellerId)}`,
  payoutsInTransit: (sellerId: string): AccountId => `payouts_in_transit:${checkSellerId(sellerId)}`,
  refundsPending: 'refunds_pending',
  platformLosses: 'platform_losses',
  disputedFunds: 'disputed_funds',
  sellerReceivable: (sellerId: string): AccountId => `seller_receivable:${checkSellerId(sellerId)}`,
  disputeHold: (sellerId: string): AccountId => `dispute_hold:${checkSellerId(sellerId)}`,
} as const;

export interface ParsedAccount {
  readonly kind: AccountKind;
  /** Set for per-seller accounts. */
  readonly sellerId?: string;
}

export function parseAccount(account: string): ParsedAccount {
  if (PLATFORM_KINDS.has(account)) return { kind: account as PlatformKind };
  const separator = account.indexOf(':');
  const kind = account.slice(0, separator);
  const sellerId = account.slice(separator + 1);
  if (separator > 0 && SELLER_KINDS.has(kind) && SELLER_ID.test(sellerId)) {
    return { kind: kind as SellerKind, sellerId };
  }
  throw new InvalidTransactionError(`unknown account: ${account}`, { account });
}

/** +1 for debit-normal accounts, -1 for credit-normal ones: balance = sign * sum(entries). */
export function normalSign(kind: AccountKind): 1n | -1n {
  return NORMAL_SIGN[kind];
}

export const ReasonCode = {
  PayinCaptured: 'payin_captured',
  PayinRefunded: 'payin_refunded',
  PayoutReserved: 'payout_reserved',
  PayoutPaid: 'payout_paid',
  /** Reversal of payout_reserved: the hold goes back to available. */
  PayoutVoided: 'payout_voided',
  /** Reversal of payout_paid: the provider returned the money (back into the hold). */
  PayoutReturned: 'payout_returned',
  SettlementReceived: 'settlement_received',
  PspFeeCharged: 'psp_fee_charged',
  /** Any other correction: the negation of the transaction named in `reversalOf`. */
  Reversal: 'reversal',
  /** A refund was asked of the PSP: who bears it is debited, refunds_pending credited. */
  RefundRequested: 'refund_requested',
  /** The PSP paid the refund out of our balance: refunds_pending -> psp_receivable. */
  RefundSucceeded: 'refund_succeeded',
  /** The PSP failed or canceled the refund: what refund_requested took goes back. */
  RefundReversed: 'refund_reversed',
  /** A dispute took the disputed amount and its fee from our PSP balance. */
  DisputeFundsWithdrawn: 'dispute_funds_withdrawn',
  /** A won dispute gave the amount (and the fee, if the PSP returns it) back. */
  DisputeFundsReinstated: 'dispute_funds_reinstated',
  /** A lost dispute: the held amount is final. */
  DisputeLost: 'dispute_lost',
  /** The seller's PSP balance paid back part of a receivable (a Connect transfer reversal). */
  TransferReversed: 'transfer_reversed',
  /** An operator wrote off a reconciliation break: the receivable we will not collect, as a PSP cost. */
  ReconciliationWriteOff: 'reconciliation_write_off',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

export interface TransactionRefs {
  readonly paymentOrderId?: string;
  readonly payoutId?: string;
  readonly settlementRowId?: string;
  readonly reversalOf?: string;
  /** Our refund id (re_... ids of refunds made elsewhere are used as ours). */
  readonly refundId?: string;
  readonly disputeId?: string;
  readonly transferReversalId?: string;
}
type RefName = keyof TransactionRefs;

const REQUIRED_REFS: Record<ReasonCode, readonly RefName[]> = {
  payin_captured: ['paymentOrderId'],
  payin_refunded: ['paymentOrderId'],
  payout_reserved: ['payoutId'],
  payout_paid: ['payoutId'],
  payout_voided: ['payoutId', 'reversalOf'],
  payout_returned: ['payoutId', 'reversalOf'],
  settlement_received: ['settlementRowId'],
  psp_fee_charged: ['settlementRowId'],
  reversal: ['reversalOf'],
  refund_requested: ['refundId', 'paymentOrderId'],
  refund_succeeded: ['refundId', 'paymentOrderId'],
  refund_reversed: ['refundId', 'paymentOrderId'],
  dispute_funds_withdrawn: ['disputeId', 'paymentOrderId'],
  dispute_funds_reinstated: ['disputeId', 'paymentOrderId'],
  dispute_lost: ['disputeId', 'paymentOrderId'],
  transfer_reversed: ['transferReversalId'],
  reconciliation_write_off: ['settlementRowId'],
};

/** The reason a reversal of a transaction carries. */
export function reversalReason(reason: ReasonCode): ReasonCode {
  switch (reason) {
    case 'payout_reserved':
      return 'payout_voided';
    case 'payout_paid':
      return 'payout_returned';
    default:
      return 'reversal';
  }
}

/** Reasons whose payouts_in_transit entries move a wallet's paid_out balance. */
export const PAID_OUT_REASONS: ReadonlySet<ReasonCode> = new Set(['payout_paid', 'payout_returned']);

export interface EntryInput {
  readonly account: AccountId;
  /** Debit positive, credit negative; never zero. */
  readonly amount: Money;
}

export interface TransactionInput {
  /** Client-generated, globally unique: the idempotency key of the posting. */
  readonly id: string;
  readonly reason: ReasonCode;
  readonly refs: TransactionRefs;
  readonly entries: readonly EntryInput[];
}

export interface LedgerTransaction extends TransactionInput {
  /** When it was first posted (a replay answers with the original time). */
  readonly postedAt: string;
  /** SHA-256 of the content (id, reason, refs, entries): how a replay is told from a conflict. */
  readonly contentHash: string;
}

export const MAX_ENTRIES = 50;

/** Checks everything that can be checked without storage; answers the content hash. */
export function validateTransaction(input: TransactionInput): string {
  if (!KEY_SAFE.test(input.id)) {
    throw new InvalidTransactionError('transaction id must be 1-200 of [A-Za-z0-9_.@+:-]', { id: input.id });
  }
  if (!Object.values(ReasonCode).includes(input.reason)) {
    throw new InvalidTransactionError(`unknown reason code: ${String(input.reason)}`, { id: input.id });
  }
  for (const [name, value] of Object.entries(input.refs)) {
    if (value !== undefined && (typeof value !== 'string' || !KEY_SAFE.test(value))) {
      throw new InvalidTransactionError(`reference ${name} is not a valid id`, { id: input.id, ref: name });
    }
  }
  const missing = REQUIRED_REFS[input.reason].filter((name) => !input.refs[name]);
  if (missing.length > 0) {
    throw new InvalidTransactionError(`${input.reason} needs references: ${missing.join(', ')}`, {
      id: input.id,
      missing,
    });
  }
  if (input.entries.length < 2 || input.entries.length > MAX_ENTRIES) {
    throw new InvalidTransactionError(`a transaction has 2..${MAX_ENTRIES} entries`, {
      id: input.id,
      entries: input.entries.length,
    });
  }
  const totals = new Map<CurrencyCode, bigint>();
  for (const entry of input.entries) {
    parseAccount(entry.account);
    const { currency, minor } = entry.amount;
    if (!isCurrencyCode(currency) || typeof minor !== 'bigint') {
      throw new InvalidTransactionError('entry amounts must be Money values', { id: input.id });
    }
    if (minor === 0n || minor > MAX_MINOR_UNITS || minor < -MAX_MINOR_UNITS) {
      throw new InvalidTransactionError('entry amounts must be non-zero and in range', {
        id: input.id,
        account: entry.account,
      });
    }
    totals.set(currency, (totals.get(currency) ?? 0n) + minor);
  }
  const unbalanced = [...totals].filter(([, total]) => total !== 0n);
  if (unbalanced.length > 0) {
    throw new UnbalancedTransactionError(`transaction ${input.id} does not sum to zero`, {
      id: input.id,
      totals: Object.fromEntries(unbalanced.map(([c, t]) => [c, t.toString()])),
    });
  }
  return contentHash(input);
}

/** References added later: hashed only when set, so the hashes of transactions without them never change. */
const LATER_REFS = ['refundId', 'disputeId', 'transferReversalId'] as const;

export function contentHash(input: TransactionInput): string {
  const later = LATER_REFS.some((n) => input.refs[n] !== undefined)
    ? [LATER_REFS.map((n) => input.refs[n] ?? null)]
    : [];
  const canonical = JSON.stringify([
    input.id,
    input.reason,
    (['paymentOrderId', 'payoutId', 'settlementRowId', 'reversalOf'] as const).map(
      (n) => input.refs[n] ?? null,
    ),
    input.entries.map((e) => [e.account, e.amount.currency, e.amount.minor.toString()]),
    ...later,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** The negation of a transaction, as a new transaction (corrections never edit what was posted). */
export function reversalOf(
  original: TransactionInput,
  id: string,
  refs: TransactionRefs = {},
): TransactionInput {
  return {
    id,
    reason: reversalReason(original.reason),
    refs: { ...original.refs, ...refs, reversalOf: original.id },
    entries: original.entries.map((e) => ({
      account: e.account,
      amount: { currency: e.amount.currency, minor: -e.amount.minor },
    })),
  };
}

export interface WalletDelta {
  readonly sellerId: string;
  readonly currency: CurrencyCode;
  available: bigint;
  reserved: bigint;
  paidOut: bigint;
  /** Follows seller_receivable (debit-normal: what the seller owes). */
  receivable: bigint;
  /** Follows dispute_hold (credit-normal). */
  disputeHeld: bigint;
}

/**
 * How a transaction moves seller wallets, derived from its entries only, so that a wallet always equals
 * the sum of its ledger entries: available follows seller_payable, reserved follows payouts_in_transit,
 * receivable follows seller_receivable, dispute_held follows dispute_hold, paid_out follows payouts_in_transit debits of payout_paid (and their payout_returned reversals).
 */
export function walletDeltas(tx: TransactionInput): WalletDelta[] {
  const deltas = new Map<string, WalletDelta>();
  for (const entry of tx.entries) {
    const { kind, sellerId } = parseAccount(entry.account);
    if (!sellerId) continue;
    const key = `${sellerId}\u0000${entry.amount.currency}`;
    let delta = deltas.get(key);
    if (!delta) {
      delta = {
        sellerId,
        currency: entry.amount.currency,
        available: 0n,
        reserved: 0n,
        paidOut: 0n,
        receivable: 0n,
        disputeHeld: 0n,
      };
      deltas.set(key, delta);
    }
    // seller_payable, payouts_in_transit and dispute_hold are credit-normal: their balance moves opposite to
    // the signed entry; seller_receivable is an asset and moves with it.
    if (kind === 'seller_payable') delta.available -= entry.amount.minor;
    if (kind === 'seller_receivable') delta.receivable += entry.amount.minor;
    if (kind === 'dispute_hold') delta.disputeHeld -= entry.amount.minor;
    if (kind === 'payouts_in_transit') {
      delta.reserved -= entry.amount.minor;
      if (PAID_OUT_REASONS.has(tx.reason)) delta.paidOut += entry.amount.minor;
    }
  }
  return [...deltas.values()];
}

export function checkSellerId(sellerId: string): string {
  if (!SELLER_ID.test(sellerId)) {
    throw new InvalidTransactionError('seller id must be 1-128 of [A-Za-z0-9_.@+-]', { sellerId });
  }
  return sellerId;
}

export function checkKeySafeId(what: string, id: string): string {
  if (!KEY_SAFE.test(id)) throw new InvalidTransactionError(`${what} is not a valid id`, { [what]: id });
  return id;
}
