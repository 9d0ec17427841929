/**
 * DynamoDB stream of the `payments` table, filtered to orders written SUCCESS or FAILED -> the checkout closed
 * (is_payment_done) when its last order has just ended (lambdas/payments/checkout-closer.ts). Reports the first
 * record it could not handle, so the event source retries from there and, after its retries, describes the
 * records on its on-failure queue (alarmed).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { itemChange } from '../events/derive';
import { closeCheckoutOfEndedOrder } from '../payments/checkout-closer';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { ordersContext } from '../shared/wiring';

async function handle(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    try {
      const outcome = await closeCheckoutOfEndedOrder(ordersContext(), itemChange(record));
      if (outcome === 'closed')
        logger.info('checkout closed from the stream', { keys: record.dynamodb?.Keys });
    } catch (error) {
      logger.error('the checkout of an ended order was not closed', {
        sequenceNumber: record.dynamodb?.SequenceNumber,
        keys: record.dynamodb?.Keys,
        error,
      });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}

export const handler = instrumented(handle);
