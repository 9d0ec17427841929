/**
 * Scheduled sweeper (every minute): fans the sweep out, one message per due-index shard on the sweep-shards
 * queue; `sweep-payment-orders-shard` drives each shard's orders past their deadline forward by asking the PSP
 * (lambdas/payments/sweep-shards.ts has the design and the arithmetic).
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { shardMessages } from '../payments/sweep-shards';
import { sqsClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';

const queueUrl = resource('queue', 'sweep-shards');

async function handle(): Promise<{ shards: number }> {
  const messages = shardMessages();
  // SQS takes 10 messages per batch.
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    const sent = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message) => ({
          Id: `shard-${message.shard}`,
          MessageBody: JSON.stringify(message),
        })),
      }),
    );
    // A shard left out this minute is swept the next; failing makes the schedule's error alarm see it.
    if (sent.Failed?.length) throw new Error(`could not enqueue ${sent.Failed.length} shard sweeps`);
  }
  logger.info('sweep dispatched', { shards: messages.length });
  return { shards: messages.length };
}

export const handler = instrumented(handle);
