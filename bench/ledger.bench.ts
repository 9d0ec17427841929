/**
 * Ledger benchmark, not a test: `npm run bench:ledger`. Starts its own DynamoDB Local, creates the manifest's
 * `ledger` and `wallets` tables, and measures pay-in postings per second for one hot seller and for sellers
 * spread out, beside raw TransactWriteItems of the same number of items in the same run (so the ratio, not
 * the absolute figure, is what carries over to AWS), plus the write units one pay-in posting consumes.
 * Each figure is the median of several rounds. The engine is stopped at the end, whatever happens.
 *
 * DynamoDB Local is one JVM on this machine: it does not model partitions, so a hot key costs far less here
 * than on AWS (where one item takes ~1,000 WCU/s and conflicting transactions are cancelled). Read the
 * hot/spread gap as a lower bound.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  getTransaction,
  itemsNeeded,
  type LedgerContext,
  payInTransaction,
  recordPayIn,
  verifyLedger,
} from '../lambdas/ledger';
import { balanceKey, entryKey, transactionKey } from '../lambdas/ledger/keys';
import { money } from '../lambdas/money';
import { manifest } from '../lib/manifest';
import { startDynamoDb } from '../sandbox/engines/dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../sandbox/engines/local-aws';
import { createTables } from '../sandbox/provision';

const POSTINGS_PER_ROUND = 300;
const CONCURRENCY = 16;
const ROUNDS = 3;
const GROSS = money('USD', 12_345n);
const COMMISSION = money('USD', 1_235n);
/** us-east-1 on-demand list price per write unit (DESIGN.md section 7). */
const DOLLARS_PER_WRITE_UNIT = 0.625 / 1_000_000;

