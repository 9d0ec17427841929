/**
 * Storage mapping: how transactions, entries, wallet balances and holds are written to and read from their
 * DynamoDB items (snake_case attributes, integer minor units as DynamoDB numbers). See keys.ts for keys.
 */
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { isCurrencyCode, type Money } from '../money';
import { LedgerIntegrityError } from './errors';
import { entryKey, ItemKind, transactionKey } from './keys';
import {
  type AccountId,
  type LedgerTransaction,
  parseAccount,
  ReasonCode,
  type TransactionInput,
  type TransactionRefs,
} from './model';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type StoredItem = Record<string, unknown>;

const REF_ATTRIBUTES = {
  paymentOrderId: 'payment_order_id',
  payoutId: 'payout_id',
  settlementRowId: 'settlement_row_id',
  reversalOf: 'reversal_of',
  refundId: 'refund_id',
  disputeId: 'dispute_id',
  transferReversalId: 'transfer_reversal_id',
} as const satisfies Record<keyof TransactionRefs, string>;

export function transactionItem(tx: TransactionInput, postedAt: string, hash: string): StoredItem {
  const refs: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(REF_ATTRIBUTES)) {
    const value = tx.refs[name as keyof TransactionRefs];
    if (value !== undefined) refs[attribute] = value;
  }
  return {
    ...transactionKey(tx.id),
    kind: ItemKind.Transaction,
    tx_id: tx.id,
    reason: tx.reason,
    refs,
    entries: tx.entries.map((e) => ({
      account: e.account,
      currency: e.amount.currency,
      amount: e.amount.minor,
    })),
    entry_count: tx.entries.length,
    posted_at: postedAt,
    content_hash: hash,
  };
}

export function entryItems(tx: TransactionInput, postedAt: string): StoredItem[] {
  return tx.entries.map((e, index) => ({
    ...entryKey(e.account, tx.id, postedAt, index),
    kind: ItemKind.Entry,
    tx_id: tx.id,
    entry_index: index,
    account: e.account,
    currency: e.amount.currency,
    amount: e.amount.minor,
    reason: tx.reason,
    posted_at: postedAt,
  }));
}

export function readTransaction(item: StoredItem): LedgerTransaction {
  const refsItem = isRecord(item.refs) ? item.refs : {};
  const refs: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(REF_ATTRIBUTES)) {
    const value = refsItem[attribute];
    if (typeof value === 'string') refs[name] = value;
  }
  const entries = Array.isArray(item.entries) ? item.entries : [];
  const reason = item.reason;
  if (!Object.values(ReasonCode).includes(reason as ReasonCode)) corrupt('reason', item);
  return {
    id: str(item.tx_id, 'tx_id', item),
    reason: reason as ReasonCode,
    refs,
    entries: entries.map((entry: unknown) => {
      if (!isRecord(entry)) corrupt('entries', item);
      return { account: account(entry.account, item), amount: amount(entry.currency, entry.amount, item) };
    }),
    postedAt: str(item.posted_at, 'posted_at', item),
    contentHash: str(item.content_hash, 'content_hash', item),
  };
}

export interface StoredEntry {
  readonly txId: string;
  readonly index: number;
  readonly account: AccountId;
  readonly amount: Money;
  readonly reason: ReasonCode;
  readonly postedAt: string;
}

export function readEntry(item: StoredItem): StoredEntry {
  return {
    txId: str(item.tx_id, 'tx_id', item),
    index: Number(item.entry_index),
    account: account(item.account, item),
    amount: amount(item.currency, item.amount, item),
    reason: item.reason as ReasonCode,
    postedAt: str(item.posted_at, 'posted_at', item),
  };
}

/** DynamoDB numbers come back as number (safe range) or bigint (beyond it); money is bigint here. */
export function minorUnits(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value === undefined) return 0n;
  throw new LedgerIntegrityError(`not an integer amount: ${String(value)}`);
}

function amount(currency: unknown, minor: unknown, item: StoredItem): Money {
  if (!isCurrencyCode(currency)) corrupt('currency', item);
  return { currency, minor: minorUnits(minor) };
}

function account(value: unknown, item: StoredItem): AccountId {
  if (typeof value !== 'string') corrupt('account', item);
  parseAccount(value);
  return value as AccountId;
}

function str(value: unknown, name: string, item: StoredItem): string {
  if (typeof value !== 'string') corrupt(name, item);
  return value;
}

function corrupt(attribute: string, item: StoredItem): never {
  throw new LedgerIntegrityError(`stored item has an invalid ${attribute}`, { pk: item.pk, sk: item.sk });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
