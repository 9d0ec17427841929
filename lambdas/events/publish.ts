/**
 * Publishing the events of a batch of stream records, in order, stopping at the first record that fails. The
 * stream's event source retries from that record (records before it are checkpointed), so later records are
 * not published ahead of it and then again on the retry.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { eventsOfChange, type ItemChange, itemChange } from './derive';
import type { DomainEvent } from './types';

export type PublishEvent = (event: DomainEvent) => Promise<void>;

export interface PublishOptions {
  /** Told about the record that failed (for logging: its sequence number and the error, never its images). */
  readonly onFailure?: (record: DynamoDBRecord, error: unknown) => void;
  /**
   * Projections kept from the same changes (buyer totals, lambdas/refunds/buyer-totals.ts), run before the
   * change's events are published; they must be replay-safe: a failed record is retried from the start.
   */
  readonly project?: (change: ItemChange) => Promise<unknown>;
}

export async function publishChanges(
  records: readonly DynamoDBRecord[],
  publish: PublishEvent,
  options: PublishOptions = {},
): Promise<DynamoDBBatchResponse> {
  for (const record of records) {
    try {
      const change = itemChange(record);
      await options.project?.(change);
      for (const event of eventsOfChange(change)) await publish(event);
    } catch (error) {
      options.onFailure?.(record, error);
      // An empty identifier makes Lambda retry the whole batch, which is still correct.
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
