/**
 * `npm run chaos -- --checkouts N --seed S [--concurrency C] [--json FILE]`: the whole system on its own engines
 * under deterministic faults (test/chaos/), then the invariant table; exits 1 on any violation.
 */
// First: settings the functions' modules read at load (sandbox/local-process.ts).
import '../sandbox/local-process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { manifest } from '../lib/manifest';
import { startLocalSystem } from '../sandbox/local-system';
import { formatChecks } from '../test/chaos/invariants';
import { chaosEnvironment, runChaos } from '../test/chaos/run';
import { moneyWorkloads } from '../test/chaos/workloads';

const { values } = parseArgs({
  options: {
    checkouts: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '12' },
    json: { type: 'string' },
  },
});
const checkouts = Number(values.checkouts);
if (!Number.isInteger(checkouts) || checkouts < 1) throw new Error('--checkouts must be a positive integer');

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
Object.assign(process.env, chaosEnvironment());
const apiKey = 'chaos-api-key';
const system = await startLocalSystem({
  manifest,
  rootDir: resolve(import.meta.dirname, '..'),
  apiKey,
  pspPort: Number(process.env.PSP_PORT ?? 0),
  apiPort: Number(process.env.PORT ?? 0),
  pspSeed: `chaos-${values.seed}`,
  webhookRetryBaseMs: 200,
  log: (line) => console.log(`[chaos] ${line}`),
  runtime: { runSchedules: false, stepFunctions: { retryIntervalMs: 200, waitMs: 200 } },
});
let exitCode = 1;
// All functions share this process, unlike Lambda's one-invocation containers: a stray rejection of one
// invocation (seen once: middy's early-timeout error after 10,000 checkouts) must not kill the whole run
// before its checks. Each is printed and fails the run.
const strayRejections: string[] = [];
process.on('unhandledRejection', (reason) => {
  const line = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  strayRejections.push(line);
  // The stack says which invocation dropped it (the message alone did not, the one time it happened).
  const stack = reason instanceof Error ? `\n${reason.stack ?? ''}` : '';
  console.error(
    `[chaos] unhandled rejection in the local runtime (counted, the run goes on): ${line}${stack}`,
  );
});
try {
  const startedAt = Date.now();
  console.log(`[chaos] ${checkouts} checkouts, seed ${values.seed}, ${values.concurrency} in flight`);
  const report = await runChaos({
    system,
    apiKey,
    checkouts,
    seed: values.seed,
    concurrency: Number(values.concurrency),
    workloads: moneyWorkloads(),
    // Minutes since the start on each line: which phase a long run spends its time in.
    log: (line) => console.log(`${((Date.now() - startedAt) / 60_000).toFixed(1).padStart(5)}m ${line}`),
  });
  console.log('');
  console.log(
    `chaos run: seed ${report.plan.seed}, ${report.plan.checkouts} checkouts (${Object.entries(
      report.plan.byMode,
    )
      .map(([m, n]) => `${m} ${n}`)
      .join(', ')}), ${report.plan.orders} orders, ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  console.log(formatChecks(report.checks));
  console.log(report.ok ? '\nevery invariant held' : '\nINVARIANT VIOLATED');
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(report, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2),
    );
  if (strayRejections.length)
    console.log(`\n${strayRejections.length} unhandled rejections in the local runtime: the run fails`);
  exitCode = report.ok && strayRejections.length === 0 ? 0 : 1;
} finally {
  await system.stop();
}
process.exit(exitCode);
