/**
 * Business and operational metrics, the one way handlers and use cases emit them: the names, the namespace
 * and the dimensions come from the contract in `lib/manifest/metrics.ts`, which the alarms and the dashboard
 * read, so a metric emitted here always matches its alarm. Metrics are buffered and flushed at the end of the
 * invocation by `instrumented` (lambdas/shared/observability.ts). Amounts are integer minor units.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, MetricName, type ReconciliationBreakClass } from '../../lib/manifest/metrics';

export { MetricName } from '../../lib/manifest/metrics';

/** The service dimension (Powertools' default) is every metric's only dimension unless stated otherwise. */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'marketplace-payments',
});

const count = (name: MetricName, value = 1) => metrics.addMetric(name, MetricUnit.Count, value);

/** An amount per currency: its own EMF record, so the `currency` dimension never touches the alarmed counts. */
function amount(name: MetricName, minor: bigint | number, currency: string): void {
  const single = metrics.singleMetric();
  single.addDimension('currency', currency.toUpperCase());
  // EMF values are doubles: exact for amounts below 2^53 minor units, far above any one payment.
  single.addMetric(name, MetricUnit.Count, Number(minor));
}

export const businessMetrics = {
  payInSucceeded(minor: bigint | number, currency: string): void {
    count(MetricName.PayInSucceeded);
    amount(MetricName.PayInAmount, minor, currency);
  },
  payInFailed(): void {
    count(MetricName.PayInFailed);
  },
  payoutSucceeded(minor: bigint | number, currency: string): void {
    count(MetricName.PayoutSucceeded);
    amount(MetricName.PayoutAmount, minor, currency);
  },
  payoutFailed(): void {
    count(MetricName.PayoutFailed);
  },
  /** The payout sweeper, on each run: the oldest reserved payout hold (0 when none) and how many are late. */
  payoutHolds(oldestAgeSeconds: number, pastUsualTime: number): void {
    metrics.addMetric(MetricName.OldestPayoutHoldAgeSeconds, MetricUnit.Seconds, oldestAgeSeconds);
    metrics.addMetric(MetricName.PayoutsPastUsualTime, MetricUnit.Count, pastUsualTime);
  },
  unhandledPayoutProviderEvent(): void {
    count(MetricName.UnhandledPayoutProviderEvents);
  },
  refundSucceeded(minor: bigint | number, currency: string): void {
    count(MetricName.RefundSucceeded);
    amount(MetricName.RefundAmount, minor, currency);
  },
  refundFailed(): void {
    count(MetricName.RefundFailed);
  },
  needsAttention(): void {
    count(MetricName.NeedsAttentionCreated);
  },
  /** Breaks of one class found by a run (emit once per class per run, zero included, so the graph is honest). */
  reconciliationBreaks(breakClass: ReconciliationBreakClass, howMany: number): void {
    const single = metrics.singleMetric();
    single.addDimension('class', breakClass);
    single.addMetric(MetricName.ReconciliationBreaks, MetricUnit.Count, howMany);
  },
  webhookSignatureFailure(): void {
    count(MetricName.WebhookSignatureFailures);
  },
  /** Whenever the circuit is evaluated: 1 open, 0 closed (the alarm reads the maximum). */
  pspCircuit(open: boolean): void {
    metrics.addMetric(MetricName.PspCircuitOpen, MetricUnit.Count, open ? 1 : 0);
  },
  /** One PSP call: its latency, and whether it failed for a reason that is not the buyer's. */
  pspCall(latencyMs: number, failed: boolean): void {
    metrics.addMetric(MetricName.PspLatency, MetricUnit.Milliseconds, latencyMs);
    if (failed) count(MetricName.PspErrors);
  },
  /** The sweeper, on each run: the age of the oldest order that is not terminal (0 when there is none). */
  oldestNonTerminalOrder(ageSeconds: number): void {
    metrics.addMetric(MetricName.OldestNonTerminalOrderAgeSeconds, MetricUnit.Seconds, ageSeconds);
  },
  ledgerItemModified(howMany = 1): void {
    count(MetricName.LedgerItemModified, howMany);
  },
};
