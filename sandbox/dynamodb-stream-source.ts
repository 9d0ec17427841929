/**
 * Lambda's DynamoDB stream event source mapping, locally: polls the table's stream on DynamoDB Local, hands the
 * function AWS-shaped batches in order per shard, and checkpoints what succeeded. As on AWS:
 * - a reported failure (`batchItemFailures`, the lowest sequence number wins) checkpoints the records before it
 *   and retries from it; a thrown error, a timeout, or an identifier that is not in the batch fail the batch;
 * - with `bisectBatchOnFunctionError`, a failing batch is split in two before its retries are counted (here also
 *   when the failure is reported on the batch's first record, so a bad record ends up retried alone);
 * - after `maxRetryAttempts` retries the batch is skipped and described (shard, sequence numbers: not the
 *   records) on the on-failure queue, in the shape Lambda writes to an on-failure destination;
 * - shards are read parent first; new shards (DynamoDB Local rotates them too) are found by describing the
 *   stream again and are read from their start.
 */

import { randomUUID } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorCommandInput,
  type _Record as StreamRecord,
  type AttributeValue as StreamsAttributeValue,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamFilterPattern, TableStreamEventSourceSpec } from '../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './engines/local-aws';
import { describeError, type LambdaHost } from './lambda-host';

export interface TableStreamSource {
  stop(): Promise<void>;
}

export interface TableStreamSourceOptions {
  /** Lambda polls each shard about 4 times a second. */
  readonly pollIntervalMs?: number;
  readonly retryDelayMs?: number;
  /** How often the stream is described again to find new shards. */
  readonly shardRefreshMs?: number;
}

type Image = Record<string, AttributeValue>;

function toLambdaValue(value: StreamsAttributeValue): AttributeValue {
  // Lambda's event carries binary values base64-encoded; the SDK hands them over as bytes.
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  return { NULL: true };
}

function toLambdaImage(image: Record<string, StreamsAttributeValue>): Image {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

/**
 * Whether a record matches a Lambda filter pattern (the subset the manifest allows, StreamFilterPattern): every
 * field the pattern names must be present, and a leaf's value must be one listed, equal or with the prefix.
 */
export function matchesFilter(pattern: StreamFilterPattern, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    const actual = (value as Record<string, unknown>)[field];
    if (Array.isArray(expected)) {
      if (typeof actual !== 'string') return false;
      const allowed = expected as readonly (string | { readonly prefix: string })[];
      if (!allowed.some((v) => (typeof v === 'string' ? actual === v : actual.startsWith(v.prefix))))
        return false;
    } else if (!matchesFilter(expected as StreamFilterPattern, actual)) return false;
  }
  return true;
}

/** A record as Lambda hands it to the function (the SDK's shape differs in dates and binary values). */
export function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const change = record.dynamodb ?? {};
  const created = change.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    dynamodb: {
      ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
      ...(change.Keys ? { Keys: toLambdaImage(change.Keys) } : {}),
      ...(change.NewImage ? { NewImage: toLambdaImage(change.NewImage) } : {}),
      ...(change.OldImage ? { OldImage: toLambdaImage(change.OldImage) } : {}),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
}

/**
 * How many records of the batch, from its start, the function processed: all of them, or those before the
 * lowest reported failure. `undefined` when the whole batch failed.
 */
export function processedCount(batch: readonly DynamoDBRecord[], response: unknown): number | undefined {
  if (response === undefined || response === null) return batch.length;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return batch.length;
  if (!Array.isArray(failures)) return undefined;
  let first = batch.length;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = batch.findIndex(
      (r) => typeof id === 'string' && id !== '' && r.dynamodb?.SequenceNumber === id,
    );
    // An empty or unknown identifier makes Lambda treat the whole batch as failed.
    if (index < 0) return undefined;
    first = Math.min(first, index);
  }
  return first;
}

interface Shard {
  readonly id: string;
  readonly parentId: string | undefined;
  iterator: string | undefined;
  /** The stream answered no next iterator: the shard is closed and everything in it has been read. */
  exhausted: boolean;
  /** Sequence number of the last record read, to renew an expired iterator without skipping anything. */
  lastRead: string | undefined;
  /** Read but not yet checkpointed, in order. */
  pending: DynamoDBRecord[];
  batchLimit: number;
  failedAttempts: number;
  retryAt: number;
}

