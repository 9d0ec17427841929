/**
 * The ledger table's stream: any MODIFY or REMOVE of a ledger item is counted (metric LedgerItemModified, which
 * alarms on the first) and logged at ERROR with its keys, so a person looks at it (docs/runbooks/ledger-item-modified.md).
 * Nothing here can fail a batch: an alarm is the whole job, and a retry would only count the change twice.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ledgerViolations } from '../ops/ledger-watch';
import { logger } from '../shared/logger';
import { businessMetrics } from '../shared/metrics';
import { instrumented } from '../shared/observability';

async function handle(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const violations = ledgerViolations(event.Records);
  for (const violation of violations) {
    logger.error('ledger item modified or removed: the ledger is append-only', {
      event_name: violation.eventName,
      keys: violation.keys,
      sequence_number: violation.sequenceNumber,
      principal: violation.principal,
    });
  }
  if (violations.length > 0) businessMetrics.ledgerItemModified(violations.length);
  return { batchItemFailures: [] };
}

export const handler = instrumented(handle);
