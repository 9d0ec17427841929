/**
 * One reconciliation run, end to end: an S3 object (a settlement file) or the PSP's API for a day's payouts.
 *   1. the input's content hash; an input already reconciled is acknowledged and skipped;
 *   2. the rows, streamed (file: a CSV line parser over the object's body; API: the paginated list), matched
 *      in bulk (reconcile.ts), status breaks repaired through the payments code on the way;
 *   3. what the run found, applied idempotently: the payouts' settlement postings (platform cash, PSP fees,
 *      PSP receivable), the break records (new ones to the finance or investigation queue, vanished ones
 *      cleared), the internal checks, the report (JSON + CSV) next to the input, the day's latest run, and
 *      last the run record (so a crash before it means the next delivery does it all again, harmlessly).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { verifyLedger } from '../ledger';
import { postSettlement } from '../ledger/settlement';
import { basisPointsOf, money } from '../money';
import {
  applyPayment,
  completeCheckoutIfDone,
  DEFAULT_TIMING,
  getOrders,
  isTerminal,
  type PaymentsContext,
  recordSuccess,
} from '../payments';
import type { PaymentProvider } from '../psp/port';
import { applyPspDispute } from '../refunds/disputes';
import { applyPspRefund, type RefundDependencies } from '../refunds/service';
import { logger } from '../shared/logger';
import { csvRecords, isCsvError } from './csv';
import { type RowError, readerFor, UnknownFormatError } from './formats';
import type { MatchPolicy, Verdict } from './matchers';
import { type Break, InputFormat, type SettlementRow } from './model';
import type { BalanceSource } from './psp-balance';
import { type LinkField, type ReconcileOutcome, type RowLink, reconcileRows } from './reconcile';
import { inParallel } from './records';
import { breakView, buildReport, type InternalChecks, type ReconciliationReport, reportCsv } from './report';
import {
  clearBreak,
  getLatest,
  getRun,
  listBreaks,
  putRun,
  type ReconStore,
  setLatest,
  upsertBreak,
} from './store';

export interface FeeSchedule {
  readonly basisPoints: number;
  readonly fixedMinor: number;
}

export interface RunContext {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tables: {
    payments: string;
    ledger: string;
    wallets: string;
    reconciliation: string;
    /** Sellers' payouts: transfer rows are matched against them. */
    payouts?: string;
  };
  readonly queues: { finance: string; investigation: string };
  /** For repairs: the payments code's context (the same as the webhook's). */
  readonly payments: PaymentsContext;
  /** To confirm with the PSP that a payment succeeded before an order is driven to SUCCESS. */
  readonly psp?: PaymentProvider;
  /** For refund and dispute repairs: the refunds code's dependencies (the webhook's). */
  readonly moneyBack?: RefundDependencies;
  /** The PSP's balance API: payouts' amounts, and API-sourced runs. */
  readonly balance?: BalanceSource;
  readonly clock?: () => Date;
  /** How long after its day a pay-in may still be settled (Stripe pays out T+2 in the US). */
  readonly settlementWindowMs: number;
  /** The fee agreed with the PSP per charge; undefined = fees are not checked. */
  readonly fees?: FeeSchedule;
  /** Each wallet against its entries, the ledger's sum, holds against reserved (Scans: nightly only). */
  readonly internalChecks: boolean;
  readonly batchSize?: number;
  readonly concurrency?: number;
  readonly onProgress?: (rows: number) => void;
}

export type RunStatus = 'reconciled' | 'skipped' | 'ignored';

export interface RunSummary {
  readonly status: RunStatus;
  readonly sha256?: string;
  readonly day?: string;
  readonly reportKey?: string;
  readonly report?: ReconciliationReport;
}

/** Reports are written next to their input; a notification for one of them is acknowledged and ignored. */
export const REPORT_SUFFIXES = ['.reconciliation.json', '.reconciliation.csv'] as const;
export const isReportKey = (key: string) => REPORT_SUFFIXES.some((s) => key.endsWith(s));

