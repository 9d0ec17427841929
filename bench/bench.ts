/**
 * `npm run bench -- [--seconds 20] [--levels 1,5,10,20] [--rate 10] [--json FILE] [--svg FILE]
 * [--bundles-only | --skip-bundles]`: the whole local system on its own engines, measured.
 *   1. Each function's bundle (esbuild with the deploy's options: ESM, minified, AWS SDK bundled) and its module
 *      load time in a fresh Node process, beside a hello-world module's.
 *   2. DynamoDB Local's raw TransactWriteItems rate on this machine (the storage ceiling).
 *   3. Sustained checkouts/s (two orders each, card mode) and POST /v1/payments latency p50/p95/p99 at a few
 *      concurrency levels and at a steady rate, each level until its orders are terminal, with the CPU time
 *      this process spent a checkout; the ratio orders/s : storage writes/s.
 *   4. The cost per 1M pay-ins of those levels: every call metered (sandbox/metering.ts), priced by bench/cost.ts.
 * Results as JSON and an SVG latency chart. Figures depend on the machine's load: the run prints it.
 */
// First: settings the functions' modules read at load (sandbox/local-process.ts).
import '../sandbox/local-process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { build } from 'esbuild';
import { manifest } from '../lib/manifest';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from '../sandbox/engines/local-aws';
import { baseEnvironment, functionEnvironment, localSecretValue } from '../sandbox/environment';
import { startLocalSystem } from '../sandbox/local-system';
import type { PhysicalNames } from '../sandbox/provision';
import { formatCost, meterSystem } from './cost';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    levels: { type: 'string', default: '1,5,10,20' },
    json: { type: 'string', default: 'bench-results.json' },
    svg: { type: 'string', default: 'bench-latency.svg' },
    'skip-bundles': { type: 'boolean', default: false },
    'bundles-only': { type: 'boolean', default: false },
    rate: { type: 'string', default: '10' },
  },
});
const root = resolve(import.meta.dirname, '..');
const log = (line: string) => console.log(`[bench] ${line}`);
const load = () => `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

// 1. bundles ------------------------------------------------------------------------------------------------

interface BundleFigure {
  function: string;
  bytes: number;
  loadMs: number;
}

/**
 * The variables a function's module reads at load (CDK sets the same ones): its own grants, under placeholder
 * names and endpoints (nothing is called at load), so that the load measured is the function's real init.
 */
function loadEnvironment(functionId: string): Record<string, string> {
  const spec = manifest.functions.find((f) => f.id === functionId);
  if (!spec) return {};
  const ids = <T>(specs: readonly { id: string }[], as: (id: string) => T): Record<string, T> =>
    Object.fromEntries(specs.map((s) => [s.id, as(s.id)]));
  const names: PhysicalNames = {
    tables: ids(manifest.tables, (id) => `bench-${id}`),
    queues: ids(manifest.queues, (id) => ({
      url: `http://127.0.0.1:9/${LOCAL_ACCOUNT}/bench-${id}`,
      arn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:bench-${id}`,
    })),
    buckets: ids(manifest.buckets, (id) => `bench-${id}`),
    topics: ids(manifest.topics, (id) => `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:bench-${id}`),
  };
  const nowhere = 'http://127.0.0.1:9';
  return {
    ...baseEnvironment(manifest, { dynamodb: nowhere, messaging: nowhere, stepFunctions: nowhere }),
    ...functionEnvironment(
      spec,
      names,
      (id) => `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:bench-${id}`,
      (id) => localSecretValue(manifest, id),
    ),
  };
}

async function bundles(): Promise<BundleFigure[]> {
  // Inside the project, so that the external AWS SDK resolves from node_modules as the Lambda runtime's would.
  mkdirSync(join(root, '.bench'), { recursive: true });
  const out = mkdtempSync(join(root, '.bench', 'bundles-'));
  const hello = join(out, 'hello.ts');
  writeFileSync(hello, 'export const handler = async () => ({ statusCode: 200, body: "hello" });\n');
  const entries = [
    { id: '(hello world)', entry: hello },
    ...manifest.functions.map((f) => ({ id: f.id, entry: resolve(root, f.entry) })),
  ];
  const figures: BundleFigure[] = [];
  for (const { id, entry } of entries) {
    const dir = join(out, id.replace(/\W/g, '_'));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'index.mjs');
    await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      minify: true,
      banner: {
        js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      // As deployed (lib/constructs/payment-function.ts): the AWS SDK is bundled, not loaded from the runtime.
      external: [],
      logLevel: 'silent',
    });
    // Module load in a fresh process (a cold start's init, without the runtime's own start).
    const script = `const t=performance.now();await import(${JSON.stringify(file)});console.log(performance.now()-t)`;
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const ms = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', ...loadEnvironment(id) },
      });
      runs.push(Number(String(ms).trim()));
    }
    runs.sort((a, b) => a - b);
    figures.push({ function: id, bytes: statSync(file).size, loadMs: runs[1] ?? Number.NaN });
    log(`bundle ${id}: ${(statSync(file).size / 1024).toFixed(0)} KB, module load ${runs[1]?.toFixed(0)} ms`);
  }
  return figures;
}

// 2. storage ceiling ----------------------------------------------------------------------------------------

async function storageRate(endpoint: string, table: string, seconds: number): Promise<number> {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  );
  let done = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = 0; Date.now() < until; i++) {
        // The shape of a pay-in's money-moving write: four items, conditional.
        await db.send(
          new TransactWriteCommand({
            TransactItems: [0, 1, 2, 3].map((k) => ({
              Put: {
                TableName: table,
                Item: { pk: `BENCH#${w}#${i}#${k}`, sk: 'META', v: i },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          }),
        );
        done++;
      }
    }),
  );
  db.destroy();
  return done / seconds;
}

