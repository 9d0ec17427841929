/**
 * Reconciliation as the operator sees it: the days that have a report, a day's latest report (its counts and
 * amounts per class from the report JSON in S3, its breaks with their current status from the break records),
 * what the reports say about one payment order, and a break's resolution through the same `resolveBreak` as
 * the resolve-reconciliation-break function. The reads write nothing.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ReconciliationReport } from '../reconciliation/report';
import { getLatest, listBreaks, type ReconStore, type StoredBreak } from '../reconciliation/store';

export interface ReconReadContext {
  readonly store: ReconStore;
  readonly s3: S3Client;
  /** The settlements bucket: reports are written next to their files. */
  readonly bucket: string;
}

export interface DaySummary {
  readonly day: string;
  readonly source: string;
  readonly report_key: string;
  readonly finished_at?: string;
  readonly breaks: Readonly<Record<string, number>>;
}

function breakCounts(breaks: readonly StoredBreak[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const b of breaks) counts[b.status] = (counts[b.status] ?? 0) + 1;
  return counts;
}

/** The days with a report, newest first (a bounded Scan for the days' LATEST items: an operator page). */
export async function reconciliationDays(store: ReconStore, limit: number): Promise<DaySummary[]> {
  const latest: { day: string; sha256: string; source: string; report_key: string }[] = [];
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const page = await store.db.send(
      new ScanCommand({
        TableName: store.table,
        FilterExpression: 'sk = :latest',
        ExpressionAttributeValues: { ':latest': 'LATEST' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      latest.push({
        day: String(item.pk).slice('DAY#'.length),
        sha256: String(item.sha256),
        source: String(item.source),
        report_key: String(item.report_key),
      });
    }
    start = page.LastEvaluatedKey;
    pages++;
  } while (start && pages < 20);
  latest.sort((a, b) => b.day.localeCompare(a.day));
  return Promise.all(
    latest.slice(0, limit).map(async (l) => {
      const [run, breaks] = await Promise.all([
        store.db.send(new GetCommand({ TableName: store.table, Key: { pk: `RUN#${l.sha256}`, sk: 'RUN' } })),
        listBreaks(store, l.day),
      ]);
      return {
        day: l.day,
        source: l.source,
        report_key: l.report_key,
        ...(run.Item?.finished_at ? { finished_at: String(run.Item.finished_at) } : {}),
        breaks: breakCounts(breaks),
      };
    }),
  );
}

function storedBreakView(b: StoredBreak): Record<string, unknown> & { id: string; line?: number } {
  const found = JSON.parse(b.payload) as Record<string, unknown>;
  return {
    ...found,
    id: b.break_id,
    class: b.class,
    handling: b.handling,
    status: b.status,
    detail: b.detail,
    ...(b.line !== undefined ? { line: b.line } : {}),
    ...(b.resolution ? { resolution: b.resolution } : {}),
  };
}

async function readReport(ctx: ReconReadContext, key: string): Promise<ReconciliationReport | undefined> {
  try {
    const got = await ctx.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key }));
    const text = await got.Body?.transformToString('utf8');
    return text ? (JSON.parse(text) as ReconciliationReport) : undefined;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The day's latest report with every break of the day and its status now; undefined: no report that day. */
export async function dayReport(ctx: ReconReadContext, day: string) {
  const latest = await getLatest(ctx.store, day);
  if (!latest) return undefined;
  const [report, breaks] = await Promise.all([
    readReport(ctx, latest.report_key),
    listBreaks(ctx.store, day),
  ]);
  const views = breaks.map(storedBreakView).sort((a, b) => {
    const la = typeof a.line === 'number' ? a.line : Number.MAX_SAFE_INTEGER;
    const lb = typeof b.line === 'number' ? b.line : Number.MAX_SAFE_INTEGER;
    return la - lb || a.id.localeCompare(b.id);
  });
  return {
    day,
    source: latest.source,
    report_key: latest.report_key,
    sha256: latest.sha256,
    ...(report?.supersedes ? { supersedes: report.supersedes } : {}),
    rows: report?.rows ?? null,
    classes: report?.classes ?? {},
    payouts: report?.payouts ?? [],
    settlements: report?.settlements ?? [],
    ...(report?.internal ? { internal: report.internal } : {}),
    breaks_by_status: breakCounts(breaks),
    breaks: views,
  };
}

const DAY_MS = 86_400_000;

/**
 * What the reconciliation reports say about one order: the reports of its capture day and the settlement
 * window after it (3 days), and the breaks among them that name the order. Matched rows are counted in a
 * report, not listed: "no break in the day's report" is all a report can say about a matched order.
 */
export async function orderSettlement(store: ReconStore, orderId: string, createdAt: string) {
  const first = Date.parse(`${createdAt.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(first)) return null;
  const days = [0, 1, 2, 3].map((n) => new Date(first + n * DAY_MS).toISOString().slice(0, 10));
  const reports: { day: string; report_key: string }[] = [];
  const breaks: Record<string, unknown>[] = [];
  for (const day of days) {
    const latest = await getLatest(store, day);
    if (!latest) continue;
    reports.push({ day, report_key: latest.report_key });
    let start: Record<string, unknown> | undefined;
    do {
      const page = await store.db.send(
        new QueryCommand({
          TableName: store.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :b)',
          FilterExpression: 'contains(payload, :order)',
          ExpressionAttributeValues: { ':pk': `DAY#${day}`, ':b': 'BREAK#', ':order': `"${orderId}"` },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const b = item as StoredBreak;
        breaks.push({ day, break_id: b.break_id, class: b.class, status: b.status, detail: b.detail });
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  if (reports.length === 0) return null;
  return { reports, breaks };
}
