/** What every ledger function is given by its caller: clients and names are built once, never here. */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 20, maxDelayMs: 1_000 };

export interface LedgerContext {
  readonly db: DynamoDBDocumentClient;
  /** Physical table names of the manifest's `ledger` and `wallets` tables. */
  readonly tables: { readonly ledger: string; readonly wallets: string };
  /** Source of posting times; tests pass a fixed or stepping clock. */
  readonly clock?: () => Date;
  /** Retries of TransactionConflict and throttling inside a posting (bounded, exponential, full jitter). */
  readonly retry?: Partial<RetryPolicy>;
  /** When set, postings ask DynamoDB for their consumed capacity (TOTAL) and report it here, for metrics. */
  readonly onConsumedCapacity?: (capacity: readonly ConsumedCapacity[]) => void;
}

export function retryPolicy(ctx: LedgerContext): RetryPolicy {
  return { ...DEFAULT_RETRY, ...ctx.retry };
}

/** "Full jitter": a uniform delay below an exponentially growing cap, so contending writers spread out. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * cap);
}

export const now = (ctx: LedgerContext): Date => (ctx.clock ? ctx.clock() : new Date());
