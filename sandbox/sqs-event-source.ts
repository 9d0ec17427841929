/**
 * Lambda's SQS event source mapping, locally: long-polls the queue, hands the function a batch, deletes the
 * records that succeeded and leaves the rest to reappear after the visibility timeout. The queue's redrive
 * policy (enforced by the SQS engine on receive) moves a message to the DLQ after maxReceiveCount receives.
 * With ReportBatchItemFailures, only the reported records are retried; a thrown error or an unknown item id
 * fails the whole batch, as on AWS.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueueEventSourceSpec } from '../lib/manifest';
import { LOCAL_REGION } from './engines/local-aws';
import { describeError, type LambdaHost } from './lambda-host';

export interface QueueEventSource {
  stop(): Promise<void>;
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId
        ? { MessageDeduplicationId: attributes.MessageDeduplicationId }
        : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined
            ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
            : {}),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/** Which records to delete: all but the reported failures, or none when the response is not trustworthy. */
export function succeededRecords(records: readonly SQSRecord[], response: unknown): SQSRecord[] {
  if (response === undefined || response === null) return [...records];
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return [...records];
  if (!Array.isArray(failures)) return [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown }).itemIdentifier;
    // An empty or unknown id makes Lambda treat the whole batch as failed.
    if (typeof id !== 'string' || !ids.has(id)) return [];
    failed.add(id);
  }
  return records.filter((r) => !failed.has(r.messageId));
}

export function startQueueEventSource(
  spec: QueueEventSourceSpec,
  queue: { url: string; arn: string },
  sqs: SQSClient,
  host: LambdaHost,
  options: { pollers?: number } = {},
): QueueEventSource {
  let running = true;
  const controller = new AbortController();

  const pollOnce = async (): Promise<void> => {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(spec.batchSize, 10),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: controller.signal },
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return;
    const records = messages.map((m) => toRecord(m, queue.arn));
    const event: SQSEvent = { Records: records };
    let toDelete: SQSRecord[];
    try {
      toDelete = succeededRecords(records, await host.invoke(spec.function, event));
    } catch (error) {
      console.error(`[sqs] ${spec.function} failed a batch of ${records.length}: ${describeError(error)}`);
      toDelete = [];
    }
    if (toDelete.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: toDelete.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  };

  const loop = async (): Promise<void> => {
    while (running) {
      try {
        await pollOnce();
      } catch (error) {
        if (!running) return;
        console.error(`[sqs] polling ${spec.queue} failed: ${describeError(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  const loops = Array.from({ length: options.pollers ?? 2 }, () => loop());
  return {
    async stop() {
      running = false;
      controller.abort();
      await Promise.allSettled(loops);
    },
  };
}