// 3. checkouts ----------------------------------------------------------------------------------------------

interface LevelFigure {
  /** Requests in flight (closed loop), or 0 for a paced level (`rate` checkouts started a second). */
  concurrency: number;
  rate?: number;
  checkouts: number;
  checkoutsPerSecond: number;
  ordersPerSecond: number;
  postP50: number;
  postP95: number;
  postP99: number;
  /** CPU time of this process (the whole local system but DynamoDB Local, plus this client) per checkout. */
  cpuMsPerCheckout: number;
}

interface Driver {
  readonly api: string;
  readonly apiKey: string;
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
}

/** POSTs one two-order checkout; answers its latency and, when accepted, its order ids. */
async function checkout(driver: Driver, id: string): Promise<{ ms: number; orderIds: string[] }> {
  const body = {
    checkout_id: id,
    buyer_info: { buyer_id: `buyer_${id}`, email: 'bench@example.com' },
    credit_card_info: 'pm_card_visa',
    payment_orders: ['a', 'b'].map((x) => ({
      payment_order_id: `${id}_${x}`,
      seller_account: `seller_bench_${x}`,
      amount: '12.34',
      currency: 'USD',
    })),
  };
  const t = performance.now();
  const response = await fetch(`${driver.api}/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': driver.apiKey, 'Idempotency-Key': id },
    body: JSON.stringify(body),
  });
  await response.text();
  return { ms: performance.now() - t, orderIds: response.status === 201 ? [`${id}_a`, `${id}_b`] : [] };
}

/**
 * One level: `concurrency` checkouts in flight for `seconds` (closed loop), or with `rate`, that many started
 * a second whatever is in flight (open loop, a steady load); then until every accepted order is terminal.
 */
async function level(
  driver: Driver,
  shape: { concurrency: number } | { rate: number },
  seconds: number,
): Promise<LevelFigure> {
  const latencies: number[] = [];
  const orderIds: string[] = [];
  const cpu = process.cpuUsage();
  const started = Date.now();
  const until = started + seconds * 1000;
  const name = 'rate' in shape ? `r${shape.rate}` : `c${shape.concurrency}`;
  let n = 0;
  const one = async () => {
    const result = await checkout(driver, `co_bench_${name}_${n++}_${started}`);
    latencies.push(result.ms);
    orderIds.push(...result.orderIds);
  };
  const progress = setInterval(
    () => log(`  ... ${latencies.length} checkouts answered, ${orderIds.length / 2} accepted (${load()})`),
    5_000,
  );
  try {
    if ('rate' in shape) {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; started + (i * 1000) / shape.rate < until; i++) {
        await new Promise((r) => setTimeout(r, Math.max(0, started + (i * 1000) / shape.rate - Date.now())));
        inFlight.push(one());
      }
      await Promise.all(inFlight);
    } else {
      await Promise.all(
        Array.from({ length: shape.concurrency }, async () => {
          while (Date.now() < until) await one();
        }),
      );
    }
    // Sustained means done: wait until every accepted order is terminal.
    log(`  ... waiting for ${orderIds.length} orders to be terminal`);
    for (const orderId of orderIds) {
      for (;;) {
        const got = await driver.db.send(
          new GetCommand({ TableName: driver.table, Key: { pk: `ORDER#${orderId}`, sk: 'META' } }),
        );
        const status = got.Item?.status;
        if (status === 'SUCCESS' || status === 'FAILED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    clearInterval(progress);
  }
  const elapsed = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    concurrency: 'rate' in shape ? 0 : shape.concurrency,
    ...('rate' in shape ? { rate: shape.rate } : {}),
    checkouts: orderIds.length / 2,
    checkoutsPerSecond: orderIds.length / 2 / elapsed,
    ordersPerSecond: orderIds.length / elapsed,
    postP50: percentile(latencies, 50),
    postP95: percentile(latencies, 95),
    postP99: percentile(latencies, 99),
    cpuMsPerCheckout: (used.user + used.system) / 1000 / Math.max(1, orderIds.length / 2),
  };
}

