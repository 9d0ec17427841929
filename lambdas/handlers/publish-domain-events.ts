/**
 * DynamoDB stream of the `payments` table -> domain events on the `domain-events` topic. Runs on committed
 * changes only (a cancelled transaction writes nothing to the stream), at least once per change: receivers
 * deduplicate on the event id. Reports the first record it could not publish, so the event source retries from
 * there and, after its retries, describes the records on its on-failure queue.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { envVarFor } from '../../lib/manifest/naming';
import { publishChanges, snsPublisher } from '../events';
import { projectBuyerTotals } from '../refunds/buyer-totals';
import { documentClient, snsClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { instrumented } from '../shared/observability';

const logger = new Logger();
const publish = snsPublisher(snsClient(), resource('topic', 'domain-events'));

// Buyer totals are projected from the payments table's changes where the function is granted its tables (the
// manifest grants them; a test system that only publishes does not). The payouts table's changes project nothing.
const buyerTables = Boolean(
  process.env[envVarFor('table', 'wallets')] && process.env[envVarFor('table', 'payments')],
);
const buyerCtx = buyerTables
  ? {
      db: documentClient(),
      tables: { payments: resource('table', 'payments'), wallets: resource('table', 'wallets') },
    }
  : undefined;

async function handle(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return publishChanges(event.Records, publish, {
    ...(buyerCtx ? { project: (change) => projectBuyerTotals(buyerCtx, change) } : {}),
    onFailure: (record, error) =>
      logger.error('domain events of a change were not published', {
        sequenceNumber: record.dynamodb?.SequenceNumber,
        eventName: record.eventName,
        keys: record.dynamodb?.Keys,
        error,
      }),
  });
}

export const handler = instrumented(handle);
