/**
 * The `reconciliation` table (pk, sk):
 *   RUN#{sha256}        RUN                 an input processed to the end (by content hash): a re-delivery of
 *                                           the same content is acknowledged and skipped
 *   DAY#{day}           LATEST              the run whose report is the day's (a corrected file supersedes)
 *   DAY#{day}           BREAK#{breakId}     a break: class, row, line, status (open, auto_repaired, resolved,
 *                                           cleared by a later file), resolution
 *   DAY#{day}           AUDIT#{breakId}#{requestId}   an operator's resolution, written once
 * Every write is conditional or an idempotent upsert; nothing here is deleted.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Break, Handling } from './model';

export interface ReconStore {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
}

export const BreakStatus = {
  Open: 'open',
  AutoRepaired: 'auto_repaired',
  Resolved: 'resolved',
  /** A later (corrected) input of the same day no longer has it. */
  Cleared: 'cleared',
} as const;
export type BreakStatus = (typeof BreakStatus)[keyof typeof BreakStatus];

export interface RunRecord {
  readonly sha256: string;
  readonly day: string;
  readonly source: string;
  readonly report_key: string;
  readonly finished_at: string;
  readonly breaks: number;
}

export interface StoredBreak {
  readonly day: string;
  readonly break_id: string;
  readonly class: string;
  readonly handling: Handling;
  readonly status: BreakStatus;
  readonly detail: string;
  readonly line?: number;
  /** The break as the run found it (row and amounts as strings). */
  readonly payload: string;
  readonly first_seen_run: string;
  readonly last_seen_run: string;
  readonly resolution?: Readonly<Record<string, string>>;
}

const runKey = (sha256: string) => ({ pk: `RUN#${sha256}`, sk: 'RUN' });
const latestKey = (day: string) => ({ pk: `DAY#${day}`, sk: 'LATEST' });
export const breakKey = (day: string, breakId: string) => ({ pk: `DAY#${day}`, sk: `BREAK#${breakId}` });
const auditKey = (day: string, breakId: string, requestId: string) => ({
  pk: `DAY#${day}`,
  sk: `AUDIT#${breakId}#${requestId}`,
});

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

export async function getRun(store: ReconStore, sha256: string): Promise<RunRecord | undefined> {
  const got = await store.db.send(
    new GetCommand({ TableName: store.table, Key: runKey(sha256), ConsistentRead: true }),
  );
  return got.Item as RunRecord | undefined;
}

/** Marks an input done; a second run of the same content that raced this one changes nothing. */
export async function putRun(store: ReconStore, run: RunRecord): Promise<void> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...runKey(run.sha256), ...run },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export interface LatestRun {
  readonly sha256: string;
  readonly source: string;
  readonly report_key: string;
}

export async function getLatest(store: ReconStore, day: string): Promise<LatestRun | undefined> {
  const got = await store.db.send(
    new GetCommand({ TableName: store.table, Key: latestKey(day), ConsistentRead: true }),
  );
  return got.Item as LatestRun | undefined;
}

export async function setLatest(store: ReconStore, day: string, latest: LatestRun): Promise<void> {
  await store.db.send(new PutCommand({ TableName: store.table, Item: { ...latestKey(day), ...latest } }));
}

/**
 * Creates the break, or records that this run saw it again (its status and resolution are kept). Answers
 * true when it is new: only new breaks are handed to a queue, so a corrected file re-sends nothing.
 */
export async function upsertBreak(
  store: ReconStore,
  day: string,
  b: Break,
  payload: string,
  runId: string,
): Promise<boolean> {
  const status: BreakStatus = b.handling === 'auto_repaired' ? 'auto_repaired' : 'open';
  const out = await store.db.send(
    new UpdateCommand({
      TableName: store.table,
      Key: breakKey(day, b.id),
      UpdateExpression:
        'SET #day = :day, break_id = :id, #class = :class, handling = if_not_exists(handling, :handling), ' +
        '#status = if_not_exists(#status, :status), detail = :detail, payload = :payload, ' +
        'first_seen_run = if_not_exists(first_seen_run, :run), last_seen_run = :run' +
        (b.line !== undefined ? ', line = :line' : ''),
      ExpressionAttributeNames: { '#day': 'day', '#class': 'class', '#status': 'status' },
      ExpressionAttributeValues: {
        ':day': day,
        ':id': b.id,
        ':class': b.class,
        ':handling': b.handling,
        ':status': status,
        ':detail': b.detail,
        ':payload': payload,
        ':run': runId,
        ...(b.line !== undefined ? { ':line': b.line } : {}),
      },
      ReturnValues: 'ALL_OLD',
    }),
  );
  if (out.Attributes?.status === 'cleared') await reopenIfCleared(store, day, b.id);
  return !out.Attributes?.first_seen_run;
}

/** A cleared break is one a later input of the day no longer has; a reopened one (seen again) stays cleared. */
export async function reopenIfCleared(store: ReconStore, day: string, breakId: string): Promise<void> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: breakKey(day, breakId),
        UpdateExpression: 'SET #status = :open',
        ConditionExpression: '#status = :cleared',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':open': 'open', ':cleared': 'cleared' },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function listBreaks(store: ReconStore, day: string): Promise<StoredBreak[]> {
  const out: StoredBreak[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await store.db.send(
      new QueryCommand({
        TableName: store.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)',
        ExpressionAttributeValues: { ':pk': `DAY#${day}`, ':b': 'BREAK#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    out.push(...((page.Items ?? []) as StoredBreak[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export async function getBreak(
  store: ReconStore,
  day: string,
  breakId: string,
): Promise<StoredBreak | undefined> {
  const got = await store.db.send(
    new GetCommand({ TableName: store.table, Key: breakKey(day, breakId), ConsistentRead: true }),
  );
  return got.Item as StoredBreak | undefined;
}

/** Open breaks this run no longer has become cleared (auto-repaired and resolved ones keep their status). */
export async function clearBreak(
  store: ReconStore,
  day: string,
  breakId: string,
  runId: string,
): Promise<void> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: breakKey(day, breakId),
        UpdateExpression: 'SET #status = :cleared, cleared_by_run = :run',
        ConditionExpression: '#status = :open',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':cleared': 'cleared', ':run': runId, ':open': 'open' },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export interface AuditEntry {
  readonly request_id: string;
  readonly operator: string;
  readonly action: string;
  readonly reason: string;
  readonly at: string;
  readonly details: string;
}

/** The audit entry of one resolution request: written once; the same request again answers the first. */
export async function putAudit(
  store: ReconStore,
  day: string,
  breakId: string,
  entry: AuditEntry,
): Promise<{ created: boolean; entry: AuditEntry }> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...auditKey(day, breakId, entry.request_id), ...entry },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { created: true, entry };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const got = await store.db.send(
      new GetCommand({
        TableName: store.table,
        Key: auditKey(day, breakId, entry.request_id),
        ConsistentRead: true,
      }),
    );
    return { created: false, entry: got.Item as AuditEntry };
  }
}

/** Closes a break with an operator's resolution (conditioned on it not being resolved already). */
export async function resolveStoredBreak(
  store: ReconStore,
  day: string,
  breakId: string,
  resolution: Readonly<Record<string, string>>,
): Promise<boolean> {
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: breakKey(day, breakId),
        UpdateExpression: 'SET #status = :resolved, resolution = :resolution',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :resolved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':resolved': 'resolved', ':resolution': resolution },
      }),
    );
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
}
