/**
 * One due-index shard's sweep (from the sweep-shards queue): takes the shard's lease, pages through its due
 * orders within the time budget (timeout minus SWEEP_BUDGET_MARGIN_MS), and re-enqueues a continuation when
 * orders are left. Each order is driven forward through the same code as the webhook, behind the PSP circuit.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  claimShardLease,
  releaseShardLease,
  type ShardSweepMessage,
  sweepShard,
} from '../payments/sweep-shards';
import { documentClient, sqsClient } from '../shared/aws-clients';
import { chargingProvider, pspCircuit } from '../shared/charging';
import { optionalEnv, resource } from '../shared/config';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { paymentsContext, paymentTiming, riskProvider } from '../shared/wiring';

const queueUrl = resource('queue', 'sweep-shards');
const leases = { db: documentClient(), table: resource('table', 'coordination') };

async function sweepMessage(messageId: string, message: ShardSweepMessage, context: Context): Promise<void> {
  const now = Date.now();
  // Held until the worker's own deadline: a worker that dies frees its shard when its timeout would have.
  const held = await claimShardLease(
    leases,
    message.shard,
    messageId,
    now,
    now + context.getRemainingTimeInMillis(),
  );
  if (!held) {
    logger.info('shard is being swept by another worker', { shard: message.shard });
    return;
  }
  let continuation: ShardSweepMessage | undefined;
  try {
    const result = await sweepShard(
      paymentsContext(),
      { psp: await chargingProvider(), risk: riskProvider(), timing: paymentTiming(), circuit: pspCircuit() },
      message,
      {
        pageSize: Number(optionalEnv('SWEEP_PAGE_SIZE', '100')),
        parallelism: Number(optionalEnv('SWEEP_PARALLELISM', '4')),
        marginMs: Number(optionalEnv('SWEEP_BUDGET_MARGIN_MS', '20000')),
        remainingMs: () => context.getRemainingTimeInMillis(),
      },
    );
    logger.info('shard swept', { ...result, cursor: undefined, continuation: message.continuation ?? 0 });
    if (result.cursor) {
      continuation = {
        shard: message.shard,
        cursor: result.cursor,
        continuation: (message.continuation ?? 0) + 1,
      };
    }
  } finally {
    // Given back before the continuation is queued, so the continuation can take it at once.
    await releaseShardLease(leases, message.shard, messageId);
  }
  if (continuation) {
    await sqsClient().send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(continuation) }),
    );
  }
}

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      await sweepMessage(record.messageId, JSON.parse(record.body) as ShardSweepMessage, context);
    } catch (error) {
      logger.error('shard sweep failed; the queue retries it', {
        message_id: record.messageId,
        error: error as Error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = instrumented(handle);
