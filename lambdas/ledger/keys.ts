/**
 * Key design of the `ledger` and `wallets` tables (generic `pk`/`sk` strings; no index).
 *
 * ledger (append-only; items are only ever Put with attribute_not_exists):
 *   transaction   pk = TX#{txId}                      sk = TX
 *       The header: reason, references, all entries inline, posted_at, content_hash. One GetItem answers
 *       "transaction by id"; its conditional Put is the idempotency guard of the whole posting.
 *   entry         pk = ACCT#{account}#{shard}         sk = E#{postedAt}#{txId}#{index}
 *       One per entry, for an account's history, newest first with ScanIndexForward = false.
 *
 * wallets (changed only in the TransactWriteItems of the posting that moves them):
 *   balance       pk = WALLET#{sellerId}              sk = BAL#{currency}
 *       available, reserved, paid_out (integer minor units) with conditions that keep them >= 0.
 *   hold          pk = WALLET#{sellerId}              sk = HOLD#{payoutId}
 *       A pay-out reservation: reserved -> paid | voided, each step conditioned on the current status.
 *
 * Hot keys: every pay-in writes psp_receivable (and often platform_revenue), and a single partition takes
 * about 1,000 write units a second, less under transactions. So platform accounts spread their entries over
 * PLATFORM_SHARDS partitions chosen by a hash of the transaction id, and NO materialized balance exists for
 * them: their balance is the sum of their entries, computed off the hot path (reconciliation, reports).
 * Per-seller accounts use one partition (shard 00): their wallet item already serializes that seller's
 * postings, so sharding their entries would buy nothing. Transaction headers are keyed by their own id.
 * Raising PLATFORM_SHARDS later is safe (reads cover shards 0..N-1, old entries sit in the lower ones);
 * lowering it is not.
 */
import { createHash } from 'node:crypto';
import { type AccountId, parseAccount } from './model';

export const PLATFORM_SHARDS = 16;

export function shardCount(account: AccountId): number {
  return parseAccount(account).sellerId ? 1 : PLATFORM_SHARDS;
}

/** Stable: a retry of the same transaction lands on the same shard. */
export function shardOf(account: AccountId, txId: string): number {
  const count = shardCount(account);
  if (count === 1) return 0;
  return createHash('sha256').update(txId).digest().readUInt32BE(0) % count;
}

export const transactionKey = (txId: string) => ({ pk: `TX#${txId}`, sk: 'TX' });

export const accountPartition = (account: AccountId, shard: number) =>
  `ACCT#${account}#${String(shard).padStart(2, '0')}`;

export const entryKey = (account: AccountId, txId: string, postedAt: string, index: number) => ({
  pk: accountPartition(account, shardOf(account, txId)),
  sk: `E#${postedAt}#${txId}#${String(index).padStart(3, '0')}`,
});

export const walletPartition = (sellerId: string) => `WALLET#${sellerId}`;

export const balanceKey = (sellerId: string, currency: string) => ({
  pk: walletPartition(sellerId),
  sk: `BAL#${currency}`,
});

export const holdKey = (sellerId: string, payoutId: string) => ({
  pk: walletPartition(sellerId),
  sk: `HOLD#${payoutId}`,
});

/** Item kinds, stored in each item so a Scan (full check) can tell them apart. */
export const ItemKind = {
  Transaction: 'transaction',
  Entry: 'entry',
  Balance: 'balance',
  Hold: 'hold',
} as const;