function svgChart(levels: readonly LevelFigure[]): string {
  const w = 560;
  const h = 320;
  const pad = 50;
  const maxY = Math.max(1, ...levels.map((l) => l.postP99)) * 1.1;
  const maxX = Math.max(1, ...levels.map((l) => l.concurrency));
  const x = (c: number) => pad + (c / maxX) * (w - 2 * pad);
  const y = (ms: number) => h - pad - (ms / maxY) * (h - 2 * pad);
  const series = (key: 'postP50' | 'postP95' | 'postP99', color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${levels.map((l) => `${x(l.concurrency).toFixed(1)},${y(l[key]).toFixed(1)}`).join(' ')}"/>` +
    `<text x="${w - pad + 4}" y="${y(levels.at(-1)?.[key] ?? 0).toFixed(1)}" font-size="11" fill="${color}">${key.slice(4)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${pad}" y="20" font-size="13">POST /v1/payments latency (ms) by requests in flight</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="black"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="black"/>
${levels.map((l) => `<text x="${x(l.concurrency).toFixed(1)}" y="${h - pad + 15}" font-size="10" text-anchor="middle">${l.concurrency}</text>`).join('\n')}
<text x="${pad - 5}" y="${pad}" font-size="10" text-anchor="end">${maxY.toFixed(0)}</text>
<text x="${pad - 5}" y="${h - pad}" font-size="10" text-anchor="end">0</text>
${series('postP50', '#1b9e77')}
${series('postP95', '#d95f02')}
${series('postP99', '#7570b3')}
</svg>
`;
}

const results: Record<string, unknown> = { machine: load() };
log(`start (${load()})`);
if (!values['skip-bundles']) results.bundles = await bundles();
if (values['bundles-only']) {
  writeFileSync(values.json, JSON.stringify(results, null, 2));
  process.exit(0);
}

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const apiKey = 'bench-api-key';
const system = await startLocalSystem({
  manifest,
  rootDir: root,
  apiKey,
  pspPort: Number(process.env.PSP_PORT ?? 0),
  apiPort: Number(process.env.PORT ?? 0),
  log,
  runtime: { runSchedules: false },
});
try {
  const seconds = Number(values.seconds);
  const table = system.names.tables.payments ?? '';
  log(`storage: TransactWriteItems (4 items) for ${seconds} s, 16 in flight...`);
  const storage = await storageRate(
    system.endpoints.dynamodb,
    system.names.tables.idempotency ?? table,
    seconds,
  );
  log(`storage: ${storage.toFixed(0)} TransactWriteItems/s (${load()})`);
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: system.endpoints.dynamodb,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  const driver: Driver = { api: system.endpoints.api, apiKey, db, table };
  // Every billable call of the levels, priced per pay-in at the end (bench/cost.ts, bench/prices.ts).
  const metering = await meterSystem(system);
  const meteredSince = new Date();
  const levels: LevelFigure[] = [];
  const shapes = [
    ...values.levels.split(',').map((c) => ({ concurrency: Number(c) })),
    ...(Number(values.rate) > 0 ? [{ rate: Number(values.rate) }] : []),
  ];
  for (const shape of shapes) {
    const what = 'rate' in shape ? `${shape.rate} checkouts/s steady` : `${shape.concurrency} in flight`;
    log(`checkouts: ${what} for ${seconds} s...`);
    const figure = await level(driver, shape, seconds);
    levels.push(figure);
    log(
      `  ${what}: ${figure.checkoutsPerSecond.toFixed(1)} checkouts/s (${figure.ordersPerSecond.toFixed(1)} orders/s), POST p50 ${figure.postP50.toFixed(0)} ms, p95 ${figure.postP95.toFixed(0)} ms, p99 ${figure.postP99.toFixed(0)} ms, ${figure.cpuMsPerCheckout.toFixed(0)} ms CPU a checkout (${load()})`,
    );
  }
  metering.meter.pause();
  db.destroy();
  const payIns = levels.reduce((n, l) => n + l.checkouts * 2, 0);
  const cost = metering.price(payIns, meteredSince);
  metering.meter.remove();
  const costTotal = cost.modelled.reduce((n, l) => n + l.dollarsPerMillion, 0);
  console.log(
    formatCost(
      cost.modelled,
      `cost per 1M pay-ins, Lambda duration modelled for AWS (${payIns} pay-ins of the levels above, ${cost.pspCalls} PSP calls; logs at POWERTOOLS_LOG_LEVEL=${process.env.POWERTOOLS_LOG_LEVEL}, npm run cost prices INFO):`,
    ),
  );
  const closed = levels.filter((l) => l.concurrency > 0);
  const best = Math.max(...closed.map((l) => l.ordersPerSecond));
  // A pay-in order takes about 3 transactional writes (create with its checkout, EXECUTING, SUCCESS + ledger).
  log(
    `ratio: ${best.toFixed(1)} orders/s against ${storage.toFixed(0)} storage transactions/s = ${(((best * 3) / storage) * 100).toFixed(0)}% of the storage's rate (3 transactions an order)`,
  );
  Object.assign(results, {
    storageTransactWritesPerSecond: storage,
    levels,
    costPerMillionPayIns: { total: costTotal, lines: cost.modelled, payIns },
    finishedUnder: load(),
  });
  writeFileSync(values.json, JSON.stringify(results, null, 2));
  writeFileSync(values.svg, svgChart(closed));
  log(`results: ${values.json}, chart: ${values.svg}; cost per 1M pay-ins: $${costTotal.toFixed(2)}`);
} finally {
  await system.stop();
}
process.exit(0);