/** `.../2026-03-14.csv` -> day 2026-03-14 and report `.../2026-03-14.reconciliation.json` (per day: a
 * corrected file of the day, whatever its name, writes the same report key). */
export function dayAndReportKey(key: string, fallbackDay: string): { day: string; reportBase: string } {
  const match = /(\d{4}-\d{2}-\d{2})/.exec(key.slice(key.lastIndexOf('/') + 1));
  const day = match?.[1] ?? fallbackDay;
  const dir = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  return { day, reportBase: `${dir}${day}` };
}

const now = (rc: RunContext) => (rc.clock ? rc.clock() : new Date());
const storeOf = (rc: RunContext): ReconStore => ({ db: rc.db, table: rc.tables.reconciliation });

export function policyOf(fees: FeeSchedule | undefined): MatchPolicy {
  return {
    expectedChargeFee: (gross, currency) =>
      fees && gross > 0n
        ? basisPointsOf(money(currency as never, gross), fees.basisPoints, 'half_up').minor +
          BigInt(fees.fixedMinor)
        : undefined,
  };
}

async function objectBody(
  rc: RunContext,
  bucket: string,
  key: string,
  ifMatch?: string,
): Promise<{ body: Readable; eTag?: string; lastModified?: Date }> {
  const got = await rc.s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }),
  );
  return {
    body: got.Body as Readable,
    ...(got.ETag ? { eTag: got.ETag } : {}),
    ...(got.LastModified ? { lastModified: got.LastModified } : {}),
  };
}

async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

/** The file's rows, read by the header's format; a bad header makes the whole file one malformed row. */
export async function* fileRows(
  body: AsyncIterable<Uint8Array>,
  onFormat: (format: InputFormat) => void,
): AsyncGenerator<SettlementRow | RowError> {
  let reader: ReturnType<typeof readerFor> | undefined;
  for await (const item of csvRecords(body)) {
    if (!reader) {
      if (isCsvError(item)) {
        yield { line: item.line, error: `the header cannot be read: ${item.error}` };
        return;
      }
      try {
        reader = readerFor(item.cells);
      } catch (error) {
        if (!(error instanceof UnknownFormatError)) throw error;
        yield { line: item.line, error: error.message };
        return;
      }
      onFormat(reader.format);
      continue;
    }
    yield isCsvError(item) ? { line: item.line, error: item.error } : reader.read(item.cells, item.line);
  }
}

/** An S3 object under the settlements prefix. */
export async function reconcileObject(rc: RunContext, bucket: string, key: string): Promise<RunSummary> {
  if (isReportKey(key)) return { status: 'ignored' };
  const first = await objectBody(rc, bucket, key);
  const sha256 = await sha256Of(first.body);
  const done = await getRun(storeOf(rc), sha256);
  if (done) {
    logger.info('settlement input already reconciled: skipped', { key, sha256, report_key: done.report_key });
    return { status: 'skipped', sha256, day: done.day, reportKey: done.report_key };
  }
  const fallbackDay = (first.lastModified ?? now(rc)).toISOString().slice(0, 10);
  const { day, reportBase } = dayAndReportKey(key, fallbackDay);
  // The same bytes as hashed: a file rewritten in between fails the read and the delivery is retried.
  const second = await objectBody(rc, bucket, key, first.eTag);
  let format: InputFormat = InputFormat.Generic;
  const links = await linksOf(rc, day);
  const outcome = await reconcileRows(
    dependencies(rc),
    fileRows(second.body, (f) => {
      format = f;
    }),
    { ...options(rc, day), links: links.rows },
  );
  return finish(rc, {
    links,
    day,
    sha256,
    source: { format, sha256, bucket, key },
    sourceName: `s3://${bucket}/${key}`,
    bucket,
    reportBase,
    outcome,
  });
}

