/**
 * The pay-in's own manifest entries: the needs-attention store. Its metric (NeedsAttentionCreated) and the
 * sweeper's are in the metrics contract (./metrics.ts); their alarms in lib/constructs/operations.ts.
 */
import type { TableSpec } from './types';

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

/** Functions that record needs-attention problems get this table. */
export const ATTENTION_ACCESS = { attention: 'readWrite' } as const;
