/**
 * Reconciliation benchmark, not a test: `npm run bench:recon [-- --rows N]` (default 1,000,000). Writes a
 * Stripe `payout_reconciliation.itemized.5` file of N charge rows to a temporary file, seeds DynamoDB Local
 * with the N payment orders it settles (BatchWriteItem, many in flight; not timed), then in the same run:
 *   1. stream-parses the file only (CSV reader + row reader), and
 *   2. reconciles it in full (the same reader, bulk BatchGetItem of the orders, classification, the payout
 *      check, the day's ledger query),
 * and prints rows per second, the peak RSS of each phase and their ratio, with progress while it runs.
 * DynamoDB Local is a separate JVM on this machine: its throughput, not AWS's, bounds phase 2.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient as Doc,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { formatAmount, money } from '../lambdas/money';
import { orderKey } from '../lambdas/payments/keys';
import { type ReconcileOutcome, reconcileRows } from '../lambdas/reconciliation/reconcile';
import { inParallel } from '../lambdas/reconciliation/records';
import { fileRows, policyOf } from '../lambdas/reconciliation/run';
import { manifest } from '../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../sandbox/engines/local-aws';
import { createTables } from '../sandbox/provision';
import { PAYOUT_RECONCILIATION_COLUMNS } from '../sandbox/psp/settlement';

const FEES = { basisPoints: 290, fixedMinor: 30 };
const ROWS_PER_PAYOUT = 50_000;
const DAY = '2026-03-14';

export interface BenchResult {
  readonly rows: number;
  readonly fileBytes: number;
  readonly parseSeconds: number;
  readonly parseRowsPerSecond: number;
  readonly parsePeakRssMb: number;
  readonly reconcileSeconds: number;
  readonly reconcileRowsPerSecond: number;
  readonly reconcilePeakRssMb: number;
  readonly ratio: number;
  readonly outcome: ReconcileOutcome;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const orderId = (i: number) => `po_bench_${i.toString(36).padStart(6, '0')}`;
const amountOf = (i: number) => 1_000 + ((i * 7_919) % 90_000);
const feeOf = (gross: number) => Number(policyOf(FEES).expectedChargeFee(BigInt(gross), 'USD'));

/** The file, streamed to disk (never held whole). */
async function writeFile(path: string, rows: number): Promise<number> {
  const columns = [
    ...PAYOUT_RECONCILIATION_COLUMNS,
    'payment_metadata[checkout_id]',
    'payment_metadata[payment_order_id]',
  ];
  const out = createWriteStream(path);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  await write(columns.join(','));
  for (let i = 0; i < rows; i++) {
    const gross = amountOf(i);
    const fee = feeOf(gross);
    const cells: Record<string, string> = {
      automatic_payout_id: `po_bench_${Math.floor(i / ROWS_PER_PAYOUT)}`,
      automatic_payout_effective_at: `${DAY} 00:00:00`,
      balance_transaction_id: `txn_bench_${i}`,
      created_utc: `${DAY} 12:00:00`,
      created: `${DAY} 12:00:00`,
      available_on_utc: `${DAY} 12:00:00`,
      available_on: `${DAY} 12:00:00`,
      currency: 'usd',
      gross: formatAmount(money('USD', gross)),
      fee: formatAmount(money('USD', fee)),
      net: formatAmount(money('USD', gross - fee)),
      reporting_category: 'charge',
      source_id: `ch_bench_${i}`,
      description: i % 1000 === 0 ? 'Order "gift", with a comma' : '',
      customer_email: 'buyer@example.com',
      charge_id: `ch_bench_${i}`,
      payment_intent_id: `pi_bench_${i}`,
      payment_method_type: 'card',
      card_brand: 'visa',
      'payment_metadata[checkout_id]': `co_bench_${i}`,
      'payment_metadata[payment_order_id]': orderId(i),
    };
    await write(columns.map((c) => cell(cells[c] ?? '')).join(','));
  }
  out.end();
  await once(out, 'finish');
  return (await stat(path)).size;
}

/** The orders the file settles, SUCCESS: BatchWriteItem of 25, many calls in flight. */
async function seed(
  db: DynamoDBDocumentClient,
  table: string,
  rows: number,
  say: (line: string) => void,
): Promise<void> {
  const chunks: number[] = [];
  for (let i = 0; i < rows; i += 25) chunks.push(i);
  let done = 0;
  let reported = 0;
  await inParallel(chunks, 32, async (start) => {
    let items: Record<string, unknown>[] = [];
    for (let i = start; i < Math.min(rows, start + 25); i++) {
      items.push({
        PutRequest: {
          Item: {
            ...orderKey(orderId(i)),
            payment_order_id: orderId(i),
            checkout_id: `co_bench_${i}`,
            seller_account: `seller_${i % 500}`,
            amount_minor: amountOf(i),
            currency: 'USD',
            status: 'SUCCESS',
            version: 3,
            mode: 'card',
            psp_reference: `pi_bench_${i}`,
            wallet_updated: true,
            ledger_updated: true,
            created_at: `${DAY}T12:00:00.000Z`,
            updated_at: `${DAY}T12:00:01.000Z`,
          },
        },
      });
    }
    for (let attempt = 0; items.length > 0; attempt++) {
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: items as never } }));
      items = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      if (items.length)
        await new Promise((r) => setTimeout(r, Math.random() * 20 * 2 ** Math.min(attempt, 6)));
    }
    done += Math.min(25, rows - start);
    if (done - reported >= 100_000) {
      reported = done;
      say(`  seeded ${done.toLocaleString()} orders`);
    }
  });
}

