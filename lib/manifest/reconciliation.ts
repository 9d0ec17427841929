/**
 * Reconciliation (issue 12): the settlement file's trigger, the function that reconciles it, the operator's
 * resolution function, the break records' table, and the finance and investigation queues (people consume
 * them; their DLQs catch what a consumer keeps failing on).
 */
import { MONEY_BACK_POLICY } from './refunds';
import type { BucketSpec, FunctionSpec, QueueSpec, TableSpec } from './types';

/** Everything the simulator (and the PSP's delivery) writes under `settlements/` is a settlement file. */
export const SETTLEMENTS_TRIGGER: NonNullable<BucketSpec['onObjectCreated']> = {
  function: 'reconcile-settlement',
  prefix: 'settlements/',
};

export const reconciliationTables: readonly TableSpec[] = [
  {
    id: 'reconciliation',
    description:
      "Reconciliation runs (by content hash), each day's latest report, breaks and their audited resolutions.",
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
];

export const reconciliationQueues: readonly QueueSpec[] = [
  {
    id: 'reconciliation-breaks',
    description:
      'Finance: reconciliation breaks that need a person, each with its row, line, records and report.',
    visibilityTimeoutSeconds: 300,
    deadLetter: { queue: 'reconciliation-breaks-dlq', maxReceiveCount: 5 },
    retentionDays: 14,
  },
  {
    id: 'reconciliation-breaks-dlq',
    description: 'Finance breaks a consumer failed on 5 times: an alarm fires on any message here.',
    visibilityTimeoutSeconds: 30,
    retentionDays: 14,
  },
  {
    id: 'reconciliation-investigation',
    description:
      'Settlement rows that fit no class (unknown categories, unreadable rows): to be investigated.',
    visibilityTimeoutSeconds: 300,
    deadLetter: { queue: 'reconciliation-investigation-dlq', maxReceiveCount: 5 },
    retentionDays: 14,
  },
  {
    id: 'reconciliation-investigation-dlq',
    description: 'Investigation items a consumer failed on 5 times: an alarm fires on any message here.',
    visibilityTimeoutSeconds: 30,
    retentionDays: 14,
  },
];

const RECONCILE_ACCESS = {
  tables: {
    payments: 'readWrite',
    ledger: 'append',
    wallets: 'readWrite',
    reconciliation: 'readWrite',
    // Transfer rows are matched against sellers' payouts.
    payouts: 'read',
  },
  queues: { 'reconciliation-breaks': 'send', 'reconciliation-investigation': 'send' },
  buckets: { settlements: 'readWrite' },
  secrets: ['stripe-api-key'],
} as const;

export const reconciliationFunctions: readonly FunctionSpec[] = [
  {
    id: 'reconcile-settlement',
    description:
      'A settlement file created under settlements/ -> every row matched or classified, breaks repaired or handed over, a report.',
    entry: 'lambdas/handlers/reconcile-settlement.ts',
    // A 1M-row file: the benchmark (npm run bench:recon) measures the whole run; 15 min is Lambda's limit.
    timeoutSeconds: 900,
    // 2 GB: the run keeps two id sets (rows and orders seen, ~1M each) and a batch of records in memory; at
    // 1,769 MB Lambda gives one full vCPU, which the single-threaded parser and the SDK's JSON need.
    memoryMb: 2048,
    access: RECONCILE_ACCESS,
    environment: {
      // A refund or dispute whose events never reached us is applied as the webhook would: the same policy.
      ...MONEY_BACK_POLICY,
      // Stripe's standard US card pricing: 2.9 % + 30 cents, the simulator's schedule.
      PSP_FEE_SCHEDULE: JSON.stringify({ basis_points: 290, fixed_minor: 30 }),
      SETTLEMENT_WINDOW_HOURS: '48',
      RECONCILE_INTERNAL_CHECKS: 'true',
      // A repaired order is posted like the pay-in would have (orders carry their own rate; this is the
      // fallback), so the same value as the pay-in functions (the local runtime rejects two values).
      PLATFORM_COMMISSION_BPS: '1000',
      RECON_PSP_TIMEOUT_MS: '10000',
    },
    // One file at a time: two runs of the same day would only race on the same breaks and postings.
    reservedConcurrency: 1,
  },
  {
    id: 'resolve-reconciliation-break',
    description:
      "An operator's resolution of a break (accept, link, write off): audited, idempotent, re-evaluated.",
    entry: 'lambdas/handlers/resolve-reconciliation-break.ts',
    timeoutSeconds: 30,
    access: {
      tables: {
        payments: 'read',
        ledger: 'append',
        wallets: 'readWrite',
        reconciliation: 'readWrite',
        payouts: 'read',
      },
    },
  },
];
