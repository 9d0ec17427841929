/**
 * The needs-attention store (table `attention`). Key design:
 *   pk = ATTN#{attention_id}, sk = META        one record; attention_id = {kind}:{subject_type}:{subject_id}
 *   gsi1pk = {status}#{shard}, gsi1sk = {opened_at}#{attention_id}
 * The index lists records by status and time; the shard (a hash of the id) spreads its writes over
 * ATTENTION_SHARDS partitions, so a burst of problems makes no hot key; listing reads every shard and merges.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../shared/logger';
import { AttentionError } from './errors';
import { MetricName, type MetricSink } from './metrics';
import { type AttentionInput, type AttentionRecord, type AttentionSink, AttentionStatus } from './model';

export const ATTENTION_SHARDS = 4;
export const ATTENTION_INDEX = 'gsi1';

export interface AttentionContext {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly clock?: () => Date;
  /** Where the NeedsAttention metric goes (the alarm watches it); omitted: no metric. */
  readonly metrics?: MetricSink;
}

const nowIso = (ctx: AttentionContext) => (ctx.clock ? ctx.clock() : new Date()).toISOString();

export function attentionId(input: Pick<AttentionInput, 'kind' | 'subjectType' | 'subjectId'>): string {
  return `${input.kind}:${input.subjectType}:${input.subjectId}`;
}

function shardOf(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % ATTENTION_SHARDS;
}

const key = (id: string) => ({ pk: `ATTN#${id}`, sk: 'META' });

function fromItem(item: Record<string, unknown>): AttentionRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, subject_type, subject_id, ...rest } = item;
  return { ...(rest as object), subjectType: subject_type, subjectId: subject_id } as AttentionRecord;
}

/**
 * Records a problem once per (kind, subject): the first call writes an OPEN record and emits the metric; a
 * repeat only counts an occurrence (no second alarm for the same problem). A resolved problem that happens
 * again is re-opened. Answers the record and whether this call opened it.
 */
export async function recordAttention(
  ctx: AttentionContext,
  input: AttentionInput,
): Promise<{ record: AttentionRecord; opened: boolean }> {
  const id = attentionId(input);
  const at = nowIso(ctx);
  const open = `${AttentionStatus.Open}#${shardOf(id)}`;
  let opened = true;
  try {
    // Opens a new or resolved record; an open one is left as it is but for its count.
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: key(id),
        UpdateExpression:
          'SET attention_id = :id, kind = :kind, subject_type = :st, subject_id = :sid, summary = :summary, details = :details, #status = :open, opened_at = :at, gsi1pk = :g1pk, gsi1sk = :g1sk ADD occurrences :one REMOVE resolved_at, resolved_by, resolution',
        ConditionExpression: 'attribute_not_exists(pk) OR #status <> :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':id': id,
          ':kind': input.kind,
          ':st': input.subjectType,
          ':sid': input.subjectId,
          ':summary': input.summary,
          ':details': input.details,
          ':open': AttentionStatus.Open,
          ':at': at,
          ':g1pk': open,
          ':g1sk': `${at}#${id}`,
          ':one': 1,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    opened = false;
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: key(id),
        UpdateExpression: 'ADD occurrences :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }
  if (opened) {
    ctx.metrics?.count(MetricName.NeedsAttention);
    logger.error('needs attention', {
      attention_id: id,
      kind: input.kind,
      summary: input.summary,
      ...input.details,
    });
  }
  const record = await getAttention(ctx, id);
  if (!record) throw new AttentionError('not_found', `attention record ${id} vanished`);
  return { record, opened };
}

export async function getAttention(ctx: AttentionContext, id: string): Promise<AttentionRecord | undefined> {
  const got = await ctx.db.send(new GetCommand({ TableName: ctx.table, Key: key(id), ConsistentRead: true }));
  return got.Item ? fromItem(got.Item) : undefined;
}

/** Records of one status, newest first, optionally opened at or after `since` (ISO). */
export async function listAttention(
  ctx: AttentionContext,
  options: {
    status?: typeof AttentionStatus.Open | typeof AttentionStatus.Resolved;
    since?: string;
    limit?: number;
  } = {},
): Promise<AttentionRecord[]> {
  const status = options.status ?? AttentionStatus.Open;
  const limit = options.limit ?? 100;
  const shards = await Promise.all(
    Array.from({ length: ATTENTION_SHARDS }, async (_, shard) => {
      const out: AttentionRecord[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await ctx.db.send(
          new QueryCommand({
            TableName: ctx.table,
            IndexName: ATTENTION_INDEX,
            KeyConditionExpression: options.since ? 'gsi1pk = :pk AND gsi1sk >= :since' : 'gsi1pk = :pk',
            ExpressionAttributeValues: {
              ':pk': `${status}#${shard}`,
              ...(options.since ? { ':since': options.since } : {}),
            },
            ScanIndexForward: false,
            Limit: limit,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) out.push(fromItem(item));
        start = out.length < limit ? page.LastEvaluatedKey : undefined;
      } while (start);
      return out;
    }),
  );
  return shards
    .flat()
    .sort((a, b) => b.opened_at.localeCompare(a.opened_at))
    .slice(0, limit);
}

/** Marks an open record resolved by a person (conditional: an already resolved record is refused). */
export async function resolveAttention(
  ctx: AttentionContext,
  id: string,
  resolution: { resolvedBy: string; note: string },
): Promise<AttentionRecord> {
  const at = nowIso(ctx);
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: key(id),
        UpdateExpression:
          'SET #status = :resolved, resolved_at = :at, resolved_by = :by, resolution = :note, gsi1pk = :g1pk',
        ConditionExpression: 'attribute_exists(pk) AND #status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':resolved': AttentionStatus.Resolved,
          ':open': AttentionStatus.Open,
          ':at': at,
          ':by': resolution.resolvedBy,
          ':note': resolution.note,
          ':g1pk': `${AttentionStatus.Resolved}#${shardOf(id)}`,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const current = await getAttention(ctx, id);
    if (!current) throw new AttentionError('not_found', `attention record ${id} not found`);
    throw new AttentionError('already_resolved', `attention record ${id} is already resolved`);
  }
  const record = await getAttention(ctx, id);
  if (!record) throw new AttentionError('not_found', `attention record ${id} not found`);
  return record;
}

/** The sink the payments code is given: records (idempotently) and emits the metric. */
export function attentionSink(ctx: AttentionContext): AttentionSink {
  return { record: async (input) => void (await recordAttention(ctx, input)) };
}
