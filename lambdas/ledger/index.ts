/**
 * Double-entry ledger and seller wallets on DynamoDB. Callers build a LedgerContext once (document client,
 * table names) and pass it to these functions; see keys.ts for the table design and posting.ts for the
 * atomicity and idempotency guarantees.
 */

export { type LedgerCheckReport, verifyLedger } from './check';
export { DEFAULT_RETRY, type LedgerContext, type RetryPolicy } from './context';
export * from './errors';
export {
  getHold,
  type Hold,
  type HoldOptions,
  type HoldRef,
  HoldStatus,
  holdTransactionIds,
  postHold,
  reserveHold,
  returnHold,
  voidHold,
} from './holds';
export type { StoredEntry, TransactItem } from './items';
export { PLATFORM_SHARDS } from './keys';
export {
  type AccountId,
  AccountKind,
  Accounts,
  type EntryInput,
  type LedgerTransaction,
  ReasonCode,
  reversalOf,
  type TransactionInput,
  type TransactionRefs,
} from './model';
export { type PayInInput, payInTransaction, payInTransactionId, recordPayIn } from './payin';
export {
  type Guard,
  itemsNeeded,
  MAX_TRANSACT_ITEMS,
  type PostingResult,
  type PostOptions,
  postTransaction,
} from './posting';
export {
  accountBalance,
  accountHistory,
  getTransaction,
  type HistoryPage,
  type WalletBalance,
  walletBalances,
} from './reads';
