/**
 * Scheduled sweeper (every minute): fans the sweep out, one message on the sweep-shards queue per due-index
 * shard that has an order due (lambdas/payments/due-shards.ts: an idle shard costs a key read, not a worker);
 * `sweep-payment-orders-shard` drives each shard's orders past their deadline forward by asking the PSP
 * (lambdas/payments/sweep-shards.ts has the design and the arithmetic).
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { dueShards } from '../payments/due-shards';
import { SWEEP_SHARDS } from '../payments/keys';
import type { ShardSweepMessage } from '../payments/sweep-shards';
import { documentClient, sqsClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';

const queueUrl = resource('queue', 'sweep-shards');
const paymentsTable = resource('table', 'payments');

async function handle(): Promise<{ shards: number; idle: number }> {
  const due = await dueShards(documentClient(), paymentsTable, new Date());
  // Read failures are dispatched (a missed sweep costs more than a wasted one), and logged for the curious.
  if (due.unread > 0) logger.warn('due shards not readable; sweeping them anyway', { unread: due.unread });
  const messages: ShardSweepMessage[] = due.shards.map((shard) => ({ shard }));
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
  const idle = SWEEP_SHARDS - messages.length;
  logger.info('sweep dispatched', { shards: messages.length, idle });
  return { shards: messages.length, idle };
}

export const handler = instrumented(handle);
