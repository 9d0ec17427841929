/**
 * The sweeper, fanned out per due-index shard and paginated (issue 13.4). Every minute the scheduled
 * dispatcher sends one message per shard (SWEEP_SHARDS) with an order due to the `sweep-shards` queue (an
 * idle shard gets none: lambdas/payments/due-shards.ts); a worker takes the shard's lease, pages through its
 * due orders (oldest deadline first) with `parallelism` orders in flight,
 * and when its time budget (its timeout minus a margin) is spent with orders left, hands back a continuation
 * (the next page's key) that the handler re-enqueues. The lease (in `coordination`) keeps a shard to one
 * worker, so the next minute's message for a shard still being swept is dropped instead of racing it.
 *
 * The arithmetic (README, "The sweeper"): before, one sweeper read 8 x 50 = 400 orders a minute: 100,000 due
 * orders took 250 minutes. Now each worker examines ~parallelism / 0.3 s orders a second, all shards at once,
 * continuously: 8 shards x 4 / 0.3 s = ~107 orders/s, 100,000 in ~16 minutes; 16 x 8 / 0.3 = ~430/s, ~4
 * minutes. The PSP's read budget, not the sweeper, is then the limit (Stripe's default 25 reads/s: 67 min).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { nowOf, type PaymentsContext } from './context';
import { dueOrdersPage } from './due-index';
import type { ExecutionDependencies } from './executor';
import { sweepDueOrders } from './sweeper';

/** A message on the sweep-shards queue: a shard to sweep, from the start or from a continuation. */
export interface ShardSweepMessage {
  readonly shard: number;
  /** The due-index key the next page starts after (a continuation). */
  readonly cursor?: Record<string, unknown>;
  /** How many continuations led here (for the logs). */
  readonly continuation?: number;
}

export interface ShardSweepOptions {
  readonly pageSize: number;
  readonly parallelism: number;
  /** What is left of the worker's time. */
  readonly remainingMs: () => number;
  /** Stop paginating when less than this is left (the last page must finish inside the timeout). */
  readonly marginMs: number;
}

export interface ShardSweepResult {
  readonly shard: number;
  readonly pages: number;
  readonly examined: number;
  readonly moved: number;
  readonly stillOpen: number;
  readonly errors: number;
  /** drained: no due order left; budget: time spent, `cursor` continues; circuit: the PSP's circuit is open. */
  readonly stoppedBy: 'drained' | 'budget' | 'circuit';
  readonly cursor?: Record<string, unknown>;
}

/**
 * Sweeps one shard from `message.cursor` until it is drained, the budget is spent or the PSP's circuit is
 * open. Orders due at the start of the sweep are examined; each one the sweep touches either ends or gets a
 * later deadline, so it leaves the due range and a page is never read twice.
 */
export async function sweepShard(
  ctx: PaymentsContext,
  deps: ExecutionDependencies,
  message: ShardSweepMessage,
  options: ShardSweepOptions,
): Promise<ShardSweepResult> {
  const now = nowOf(ctx);
  let cursor = message.cursor;
  let pages = 0;
  let examined = 0;
  let moved = 0;
  let stillOpen = 0;
  let errors = 0;
  const result = (stoppedBy: ShardSweepResult['stoppedBy']): ShardSweepResult => ({
    shard: message.shard,
    pages,
    examined,
    moved,
    stillOpen,
    errors,
    stoppedBy,
    ...(stoppedBy === 'budget' && cursor ? { cursor } : {}),
  });
  do {
    // The first page is always read: a continuation must make progress even on a short budget.
    if (pages > 0 && options.remainingMs() < options.marginMs) return result('budget');
    const page = await dueOrdersPage(ctx, message.shard, now, options.pageSize, cursor);
    pages++;
    const report = await sweepDueOrders(ctx, deps, page.orders, { parallelism: options.parallelism });
    examined += report.examined;
    moved += report.moved;
    stillOpen += report.stillOpen;
    errors += report.errors.length;
    // The orders it did not reach are still due; the dispatch after the cool-down comes back for them.
    if (report.circuitOpen) return result('circuit');
    cursor = page.nextKey;
  } while (cursor);
  return result('drained');
}

/** The lease that keeps one shard to one worker: an item in `coordination`, until an instant (ms). */
export interface ShardLeaseStore {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
}

/** Takes the shard's lease until `untilMs` (free, expired, or already ours); false when another worker holds it. */
export async function claimShardLease(
  store: ShardLeaseStore,
  shard: number,
  holder: string,
  nowMs: number,
  untilMs: number,
): Promise<boolean> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: { pk: `SWEEP_LEASE#${shard}` },
        UpdateExpression: 'SET holder = :me, lease_until = :until, expires_at = :expires',
        ConditionExpression: 'attribute_not_exists(pk) OR lease_until < :now OR holder = :me',
        ExpressionAttributeValues: {
          ':me': holder,
          ':until': untilMs,
          ':now': nowMs,
          ':expires': Math.ceil(untilMs / 1000) + 86_400,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Gives the lease back (only if still ours), so a continuation can take it at once. */
export async function releaseShardLease(
  store: ShardLeaseStore,
  shard: number,
  holder: string,
): Promise<void> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: { pk: `SWEEP_LEASE#${shard}` },
        UpdateExpression: 'SET lease_until = :zero',
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': holder, ':zero': 0 },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
