/**
 * Queues and dead-letter queues for the operator: counts, the messages waiting in a DLQ, and redrive (each
 * message sent back to the queue it came from, then deleted from the DLQ: SQS's StartMessageMoveTask, done
 * by hand because the local engine lacks it). A message is sent before it is deleted, so a crash between the
 * two leaves a copy in both queues, never none; every consumer is idempotent, so a copy applies once.
 *
 * Only DLQs are read message by message: receiving from a live queue would hide messages from their consumer
 * and count as a receive towards the redrive limit.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueSpec } from '../../lib/manifest';
import { ApiError } from '../api/errors';
import { OperatorErrorCode } from './errors';

export interface QueuesContext {
  readonly sqs: SQSClient;
  readonly queues: readonly QueueSpec[];
  readonly urlOf: (id: string) => string;
}

/** The queue whose dead letters land in `dlqId`, if it is a DLQ. */
export function sourceOf(queues: readonly QueueSpec[], dlqId: string): QueueSpec | undefined {
  return queues.find((q) => q.deadLetter?.queue === dlqId);
}

function spec(ctx: QueuesContext, id: string): QueueSpec {
  const found = ctx.queues.find((q) => q.id === id);
  if (!found) throw new ApiError(404, OperatorErrorCode.UnknownQueue, `no queue ${id}`);
  return found;
}

function deadLetterSource(ctx: QueuesContext, id: string): QueueSpec {
  spec(ctx, id);
  const source = sourceOf(ctx.queues, id);
  if (!source) {
    throw new ApiError(400, OperatorErrorCode.NotADeadLetterQueue, `${id} is not a dead-letter queue`, {
      queue_id: id,
    });
  }
  return source;
}

export async function listQueues(ctx: QueuesContext) {
  return Promise.all(
    ctx.queues.map(async (q) => {
      const attrs = await ctx.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: ctx.urlOf(q.id),
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const source = sourceOf(ctx.queues, q.id);
      return {
        queue_id: q.id,
        description: q.description,
        is_dead_letter_queue: source !== undefined,
        ...(source ? { source_queue: source.id } : {}),
        ...(q.deadLetter ? { dead_letter_queue: q.deadLetter.queue } : {}),
        messages: Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0),
        in_flight: Number(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    }),
  );
}

function messageView(m: Message) {
  let body: unknown = m.Body ?? '';
  try {
    body = JSON.parse(m.Body ?? '');
  } catch {
    // not JSON: shown as text
  }
  return {
    message_id: m.MessageId ?? '',
    body,
    receive_count: Number(m.Attributes?.ApproximateReceiveCount ?? 0),
    sent_at: m.Attributes?.SentTimestamp ? new Date(Number(m.Attributes.SentTimestamp)).toISOString() : null,
    attributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? null]),
    ),
  };
}

async function receive(ctx: QueuesContext, id: string, max: number, visibilitySeconds: number) {
  const out: Message[] = [];
  // A few receives: SQS answers a sample of the queue's messages each time.
  for (let attempt = 0; attempt < 10 && out.length < max; attempt++) {
    const got = await ctx.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ctx.urlOf(id),
        MaxNumberOfMessages: Math.min(10, max - out.length),
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (!got.Messages?.length) break;
    out.push(...got.Messages);
  }
  return out;
}

async function release(ctx: QueuesContext, id: string, messages: readonly Message[]) {
  await Promise.all(
    messages.map((m) =>
      ctx.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: ctx.urlOf(id),
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      ),
    ),
  );
}

/** The messages waiting in a DLQ (up to `max`), left in place (visible again at once). */
export async function peekDeadLetters(ctx: QueuesContext, id: string, max: number) {
  const source = deadLetterSource(ctx, id);
  const messages = await receive(ctx, id, max, 30);
  await release(ctx, id, messages);
  return { queue_id: id, source_queue: source.id, messages: messages.map(messageView) };
}

/** Moves up to `max` messages (or only those named) from a DLQ back to its source queue. */
export async function redrive(
  ctx: QueuesContext,
  id: string,
  options: { readonly max: number; readonly messageIds?: readonly string[] },
  onProgress?: (moved: number) => void,
) {
  const source = deadLetterSource(ctx, id);
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  const moved: string[] = [];
  const skipped: Message[] = [];
  while (moved.length < options.max) {
    const batch = await receive(ctx, id, Math.min(10, options.max - moved.length), 60);
    if (batch.length === 0) break;
    for (const m of batch) {
      if (wanted && !wanted.has(m.MessageId ?? '')) {
        skipped.push(m);
        continue;
      }
      await ctx.sqs.send(
        new SendMessageCommand({
          QueueUrl: ctx.urlOf(source.id),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length
            ? { MessageAttributes: m.MessageAttributes }
            : {}),
        }),
      );
      await ctx.sqs.send(
        new DeleteMessageCommand({ QueueUrl: ctx.urlOf(id), ReceiptHandle: m.ReceiptHandle }),
      );
      moved.push(m.MessageId ?? '');
      onProgress?.(moved.length);
    }
    if (wanted && [...wanted].every((w) => moved.includes(w))) break;
    // Named messages only: stop once a receive brings nothing new.
    if (wanted && batch.every((m) => !wanted.has(m.MessageId ?? ''))) break;
  }
  await release(ctx, id, skipped);
  return { queue_id: id, source_queue: source.id, moved: moved.length, message_ids: moved };
}
