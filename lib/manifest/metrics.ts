/**
 * The custom metrics contract: the CloudWatch namespace, the metric names and their dimensions that handlers
 * emit (through `lambdas/shared/metrics.ts`) and that the alarms and the dashboard (`lib/constructs/operations.ts`)
 * read. An alarm matches a metric only on the exact namespace, name AND dimension set, so both sides take them
 * from here. Pure data: nothing here imports aws-cdk-lib or the AWS SDK.
 */

/** Every custom metric lives in this namespace. */
export const METRICS_NAMESPACE = 'MarketplacePayments';

/**
 * Every custom metric carries the `service` dimension (the manifest's service name; Powertools adds it as its
 * default dimension). Alarmed metrics carry no other dimension, except `class` on reconciliation breaks.
 */
export const SERVICE_DIMENSION = 'service';

export const MetricName = {
  /** Count, one per payment order that reached SUCCESS (emitted once, by the code that records the success). */
  PayInSucceeded: 'PayInSucceeded',
  /** Count, one per payment order that reached FAILED. With PayInSucceeded: the failure-rate alarm. */
  PayInFailed: 'PayInFailed',
  /** Minor units, dimension `currency` (dashboard only: sums are only meaningful per currency). */
  PayInAmount: 'PayInAmount',
  /** Seconds: age of the oldest order that is not terminal, as seen by the sweeper on each run (gauge). */
  OldestNonTerminalOrderAgeSeconds: 'OldestNonTerminalOrderAgeSeconds',
  /** Count per sweep: orders the sweeper could not move because of an error (dashboard; no alarm yet). */
  SweeperOrderFailures: 'SweeperOrderFailures',
  /** Count, one per needs-attention record created (an outcome only a person can resolve). */
  NeedsAttentionCreated: 'NeedsAttentionCreated',
  /** Count, dimension `class` (see RECONCILIATION_BREAK_CLASSES): breaks found by a reconciliation run. */
  ReconciliationBreaks: 'ReconciliationBreaks',
  /** Count, one per webhook request refused for its signature. */
  WebhookSignatureFailures: 'WebhookSignatureFailures',
  /** Gauge 0/1: 1 while the shared "PSP degraded" circuit is open (emitted whenever it is evaluated). */
  PspCircuitOpen: 'PspCircuitOpen',
  /** Milliseconds, one per PSP call (dashboard: PSP latency). */
  PspLatency: 'PspLatency',
  /** Count, one per PSP call that failed for a reason not the buyer's (timeouts, 5xx, 429). */
  PspErrors: 'PspErrors',
  /** Count: a ledger item was modified or removed (the ledger is append-only: this must never happen). */
  LedgerItemModified: 'LedgerItemModified',
  /** Count, one per payout that reached PAID (its hold posted). */
  PayoutSucceeded: 'PayoutSucceeded',
  /** Count, one per payout that reached FAILED or RETURNED (its money available again). */
  PayoutFailed: 'PayoutFailed',
  /** Seconds: age of the oldest payout hold still reserved (an open payout), per sweep (gauge; 0 when none). */
  OldestPayoutHoldAgeSeconds: 'OldestPayoutHoldAgeSeconds',
  /** Gauge per sweep: open payouts older than their provider's usual time (Stripe 2 days, payee network 5). */
  PayoutsPastUsualTime: 'PayoutsPastUsualTime',
  /** Count: a payout provider's event of a type we do not handle (either provider). */
  UnhandledPayoutProviderEvents: 'UnhandledPayoutProviderEvents',
  /** Minor units, dimension `currency`. */
  PayoutAmount: 'PayoutAmount',
  RefundSucceeded: 'RefundSucceeded',
  RefundFailed: 'RefundFailed',
  /** Minor units, dimension `currency`. */
  RefundAmount: 'RefundAmount',
  /**
   * Count, one per refund (or money-back event) that needs a person: pending at the PSP too long, not found
   * after the key window, a transfer reversal that failed or stays unknown, a PSP refund no order can bear.
   * Alarmed (refunds-need-attention); each also writes a needs-attention record.
   */
  RefundsNeedingAttention: 'RefundsNeedingAttention',
  /** Count: a paid-out seller's transfer reversal the PSP refused (their receivable stays; dashboard). */
  TransferReversalsRefused: 'TransferReversalsRefused',
  /** Count: a paid-out seller's transfer reversal that succeeded (dashboard). */
  TransferReversalsSucceeded: 'TransferReversalsSucceeded',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** The classes of a reconciliation break (DESIGN.md §3), as the `class` dimension's values. */
export const RECONCILIATION_BREAK_CLASSES = [
  'missing_internally',
  'missing_in_file',
  'amount_mismatch',
  'fee_mismatch',
  'currency_mismatch',
  'status_mismatch',
  'split_mismatch',
  'duplicate',
] as const;
export type ReconciliationBreakClass = (typeof RECONCILIATION_BREAK_CLASSES)[number];
