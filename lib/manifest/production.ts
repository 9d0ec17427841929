/**
 * What production adds to the system (issue 13): the watcher of the ledger's immutability, on the ledger
 * table's stream, with the queue that receives the description of records it could not process.
 */
import type { FunctionSpec, QueueSpec, TableStreamEventSourceSpec } from './types';

export const productionQueues: readonly QueueSpec[] = [
  {
    id: 'ledger-watch-failures',
    description: 'On-failure destination of the ledger watcher: stream records it could not examine.',
    visibilityTimeoutSeconds: 30,
    retentionDays: 14,
  },
];

export const productionFunctions: readonly FunctionSpec[] = [
  {
    id: 'watch-ledger-changes',
    description: "Ledger table's stream: counts and logs any MODIFY or REMOVE of a ledger item (alarmed).",
    entry: 'lambdas/handlers/watch-ledger-changes.ts',
    timeoutSeconds: 30,
    access: { queues: { 'ledger-watch-failures': 'send' } },
  },
];

export const productionTableStreamEventSources: readonly TableStreamEventSourceSpec[] = [
  {
    table: 'ledger',
    function: 'watch-ledger-changes',
    batchSize: 100,
    // Everything still in the stream when the mapping is created: a change made before it is seen too.
    startingPosition: 'TRIM_HORIZON',
    maxRetryAttempts: 3,
    bisectBatchOnFunctionError: true,
    onFailureQueue: 'ledger-watch-failures',
    reportBatchItemFailures: true,
  },
];
