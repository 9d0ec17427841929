/**
 * Load shaping of the pay-in (issue 13.4): the shared "PSP degraded" state, the sweeper's per-shard fan-out,
 * and the PSP settings of the hot path. The arithmetic is in docs/deploy.md §11 and the README.
 *
 * `coordination` is a small table of its own rather than a distinct key in `payments`: the payments table is
 * streamed into domain events (every circuit or lease write would be a stream record the publisher reads and
 * pays for), is a money table (its own KMS key, backups to a second region, no deletes) and is the hot table
 * of every checkout; the circuit's item is read by every charging container each second. Nothing here is
 * money or evidence: losing the table only resets the circuit to closed and frees the leases.
 */
import type { FunctionSpec, QueueSpec, TableSpec } from './types';

export const loadShapingTables: readonly TableSpec[] = [
  {
    id: 'coordination',
    description:
      'Shared operational state: the PSP circuit breaker and its failure windows, sweeper shard leases.',
    partitionKey: { name: 'pk', type: 'S' },
    ttlAttribute: 'expires_at',
  },
];

/** The circuit: who reads and writes it (the charging functions), and its settings (lambdas/psp/circuit-breaker.ts). */
export const CIRCUIT_ACCESS = { coordination: 'readWrite' } as const;

/**
 * The hot path's PSP settings (the charge step and the sweeper's workers). Timeout 3 s per request: Stripe's
 * PaymentIntent create/confirm answer in ~0.3-1 s (p99 ~2 s); a request still open after 3 s is treated as
 * indeterminate (PspInFlightError: it may still be running at the PSP), retried by the ONE layer that owns
 * retries (the workflow) after 3 s, 6 s and 12 s, never sooner than this timeout, with the same idempotency
 * key. No SDK retries on this path (see `chargingProvider` in lambdas/shared/charging.ts). The circuit opens after
 * 10 timeouts/5xx in a 30 s window and half-opens after 30 s.
 */
export const PSP_HOT_PATH_ENVIRONMENT = {
  PSP_CHARGE_TIMEOUT_MS: '3000',
  PSP_CIRCUIT_FAILURE_THRESHOLD: '10',
  PSP_CIRCUIT_WINDOW_MS: '30000',
  PSP_CIRCUIT_COOL_DOWN_MS: '30000',
} as const;

/**
 * The sweeper's workers: orders per due-index page, orders in flight per worker, and the margin left of a
 * worker's timeout when it stops paginating and hands its shard's continuation back to the queue.
 * 8 shards x 4 in flight / ~0.3 s per order (one PSP read, 2-3 DynamoDB writes) = ~107 orders/s: 100,000 due
 * orders in ~16 minutes, if Stripe's read budget allows 107/s. At 1,000 payments/s (16 shards, parallelism 8):
 * 16 x 8 / 0.3 = ~430/s, 100,000 in ~4 minutes.
 */
export const SWEEP_WORKER_ENVIRONMENT = {
  SWEEP_PAGE_SIZE: '100',
  SWEEP_PARALLELISM: '4',
  SWEEP_BUDGET_MARGIN_MS: '20000',
} as const;

/** A worker's timeout: it paginates for timeout - margin (100 s), then re-enqueues its continuation. */
const SWEEP_WORKER_TIMEOUT_SECONDS = 120;

export const loadShapingQueues: readonly QueueSpec[] = [
  {
    id: 'sweep-shards',
    description:
      'One message per due-index shard (from the scheduled sweeper) or a shard continuation (from a worker).',
    // >= 6x the worker's timeout (AWS guidance for a Lambda consumer).
    visibilityTimeoutSeconds: 6 * SWEEP_WORKER_TIMEOUT_SECONDS,
    deadLetter: { queue: 'sweep-shards-dlq', maxReceiveCount: 3 },
    retentionDays: 1,
  },
  {
    id: 'sweep-shards-dlq',
    description: 'Shard sweeps that failed 3 times: an alarm fires on any message here.',
    visibilityTimeoutSeconds: 30,
    retentionDays: 14,
  },
];

/** The worker of one due-index shard; `access` is the pay-in's money access, given by the manifest index. */
export function sweepShardWorker(access: FunctionSpec['access'], environment: FunctionSpec['environment']) {
  return {
    id: 'sweep-payment-orders-shard',
    description:
      "One due-index shard: pages through its due orders within a time budget, then re-enqueues what's left.",
    entry: 'lambdas/handlers/sweep-payment-orders-shard.ts',
    timeoutSeconds: SWEEP_WORKER_TIMEOUT_SECONDS,
    access: {
      ...access,
      tables: { ...access?.tables, ...CIRCUIT_ACCESS },
      queues: { 'sweep-shards': 'sendAndConsume' },
    },
    environment: { ...environment, ...PSP_HOT_PATH_ENVIRONMENT, ...SWEEP_WORKER_ENVIRONMENT },
    // One worker per shard (SWEEP_SHARDS = 8; a lease in `coordination` keeps a shard to one worker): this
    // cap times SWEEP_PARALLELISM bounds the sweeper's PSP reads.
    reservedConcurrency: 8,
  } satisfies FunctionSpec;
}
