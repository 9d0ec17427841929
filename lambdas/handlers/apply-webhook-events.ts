/**
 * Consumer of the webhook queue: applies each stored PSP event to our orders, idempotently. A record that
 * fails is reported alone (partial batch response) and made visible again after a backoff that grows with
 * its receive count (with jitter); after the queue's maxReceiveCount it moves to the DLQ, which alarms.
 */
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type Stripe from 'stripe';
import { applyPayeeEvent, isPayeeEvent } from '../payouts/payee-webhook';
import { executorDependencies, payoutsContext } from '../payouts/wiring';
import { documentClient, sqsClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { paymentProvider } from '../shared/psp-wiring';
import { paymentsContext, paymentTiming } from '../shared/wiring';
import { applyEvent } from '../webhooks/apply';
import { loadEvent, markApplied } from '../webhooks/inbox';

const inbox = { db: documentClient(), table: resource('table', 'webhook-events') };
const queueUrl = resource('queue', 'webhook-events');
const BASE_BACKOFF_SECONDS = Number(process.env.WEBHOOK_RETRY_BASE_SECONDS ?? 5);

async function applyRecord(record: SQSRecord): Promise<void> {
  const { event_id: eventId } = JSON.parse(record.body) as { event_id: string };
  const stored = await loadEvent(inbox, eventId);
  if (!stored) throw new Error(`event ${eventId} is not in the inbox`);
  if (stored.status === 'APPLIED') return;
  // The payee network's events (the asynchronous payout provider) share the inbox, not Stripe's shape.
  const outcome = isPayeeEvent(stored.type)
    ? await applyPayeeEvent(payoutsContext(), await executorDependencies(), stored.payload)
    : await applyEvent(
        paymentsContext(),
        JSON.parse(stored.payload) as Stripe.Event,
        paymentTiming(),
        await paymentProvider(),
      );
  await markApplied(inbox, eventId, outcome);
  logger.info('webhook event applied', { event_id: eventId, type: stored.type, outcome });
}

/** Exponential backoff with full jitter, capped at 15 minutes. */
function backoffSeconds(receiveCount: number): number {
  const ceiling = Math.min(900, BASE_BACKOFF_SECONDS * 2 ** Math.max(0, receiveCount - 1));
  return Math.max(1, Math.floor(Math.random() * ceiling));
}

async function handle(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      await applyRecord(record);
    } catch (error) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      logger.error('webhook event failed; will retry', {
        message_id: record.messageId,
        receive_count: receiveCount,
        error: error as Error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
      await sqsClient()
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: backoffSeconds(receiveCount),
          }),
        )
        .catch(() => undefined); // the visibility timeout applies instead
    }
  }
  return { batchItemFailures };
}

export const handler = instrumented(handle);
