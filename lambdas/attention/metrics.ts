/**
 * The operational metrics of the money paths, as CloudWatch embedded-metric log lines (Powertools Metrics): no
 * API call, no extra latency. The alarms on them are in lib/constructs/operations.ts.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { MetricName as ContractMetric, METRICS_NAMESPACE } from '../../lib/manifest/metrics';

/** Names from the metrics contract (lib/manifest/metrics.ts), which the alarms read. */
export const MetricName = {
  /** A needs-attention record was written (any kind): the needs-attention alarm. */
  NeedsAttention: ContractMetric.NeedsAttentionCreated,
  /** Orders one sweep could not move because of an error. */
  SweeperOrderFailures: ContractMetric.SweeperOrderFailures,
  /** Age of the oldest non-terminal order the sweeper saw, in seconds: the oldest-non-terminal-order alarm. */
  OldestOpenOrderAgeSeconds: ContractMetric.OldestNonTerminalOrderAgeSeconds,
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

export interface MetricSink {
  count(name: MetricName, value?: number): void;
  seconds(name: MetricName, value: number): void;
}

let metrics: Metrics | undefined;

/** Powertools Metrics, namespace and service from POWERTOOLS_* (set for every function from the manifest). */
export function powertoolsMetrics(): MetricSink {
  metrics ??= new Metrics({ namespace: METRICS_NAMESPACE });
  const emit = (name: MetricName, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    metrics?.addMetric(name, unit, value);
    metrics?.publishStoredMetrics();
  };
  return {
    count: (name, value = 1) => emit(name, MetricUnit.Count, value),
    seconds: (name, value) => emit(name, MetricUnit.Seconds, value),
  };
}

/** For tests: remembers what was emitted. */
export function recordingMetrics(): MetricSink & { readonly emitted: { name: MetricName; value: number }[] } {
  const emitted: { name: MetricName; value: number }[] = [];
  return {
    emitted,
    count: (name, value = 1) => emitted.push({ name, value }),
    seconds: (name, value) => emitted.push({ name, value }),
  };
}
