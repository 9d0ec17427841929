/**
 * The pay-in's own manifest entries: the needs-attention store and the alarms on the pay-in's metrics
 * (lambdas/attention/metrics.ts emits them).
 */
import type { MetricAlarmSpec, TableSpec } from './types';

export const payinTables: TableSpec[] = [
  {
    id: 'attention',
    description:
      'Needs-attention records: what a person must act on (amount mismatch, money captured for a FAILED order, ...).',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    // By status and time, sharded (gsi1pk = {status}#{shard}) so a burst of problems makes no hot key.
    globalIndexes: [
      { name: 'gsi1', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } },
    ],
  },
];

export const payinMetricAlarms: MetricAlarmSpec[] = [
  {
    id: 'needs-attention',
    description: 'A needs-attention record was written: a person must act (see the attention table).',
    metricName: 'NeedsAttention',
    statistic: 'Sum',
    threshold: 1,
    periodMinutes: 5,
  },
  {
    id: 'sweeper-order-failures',
    description: 'The sweeper could not move some orders for 15 minutes in a row.',
    metricName: 'SweeperOrderFailures',
    statistic: 'Sum',
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 3,
  },
  {
    id: 'oldest-open-order-age',
    description: 'An order the sweeper sees has been non-terminal for over 25 hours.',
    metricName: 'OldestOpenOrderAgeSeconds',
    statistic: 'Maximum',
    threshold: 25 * 3600,
    periodMinutes: 5,
  },
];

/** Functions that record needs-attention problems get this table. */
export const ATTENTION_ACCESS = { attention: 'readWrite' } as const;