const done = (shard: Shard) => shard.exhausted && shard.pending.length === 0;
/** Waits, or stops waiting when the source stops (no listener is left behind either way). */
const sleep = (ms: number, signal: AbortSignal) => wait(ms, undefined, { signal }).catch(() => undefined);

export async function startTableStreamSource(
  spec: TableStreamEventSourceSpec,
  target: { readonly tableName: string; readonly onFailureQueueUrl: string },
  deps: { readonly dynamodbEndpoint: string; readonly sqs: SQSClient; readonly host: LambdaHost },
  options: TableStreamSourceOptions = {},
): Promise<TableStreamSource> {
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const shardRefreshMs = options.shardRefreshMs ?? 2_000;
  const aws = { endpoint: deps.dynamodbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient(aws);
  const streams = new DynamoDBStreamsClient(aws);
  const where = `${spec.table} -> ${spec.function}`;
  const shards = new Map<string, Shard>();
  let lastRefresh = 0;

  const newShard = (id: string, parentId: string | undefined): Shard => ({
    id,
    parentId,
    iterator: undefined,
    exhausted: false,
    lastRead: undefined,
    pending: [],
    batchLimit: spec.batchSize,
    failedAttempts: 0,
    retryAt: 0,
  });

  const describeShards = async (streamArn: string) => {
    const found = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      found.push(...(page.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return found;
  };

  const renewIterator = async (streamArn: string, shard: Shard) => {
    const position: Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'SequenceNumber'> =
      shard.lastRead
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastRead }
        : { ShardIteratorType: 'TRIM_HORIZON' };
    const out = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.id, ...position }),
    );
    shard.iterator = out.ShardIterator;
    if (!shard.iterator) shard.exhausted = true;
  };

  const described = await dynamodb.send(new DescribeTableCommand({ TableName: target.tableName }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn || !described.Table?.StreamSpecification?.StreamEnabled) {
    dynamodb.destroy();
    streams.destroy();
    throw new Error(`stream event source ${where}: table ${target.tableName} has no stream (stream: true)`);
  }

  /**
   * LATEST, pinned now: reads past what the shard holds, so that any change made once the runtime is up is
   * delivered. (DynamoDB Local's own LATEST iterator was seen to skip changes made soon after it was taken.)
   */
  const skipToEnd = async (shard: Shard) => {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.id,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      const records = page.Records ?? [];
      shard.lastRead = records[records.length - 1]?.dynamodb?.SequenceNumber ?? shard.lastRead;
      iterator = page.NextShardIterator;
      if (records.length === 0) break;
    }
    // The next read takes a fresh iterator after the last record (see `read`).
    shard.iterator = undefined;
    if (!iterator) shard.exhausted = true;
  };

  // Where the mapping starts. With LATEST, closed shards hold only older changes.
  for (const found of await describeShards(streamArn)) {
    if (!found.ShardId) continue;
    const shard = newShard(found.ShardId, found.ParentShardId);
    const closed = Boolean(found.SequenceNumberRange?.EndingSequenceNumber);
    if (spec.startingPosition === 'LATEST') {
      if (closed) shard.exhausted = true;
      else await skipToEnd(shard);
    }
    shards.set(shard.id, shard);
  }
  lastRefresh = Date.now();

  const refreshShards = async () => {
    for (const found of await describeShards(streamArn)) {
      if (found.ShardId && !shards.has(found.ShardId))
        shards.set(found.ShardId, newShard(found.ShardId, found.ParentShardId));
    }
    lastRefresh = Date.now();
  };

  const read = async (shard: Shard) => {
    if (!shard.iterator) await renewIterator(streamArn, shard);
    if (shard.exhausted || !shard.iterator) return;
    let out: GetRecordsCommandOutput;
    try {
      out = await streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: Math.min(spec.batchSize, 1000) }),
      );
    } catch (error) {
      const name = (error as { name?: string }).name;
      // Iterators live 15 minutes; renew from the last record read. Trimmed data: read what is left.
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
        if (name === 'TrimmedDataAccessException') shard.lastRead = undefined;
        shard.iterator = undefined;
        return;
      }
      throw error;
    }
    for (const record of out.Records ?? []) {
      const lambdaRecord = toLambdaRecord(record, streamArn);
      // As on AWS, a record the filter passes over is checkpointed without invoking the function.
      if (!spec.filter || matchesFilter(spec.filter, lambdaRecord)) shard.pending.push(lambdaRecord);
      shard.lastRead = record.dynamodb?.SequenceNumber ?? shard.lastRead;
    }
    if (!out.NextShardIterator) shard.exhausted = true;
    // After an empty read, DynamoDB Local's next iterator was seen to stay empty while the shard grew (when
    // other tables were written at the same time): take a fresh one from the last record read instead.
    shard.iterator = (out.Records ?? []).length > 0 ? out.NextShardIterator : undefined;
  };

  const reportSkipped = async (shard: Shard, skipped: readonly DynamoDBRecord[], functionError: boolean) => {
    const first = skipped[0]?.dynamodb;
    const last = skipped[skipped.length - 1]?.dynamodb;
    const arrival = (seconds: number | undefined) =>
      seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
    const body = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: deps.host.arnOf(spec.function),
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: spec.maxRetryAttempts + 1,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(functionError ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.id,
        startSequenceNumber: first?.SequenceNumber,
        endSequenceNumber: last?.SequenceNumber,
        approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
        batchSize: skipped.length,
        streamArn,
      },
    };
    console.error(
      `[stream] ${where}: skipped ${skipped.length} record(s) ${body.DDBStreamBatchInfo.startSequenceNumber}..` +
        `${body.DDBStreamBatchInfo.endSequenceNumber} after ${spec.maxRetryAttempts} retries`,
    );
    await deps.sqs.send(
      new SendMessageCommand({ QueueUrl: target.onFailureQueueUrl, MessageBody: JSON.stringify(body) }),
    );
  };

  const deliver = async (shard: Shard) => {
    const batch = shard.pending.slice(0, shard.batchLimit);
    const event: DynamoDBStreamEvent = { Records: batch };
    let processed: number | undefined;
    let functionError = false;
    try {
      processed = processedCount(batch, await deps.host.invoke(spec.function, event));
    } catch (error) {
      console.error(`[stream] ${where} failed a batch of ${batch.length}: ${describeError(error)}`);
      functionError = true;
    }
    if (processed === batch.length) {
      shard.pending.splice(0, batch.length);
      shard.failedAttempts = 0;
      shard.batchLimit = spec.batchSize;
      return;
    }
    const checkpointed = processed ?? 0;
    shard.pending.splice(0, checkpointed);
    const remaining = batch.length - checkpointed;
    shard.retryAt = Date.now() + retryDelayMs;
    if (spec.bisectBatchOnFunctionError && checkpointed === 0 && remaining > 1) {
      shard.batchLimit = Math.ceil(remaining / 2);
      return;
    }
    shard.failedAttempts += 1;
    if (shard.failedAttempts <= spec.maxRetryAttempts) return;
    const skipped = shard.pending.splice(0, remaining);
    shard.failedAttempts = 0;
    shard.batchLimit = spec.batchSize;
    await reportSkipped(shard, skipped, functionError);
  };

  const step = async (shard: Shard) => {
    if (Date.now() < shard.retryAt) return;
    if (shard.pending.length === 0) {
      if (shard.exhausted) return;
      await read(shard);
      if (shard.pending.length === 0) return;
    }
    await deliver(shard);
  };

  const tick = async () => {
    if (Date.now() - lastRefresh >= shardRefreshMs) await refreshShards();
    let finishedOne = false;
    for (const shard of shards.values()) {
      if (done(shard)) continue;
      const parent = shard.parentId ? shards.get(shard.parentId) : undefined;
      // Children wait for their parent, so each item's changes arrive in order across a rollover.
      if (parent && !done(parent)) continue;
      await step(shard);
      if (done(shard)) finishedOne = true;
    }
    if (finishedOne) await refreshShards();
  };

  let running = true;
  const controller = new AbortController();
  const loop = (async () => {
    while (running) {
      try {
        await tick();
      } catch (error) {
        if (!running) return;
        console.error(`[stream] polling ${where} failed: ${describeError(error)}`);
      }
      await sleep(pollIntervalMs, controller.signal);
    }
  })();

  return {
    async stop() {
      running = false;
      controller.abort();
      await loop;
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