interface RoundResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Runs `count` operations with at most CONCURRENCY in flight; answers throughput and latency. */
async function measure(count: number, operation: (i: number) => Promise<unknown>): Promise<RoundResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await operation(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1_000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { perSecond: count / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function summarize(label: string, rounds: readonly RoundResult[]): RoundResult {
  const result = {
    perSecond: median(rounds.map((r) => r.perSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
  };
  const each = rounds.map((r) => r.perSecond.toFixed(0)).join(', ');
  log(
    `  ${label.padEnd(34)} ${result.perSecond.toFixed(0).padStart(5)}/s` +
      `   p50 ${result.p50Ms.toFixed(1).padStart(6)} ms   p99 ${result.p99Ms.toFixed(1).padStart(6)} ms   (rounds: ${each})`,
  );
  return result;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  log('ledger benchmark: starting DynamoDB Local ...');
  const engine = await startDynamoDb();
  const client = new DynamoDBClient({
    endpoint: engine.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const db = DynamoDBDocumentClient.from(client);
  try {
    const prefix = `bench-${randomBytes(3).toString('hex')}-`;
    const specs = manifest.tables.filter((t) => t.id === 'ledger' || t.id === 'wallets');
    const ledgerSpec = specs.find((t) => t.id === 'ledger');
    if (!ledgerSpec) throw new Error('the manifest has no ledger table');
    // The raw baseline writes to a table of its own, shaped like the ledger, so the ledger check stays clean.
    const names = await createTables(
      engine.endpoint,
      [...specs, { ...ledgerSpec, id: 'raw' }],
      (id) => `${prefix}${id}`,
    );
    const tables = { ledger: names.ledger ?? '', wallets: names.wallets ?? '' };
    const rawTable = names.raw ?? '';
    const ctx: LedgerContext = { db, tables };
    log(`  engine ${engine.endpoint}, tables ${tables.ledger}, ${tables.wallets}, ${rawTable}`);

    const sample = payInTransaction({
      paymentOrderId: 'sample',
      sellerId: 'sample',
      gross: GROSS,
      commission: COMMISSION,
    });
    const itemsPerPosting = itemsNeeded(sample);
    log(`  one pay-in posting = ${itemsPerPosting} items (header, ${sample.entries.length} entries, wallet)`);

    // Write units of one pay-in, as the engine reports them and as AWS would charge them.
    let capacity: readonly ConsumedCapacity[] = [];
    await recordPayIn(
      { ...ctx, onConsumedCapacity: (reported) => (capacity = reported) },
      { paymentOrderId: 'wcu-probe', sellerId: 'wcu-seller', gross: GROSS, commission: COMMISSION },
    );
    const reportedUnits = capacity.reduce(
      (sum, c) => sum + (c.WriteCapacityUnits ?? c.CapacityUnits ?? 0),
      0,
    );
    const perTable = capacity
      .map((c) => `${c.TableName?.replace(prefix, '')} ${c.WriteCapacityUnits ?? c.CapacityUnits}`)
      .join(', ');
    const sizes = await storedItemSizes(ctx, 'payin:wcu-probe', 'wcu-seller');
    const awsUnits = sizes.reduce((sum, bytes) => sum + 2 * Math.ceil(bytes / 1_024), 0);

    log(`  warming up (${POSTINGS_PER_ROUND / 2} postings) ...`);
    await measure(POSTINGS_PER_ROUND / 2, (i) =>
      recordPayIn(ctx, {
        paymentOrderId: `warm-${i}`,
        sellerId: `warm-${i % 10}`,
        gross: GROSS,
        commission: COMMISSION,
      }),
    );

    const hot: RoundResult[] = [];
    const spread: RoundResult[] = [];
    const raw: RoundResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      log(`  round ${round}/${ROUNDS}: ${POSTINGS_PER_ROUND} of each, ${CONCURRENCY} in flight ...`);
      hot.push(
        await measure(POSTINGS_PER_ROUND, (i) =>
          recordPayIn(ctx, {
            paymentOrderId: `hot-${round}-${i}`,
            sellerId: 'hot-seller',
            gross: GROSS,
            commission: COMMISSION,
          }),
        ),
      );
      spread.push(
        await measure(POSTINGS_PER_ROUND, (i) =>
          recordPayIn(ctx, {
            paymentOrderId: `spread-${round}-${i}`,
            sellerId: `seller-${round}-${i}`,
            gross: GROSS,
            commission: COMMISSION,
          }),
        ),
      );
      // The baseline: unconditional Puts of fresh items of about the same size, the same number of items.
      raw.push(
        await measure(POSTINGS_PER_ROUND, (i) =>
          db.send(
            new TransactWriteCommand({
              TransactItems: Array.from({ length: itemsPerPosting }, (_, k) => ({
                Put: {
                  TableName: rawTable,
                  Item: { pk: `RAW#${round}-${i}-${k}`, sk: 'RAW', payload: 'x'.repeat(160), amount: 12_345 },
                },
              })),
            }),
          ),
        ),
      );
    }

    log('');
    log(
      `results (median of ${ROUNDS} rounds, ${POSTINGS_PER_ROUND} operations each, ${CONCURRENCY} in flight):`,
    );
    const hotResult = summarize('pay-in postings, one hot seller', hot);
    const spreadResult = summarize('pay-in postings, spread sellers', spread);
    const rawResult = summarize(`raw TransactWriteItems (${itemsPerPosting} Puts)`, raw);
    log(
      `  ratio posting/raw: hot seller ${(hotResult.perSecond / rawResult.perSecond).toFixed(2)}, ` +
        `spread sellers ${(spreadResult.perSecond / rawResult.perSecond).toFixed(2)}`,
    );
    log(
      `  write units of one pay-in, reported by DynamoDB Local (ReturnConsumedCapacity TOTAL): ${reportedUnits} (${perTable})`,
    );
    log(
      `  write units of one pay-in on AWS: ${awsUnits} (${sizes.length} items of ${sizes.join(', ')} bytes; ` +
        `2 per started KB per item in a transaction) = $${(awsUnits * DOLLARS_PER_WRITE_UNIT * 1_000_000).toFixed(2)} per 1M pay-ins`,
    );

    log('  checking the ledger (full scan) ...');
    const report = await verifyLedger(ctx);
    log(
      `  ledger check: ${report.ok ? 'ok' : 'BROKEN'}; ${report.transactions} transactions, ` +
        `${report.entries} entries, ${report.wallets} wallets`,
    );
    for (const problem of report.problems.slice(0, 10)) log(`    ${problem}`);
    if (!report.ok) process.exitCode = 1;
  } finally {
    client.destroy();
    await engine.stop();
    log(`engine stopped; done in ${((performance.now() - startedAt) / 1_000).toFixed(1)} s`);
  }
}

/** Approximate stored sizes (DynamoDB's rules: attribute name + value bytes) of a pay-in's items. */
async function storedItemSizes(ctx: LedgerContext, txId: string, sellerId: string): Promise<number[]> {
  const tx = await getTransaction(ctx, txId);
  if (!tx) throw new Error(`probe transaction ${txId} not found`);
  const get = async (table: string, key: Record<string, string>) =>
    (await ctx.db.send(new GetCommand({ TableName: table, Key: key }))).Item ?? {};
  const items = [
    await get(ctx.tables.ledger, transactionKey(txId)),
    ...(await Promise.all(
      tx.entries.map((e, index) => get(ctx.tables.ledger, entryKey(e.account, txId, tx.postedAt, index))),
    )),
    await get(ctx.tables.wallets, balanceKey(sellerId, 'USD')),
  ];
  return items.map(attributeBytes);
}

function attributeBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    return Math.ceil(String(value).replace(/^-/, '').length / 2) + 1;
  }
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + attributeBytes(v), 0);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).reduce(
      (sum, [name, v]) => sum + Buffer.byteLength(name) + attributeBytes(v) + 1,
      3,
    );
  }
  return 0;
}

await main();