/** Peak RSS while `work` runs (sampled every 50 ms), in MB. */
async function withPeakRss<T>(
  work: () => Promise<T>,
): Promise<{ value: T; peakMb: number; seconds: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const t0 = performance.now();
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, peakMb: peak / 1024 / 1024, seconds: (performance.now() - t0) / 1000 };
  } finally {
    clearInterval(timer);
  }
}

export async function runBench(options: {
  rows: number;
  dynamodbEndpoint: string;
  quiet?: boolean;
}): Promise<BenchResult> {
  const say = options.quiet ? () => undefined : log;
  const dir = await mkdtemp(join(tmpdir(), 'bench-recon-'));
  const db = Doc.from(
    new DynamoDBClient({
      endpoint: options.dynamodbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 8,
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  try {
    const prefix = `bench-${Date.now().toString(36)}-`;
    const specs = manifest.tables.filter((t) => ['payments', 'ledger'].includes(t.id));
    const tables = await createTables(options.dynamodbEndpoint, specs, (id) => `${prefix}${id}`);
    const path = join(dir, `${DAY}.csv`);
    say(`writing a ${options.rows.toLocaleString()}-row payout_reconciliation.itemized.5 file...`);
    const fileBytes = await writeFile(path, options.rows);
    say(
      `  ${(fileBytes / 1024 / 1024).toFixed(1)} MB; seeding ${options.rows.toLocaleString()} orders (not timed)...`,
    );
    await seed(db, tables.payments ?? '', options.rows, say);

    const every = Math.max(10_000, Math.floor(options.rows / 10));
    say('phase 1: stream-parse only');
    const parse = await withPeakRss(async () => {
      let n = 0;
      for await (const row of fileRows(
        createReadStream(path, { highWaterMark: 256 * 1024 }),
        () => undefined,
      )) {
        if ('error' in row) throw new Error(`line ${row.line}: ${row.error}`);
        if (++n % every === 0) say(`  parsed ${n.toLocaleString()} rows`);
      }
      return n;
    });
    say('phase 2: full reconciliation (bulk reads from DynamoDB Local)');
    let lastReported = 0;
    const full = await withPeakRss(() =>
      reconcileRows(
        { db, tables: { payments: tables.payments ?? '', ledger: tables.ledger ?? '' } },
        fileRows(createReadStream(path, { highWaterMark: 256 * 1024 }), () => undefined),
        {
          day: DAY,
          now: new Date(`${DAY}T23:00:00Z`),
          settlementWindowMs: 48 * 3_600_000,
          policy: policyOf(FEES),
          batchSize: 2_000,
          concurrency: 16,
          onProgress: (n) => {
            if (n - lastReported >= every) {
              lastReported = n;
              say(`  reconciled ${n.toLocaleString()} rows`);
            }
          },
        },
      ),
    );
    const result: BenchResult = {
      rows: full.value.rows,
      fileBytes,
      parseSeconds: parse.seconds,
      parseRowsPerSecond: parse.value / parse.seconds,
      parsePeakRssMb: parse.peakMb,
      reconcileSeconds: full.seconds,
      reconcileRowsPerSecond: full.value.rows / full.seconds,
      reconcilePeakRssMb: full.peakMb,
      ratio: full.seconds / parse.seconds,
      outcome: full.value,
    };
    return result;
  } finally {
    db.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const i = process.argv.indexOf('--rows');
  const rows = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a positive integer');
  const { startDynamoDb } = await import('../sandbox/engines/dynamodb');
  const engine = await startDynamoDb();
  try {
    const r = await runBench({ rows, dynamodbEndpoint: engine.endpoint });
    const matched = r.outcome.counts.get('matched')?.count ?? 0;
    log('');
    log(
      `rows                     ${r.rows.toLocaleString()} (${(r.fileBytes / 1024 / 1024).toFixed(1)} MB), matched ${matched.toLocaleString()}, breaks ${r.outcome.breaks.length}`,
    );
    log(
      `stream-parse only        ${r.parseSeconds.toFixed(1)} s  ${Math.round(r.parseRowsPerSecond).toLocaleString()} rows/s  peak RSS ${r.parsePeakRssMb.toFixed(0)} MB`,
    );
    log(
      `full reconciliation      ${r.reconcileSeconds.toFixed(1)} s  ${Math.round(r.reconcileRowsPerSecond).toLocaleString()} rows/s  peak RSS ${r.reconcilePeakRssMb.toFixed(0)} MB`,
    );
    log(`full / parse-only time   ${r.ratio.toFixed(1)}x`);
    if (matched !== r.rows) process.exitCode = 1;
  } finally {
    await engine.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