/**
 * The same day from the PSP's API instead of the file: the given payouts' balance transactions. The input's
 * hash is over the rows as read, so the same answer from the PSP is a no-op run.
 */
export async function reconcilePayoutsFromApi(
  rc: RunContext,
  input: { day: string; payoutIds: readonly string[]; bucket: string; reportPrefix: string },
): Promise<RunSummary> {
  const balance = rc.balance;
  if (!balance) throw new Error('no PSP balance source configured');
  const rows: SettlementRow[] = [];
  const hash = createHash('sha256');
  let line = 0;
  for (const payoutId of [...input.payoutIds].sort()) {
    for await (const row of balance.payoutTransactions(payoutId)) {
      const numbered = { ...row, line: ++line };
      hash.update(`${JSON.stringify(numbered, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
      rows.push(numbered);
    }
  }
  const sha256 = hash.digest('hex');
  const done = await getRun(storeOf(rc), sha256);
  if (done) return { status: 'skipped', sha256, day: done.day, reportKey: done.report_key };
  async function* source() {
    yield* rows;
  }
  const links = await linksOf(rc, input.day);
  const outcome = await reconcileRows(dependencies(rc), source(), {
    ...options(rc, input.day),
    links: links.rows,
  });
  return finish(rc, {
    links,
    day: input.day,
    sha256,
    source: { format: InputFormat.PspApi, sha256, payoutIds: [...input.payoutIds].sort() },
    sourceName: `psp-api:${[...input.payoutIds].sort().join(',')}`,
    bucket: input.bucket,
    reportBase: `${input.reportPrefix}${input.day}`,
    outcome,
  });
}

interface DayLinks {
  /** By balance transaction id: the record an operator linked the row to. */
  readonly rows: ReadonlyMap<string, RowLink>;
  /** By settlement key: the linked rows' own postings, part of the payout's totals. */
  readonly postings: ReadonlyMap<string, string[]>;
}

/** The day's breaks an operator resolved by a link (resolve.ts): matched as linked, their postings counted. */
async function linksOf(rc: RunContext, day: string): Promise<DayLinks> {
  const rows = new Map<string, RowLink>();
  const postings = new Map<string, string[]>();
  for (const stored of await listBreaks(storeOf(rc), day)) {
    const r = stored.resolution;
    if (stored.status !== 'resolved' || r?.action !== 'link' || !r.link_id || !r.balance_transaction_id)
      continue;
    rows.set(r.balance_transaction_id, { field: r.link_field as LinkField, id: r.link_id });
    const tx = r.settlement_tx;
    if (tx?.startsWith('settlement:') && tx.includes(':link-')) {
      const key = tx.slice('settlement:'.length, tx.lastIndexOf(':link-'));
      postings.set(key, [...(postings.get(key) ?? []), tx]);
    }
  }
  return { rows, postings };
}

function options(rc: RunContext, day: string) {
  return {
    day,
    now: now(rc),
    settlementWindowMs: rc.settlementWindowMs,
    policy: policyOf(rc.fees),
    ...(rc.batchSize ? { batchSize: rc.batchSize } : {}),
    ...(rc.concurrency ? { concurrency: rc.concurrency } : {}),
    ...(rc.onProgress ? { onProgress: rc.onProgress } : {}),
  };
}

function dependencies(rc: RunContext) {
  return {
    db: rc.db,
    tables: rc.tables,
    ...(rc.balance ? { payoutTotal: (id: string) => (rc.balance as BalanceSource).payoutTotal(id) } : {}),
    repair: (row: SettlementRow, verdict: Verdict) => repairSettled(rc, row, verdict),
  };
}

/**
 * The PSP settled a payment we hold as not done: asked again (the file is not enough to move money on our
 * side) and, when the PSP confirms, the orders are driven to SUCCESS by the code the webhook and the
 * sweeper use. Anything else leaves the break to finance.
 */
async function repairSettled(rc: RunContext, row: SettlementRow, verdict: Verdict): Promise<boolean> {
  if (verdict.repair === 'apply_psp_refund' || verdict.repair === 'apply_psp_dispute') {
    return repairMoneyBack(rc, row, verdict.repair);
  }
  const psp = rc.psp;
  const pi = row.paymentIntentId;
  const orderIds = verdict.orderIds ?? [];
  if (!psp || !pi || orderIds.length === 0) return false;
  try {
    const payment = await psp.retrievePayment(pi);
    if (payment.status !== 'succeeded') return false;
    const orders = await getOrders(rc.payments, orderIds);
    for (const order of orders) {
      if (isTerminal(order.status)) continue;
      if (row.paymentOrderId) {
        await applyPayment(rc.payments, order, payment, 'reconciliation', DEFAULT_TIMING, psp);
      } else {
        // A hosted checkout's one payment covers all its orders.
        await recordSuccess(rc.payments, order.payment_order_id, {
          pspReference: pi,
          actor: 'reconciliation',
          reason: 'the PSP settled the payment (settlement reconciliation)',
        });
      }
    }
    const checkoutId = orders[0]?.checkout_id;
    if (checkoutId) await completeCheckoutIfDone(rc.payments, checkoutId);
    const after = await getOrders(rc.payments, orderIds);
    return after.length === orderIds.length && after.every((o) => o.status === 'SUCCESS');
  } catch (error) {
    logger.warn('reconciliation could not repair a settled payment; left to finance', {
      payment_intent: pi,
      error: error as Error,
    });
    return false;
  }
}

/**
 * The PSP moved a refund's or a dispute's money that we hold no (or an older) state of: what the PSP says
 * now is applied by the refunds code the webhook uses (forward only, idempotent: a replay changes nothing).
 * The row is then classified again against what that recorded.
 */
async function repairMoneyBack(
  rc: RunContext,
  row: SettlementRow,
  repair: 'apply_psp_refund' | 'apply_psp_dispute',
): Promise<boolean> {
  const deps = rc.moneyBack;
  if (!deps || !row.sourceId) return false;
  try {
    const psp = await deps.psp();
    const outcome =
      repair === 'apply_psp_refund'
        ? await applyPspRefund(deps, await psp.retrieveRefund(row.sourceId))
        : await applyPspDispute(deps, await psp.retrieveDispute(row.sourceId));
    return outcome === 'applied';
  } catch (error) {
    logger.warn('reconciliation could not repair a refund or dispute; left to finance', {
      source_id: row.sourceId,
      error: error as Error,
    });
    return false;
  }
}

interface Finish {
  readonly links: DayLinks;
  readonly day: string;
  readonly sha256: string;
  readonly source: Parameters<typeof buildReport>[1];
  readonly sourceName: string;
  readonly bucket: string;
  readonly reportBase: string;
  readonly outcome: ReconcileOutcome;
}

async function finish(rc: RunContext, f: Finish): Promise<RunSummary> {
  const store = storeOf(rc);
  const ledger = { db: rc.db, tables: { ledger: rc.tables.ledger, wallets: rc.tables.wallets } };
  const keys = new Set(f.outcome.settlements.map((s) => s.key));
  for (const totals of f.outcome.settlements)
    await postSettlement(ledger, totals, f.links.postings.get(totals.key) ?? []);
  // A payout whose only matched rows were linked ones (this input no longer has them): the chain takes them back.
  for (const [key, held] of f.links.postings) {
    if (keys.has(key)) continue;
    const currency = key.startsWith('day-') ? key.slice(-3) : undefined;
    const first = currency ? undefined : f.outcome.payouts.find((p) => p.payoutId === key)?.currency;
    const c = (currency ?? first) as SettlementRow['currency'] | undefined;
    if (c) await postSettlement(ledger, { key, currency: c, cash: 0n, fees: 0n, receivable: 0n }, held);
  }

  const fresh: Break[] = [];
  await inParallel(f.outcome.breaks, 8, async (b) => {
    const payload = JSON.stringify(breakView(b));
    if ((await upsertBreak(store, f.day, b, payload, f.sha256)) && b.handling !== 'auto_repaired')
      fresh.push(b);
  });
  const seen = new Set(f.outcome.breaks.map((b) => b.id));
  for (const stored of await listBreaks(store, f.day)) {
    if (!seen.has(stored.break_id)) await clearBreak(store, f.day, stored.break_id, f.sha256);
  }

  const previous = await getLatest(store, f.day);
  const internal = rc.internalChecks ? await internalChecks(ledger) : undefined;
  const report = buildReport(f.day, f.source, f.outcome, {
    ...(previous && previous.sha256 !== f.sha256
      ? { supersedes: { sha256: previous.sha256, source: previous.source } }
      : {}),
    ...(internal ? { internal } : {}),
  });
  const reportKey = `${f.reportBase}${REPORT_SUFFIXES[0]}`;
  await rc.s3.send(
    new PutObjectCommand({
      Bucket: f.bucket,
      Key: reportKey,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
    }),
  );
  await rc.s3.send(
    new PutObjectCommand({
      Bucket: f.bucket,
      Key: `${f.reportBase}${REPORT_SUFFIXES[1]}`,
      Body: reportCsv(report),
      ContentType: 'text/csv; charset=utf-8',
    }),
  );
  // Handed over after the report exists, so the message can point at it.
  await handOver(rc, f, fresh, reportKey);
  await setLatest(store, f.day, { sha256: f.sha256, source: f.sourceName, report_key: reportKey });
  await putRun(store, {
    sha256: f.sha256,
    day: f.day,
    source: f.sourceName,
    report_key: reportKey,
    finished_at: now(rc).toISOString(),
    breaks: f.outcome.breaks.length,
  });
  return { status: 'reconciled', sha256: f.sha256, day: f.day, reportKey, report };
}

async function internalChecks(ledger: Parameters<typeof verifyLedger>[0]): Promise<InternalChecks> {
  const checked = await verifyLedger(ledger);
  return {
    ok: checked.ok,
    problems: [...checked.problems].sort(),
    ledgerTotals: Object.fromEntries(Object.entries(checked.totals).map(([c, t]) => [c, t.toString()])),
    wallets: checked.wallets,
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** New breaks to the finance or investigation queue, ten a call, failed entries retried with jitter. */
async function handOver(rc: RunContext, f: Finish, breaks: readonly Break[], reportKey: string) {
  const byQueue = new Map<string, Break[]>();
  for (const b of breaks) {
    const queue = b.handling === 'investigation' ? rc.queues.investigation : rc.queues.finance;
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), b]);
  }
  for (const [queueUrl, list] of byQueue) {
    for (let i = 0; i < list.length; i += 10) {
      let entries = list.slice(i, i + 10).map((b, n) => ({
        Id: String(n),
        MessageBody: JSON.stringify({
          type: 'reconciliation.break',
          day: f.day,
          source: f.sourceName,
          run_sha256: f.sha256,
          report: `s3://${f.bucket}/${reportKey}`,
          // Consumers dedupe by break id: a run that crashed after sending sends again.
          break: breakView(b),
          resolve_with: { function: 'resolve-reconciliation-break', day: f.day, break_id: b.id },
        }),
      }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt >= 6) throw new Error(`could not hand ${entries.length} breaks to ${queueUrl}`);
        const sent = await rc.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        const failed = new Set((sent.Failed ?? []).map((e) => e.Id));
        entries = entries.filter((e) => failed.has(e.Id));
        if (entries.length > 0) await sleep(Math.random() * 100 * 2 ** attempt);
      }
    }
  }
}
