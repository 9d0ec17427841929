/**
 * DynamoDB stream of the `payments` table -> each order move appended to the order's history, and domain
 * events on the `domain-events` topic. Runs on committed
 * changes only (a cancelled transaction writes nothing to the stream), at least once per change: receivers
 * deduplicate on the event id. Reports the first record it could not publish, so the event source retries from
 * there and, after its retries, describes the records on its on-failure queue.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { envVarFor } from '../../lib/manifest/naming';
import { type ItemChange, publishChanges, snsPublisher } from '../events';
import { projectOrderHistory } from '../payments/history-projection';
import { projectBuyerTotals } from '../refunds/buyer-totals';
import { documentClient, snsClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { instrumented } from '../shared/observability';

const logger = new Logger();
const publish = snsPublisher(snsClient(), resource('topic', 'domain-events'));

// Order history and buyer totals are projected from the payments table's changes where the function is granted
// its tables (the manifest grants them; a test system that only publishes does not). The payouts table's
// changes project nothing.
const paymentsTable = Boolean(process.env[envVarFor('table', 'payments')]);
const historyCtx = paymentsTable
  ? { db: documentClient(), tables: { payments: resource('table', 'payments') } }
  : undefined;
const buyerCtx =
  paymentsTable && process.env[envVarFor('table', 'wallets')]
    ? {
        db: documentClient(),
        tables: { payments: resource('table', 'payments'), wallets: resource('table', 'wallets') },
      }
    : undefined;

async function project(change: ItemChange): Promise<void> {
  if (historyCtx) await projectOrderHistory(historyCtx, change);
  if (buyerCtx) await projectBuyerTotals(buyerCtx, change);
}

async function handle(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return publishChanges(event.Records, publish, {
    project,
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
