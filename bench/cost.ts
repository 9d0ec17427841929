/**
 * The cost of a million pay-ins, measured: runs a clean workload (test/chaos/plan.ts without faults) through the
 * whole local system with every AWS call metered (sandbox/metering.ts), then prices the usage line by line with
 * bench/prices.ts. `npm run cost -- [--checkouts 200] [--seed 1] [--json FILE]`.
 *
 * A pay-in is one payment order (one charge); a checkout carries one to five. Lambda durations are measured
 * here, on a local machine shared by everything in this process: they are an upper bound for AWS's.
 */
// First: settings the functions' modules read at load (sandbox/local-process.ts).
import '../sandbox/local-process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { documentClient, s3Client, snsClient, sqsClient } from '../lambdas/shared/aws-clients';
import { manifest } from '../lib/manifest';
import { localSecretValue } from '../sandbox/environment';
import { type LocalSystem, startLocalSystem } from '../sandbox/local-system';
import {
  type FunctionUsage,
  Meter,
  PLATFORM_LOG_BYTES_PER_INVOCATION,
  type Usage,
} from '../sandbox/metering';
import { formatChecks } from '../test/chaos/invariants';
import type { FaultRates } from '../test/chaos/plan';
import { ApiClient, chaosEnvironment, runChaos } from '../test/chaos/run';
import { type PhaseResult, payoutPhase, refundPhase } from './money-out-phases';
import { PRICES } from './prices';

export interface CostLine {
  readonly item: string;
  readonly quantityPerPayIn: number;
  readonly unit: string;
  readonly dollarsPerMillion: number;
}

const NO_FAULTS: FaultRates = {
  pspError: 0,
  pspRateLimit: 0,
  pspDrop: 0,
  pspSlow: 0,
  webhookDuplicate: 0,
  webhookReorder: 0,
  webhookDelay: 0,
  webhookLoss: 0,
  dynamoThrottle: 0,
  dynamoConflict: 0,
  crashAfterPsp: 0,
  crashAfterPayout: 0,
  crashAfterApi: 0,
  crashAfterStep: 0,
  crashMidBatch: 0,
};

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

/**
 * Lambda duration as AWS would bill it, modelled from what each function waited on (the local durations are
 * inflated by a shared CPU): per invocation 10 ms of own work at 512 MB (Lambda's CPU share is proportional to
 * memory up to 1,769 MB: 20 ms at 256 MB), 6 ms per DynamoDB call, 8 ms per SQS/SNS/S3 call, 350 ms per PSP
 * call (Stripe's typical API latency).
 */
export const DURATION_MODEL_MS = {
  ownWorkAt512Mb: 10,
  dynamoCall: 6,
  messagingCall: 8,
  pspCall: 350,
} as const;

/** One function's modelled milliseconds for what it did (`FunctionUsage`'s counts). */
export function modelledMs(f: FunctionUsage): number {
  const cpuShare = Math.min(f.memoryMb, 1769) / 512;
  return (
    f.invocations * (DURATION_MODEL_MS.ownWorkAt512Mb / cpuShare) +
    f.dynamoCalls * DURATION_MODEL_MS.dynamoCall +
    f.messagingCalls * DURATION_MODEL_MS.messagingCall +
    f.pspCalls * DURATION_MODEL_MS.pspCall
  );
}

/**
 * Prices a run's usage per unit (a pay-in, a refund, a payout: `units` of them); Express executions are billed
 * per 100 ms at 64 MB; Lambda duration `measured` here or `modelled` for AWS (`modelledMs`).
 */
export function priceUsage(
  usage: Usage,
  units: number,
  sfnExpressBilledMs: Record<string, number>,
  durations: 'measured' | 'modelled' = 'measured',
): CostLine[] {
  const per = (n: number) => n / units;
  const lines: CostLine[] = [];
  let expressScale = 1;
  const line = (item: string, quantity: number, unit: string, price: number) =>
    lines.push({
      item,
      quantityPerPayIn: per(quantity),
      unit,
      dollarsPerMillion: per(quantity) * price * 1e6,
    });
  line('API Gateway REST requests', usage.restApiRequests, 'requests', PRICES.apiGatewayRestRequest);
  line(
    'API Gateway HTTP API requests (webhooks)',
    usage.httpApiRequests,
    'requests',
    PRICES.apiGatewayHttpRequest,
  );
  const functions = Object.entries(usage.functions).sort(([a], [b]) => (a < b ? -1 : 1));
  const invocations = functions.reduce((n, [, f]) => n + f.invocations, 0);
  line('Lambda requests', invocations, 'invocations', PRICES.lambdaRequest);
  let modelledTotal = 0;
  for (const [id, f] of functions) {
    const ms = durations === 'measured' ? f.billedMs : modelledMs(f);
    modelledTotal += ms;
    line(
      `Lambda duration ${id} (${f.memoryMb} MB), ${durations}`,
      (ms / 1000) * (f.memoryMb / 1024),
      'GB-s',
      PRICES.lambdaGbSecond,
    );
  }
  if (durations === 'modelled') {
    // An Express execution waits on its Lambda tasks: its measured time is inflated by the same shared CPU,
    // so it is scaled by the same ratio (modelled / measured Lambda time).
    const measuredMs = functions.reduce((n, [, f]) => n + f.billedMs, 0);
    expressScale = measuredMs > 0 ? Math.min(1, modelledTotal / measuredMs) : 1;
  }
  for (const [id, m] of Object.entries(usage.stepFunctions)) {
    const spec = manifest.stateMachines.find((s) => s.id === id);
    if (spec?.type === 'EXPRESS') {
      line(`Step Functions Express ${id} requests`, m.executions, 'executions', PRICES.sfnExpressRequest);
      line(
        `Step Functions Express ${id} duration (64 MB)${expressScale < 1 ? ', modelled' : ''}`,
        (((sfnExpressBilledMs[id] ?? 0) * expressScale) / 1000) * (64 / 1024),
        'GB-s',
        PRICES.sfnExpressGbSecond,
      );
    } else {
      line(
        `Step Functions Standard ${id} transitions`,
        m.transitions,
        'transitions',
        PRICES.sfnStandardTransition,
      );
    }
  }
  line('DynamoDB write units', usage.dynamo.writeUnits, 'WRU', PRICES.dynamoWriteUnit);
  line('DynamoDB read units', usage.dynamo.readUnits, 'RRU', PRICES.dynamoReadUnit);
  line(
    'SQS requests (sends + event source receive/delete per batch)',
    sum(usage.sqs) + 2 * usage.sqsPollBatches,
    'requests',
    PRICES.sqsRequest,
  );
  line('SNS publishes', sum(usage.sns), 'publishes', PRICES.snsPublish);
  line('S3 PUT', usage.s3.PutObject ?? 0, 'requests', PRICES.s3Put);
  line('S3 GET', (usage.s3.GetObject ?? 0) + (usage.s3.ListObjectsV2 ?? 0), 'requests', PRICES.s3Get);
  const functionLogs = usage.logBytes + invocations * PLATFORM_LOG_BYTES_PER_INVOCATION;
  line('CloudWatch Logs: functions (INFO + platform lines)', functionLogs / 1e9, 'GB', PRICES.logsIngestGb);
  // API Gateway JSON access logs: about 400 bytes a request (jsonWithStandardFields).
  const apiRequests = usage.restApiRequests + usage.httpApiRequests;
  line('CloudWatch Logs: API access logs', (apiRequests * 400) / 1e9, 'GB', PRICES.logsIngestGb);
  // Express machines log at ERROR without execution data (lib/payments-stack.ts): a clean run writes nothing;
  // Standard ones log ALL without data, counted here with data (an upper bound).
  const history = sum(
    Object.fromEntries(
      Object.entries(usage.stepFunctions)
        .filter(([k]) => manifest.stateMachines.find((s) => s.id === k)?.type !== 'EXPRESS')
        .map(([k, m]) => [k, m.historyBytes]),
    ),
  );
  line('CloudWatch Logs: Standard state machine history', history / 1e9, 'GB', PRICES.logsIngestGb);
  const traced =
    // The HTTP API does not trace (X-Ray supports REST APIs only): its requests start no trace.
    usage.restApiRequests +
    sum(Object.fromEntries(Object.entries(usage.stepFunctions).map(([k, m]) => [k, m.executions])));
  line('X-Ray traces (5% sampled)', traced * PRICES.xraySampleRate, 'traces', PRICES.xrayTrace);
  return lines;
}

export function formatCost(lines: readonly CostLine[], title: string, unit = 'pay-in'): string {
  const width = Math.max(...lines.map((l) => l.item.length));
  const total = lines.reduce((n, l) => n + l.dollarsPerMillion, 0);
  const out = [title, `${'item'.padEnd(width)}  ${`per ${unit}`.padStart(14)}  unit          $ per 1M`];
  for (const l of [...lines].sort((a, b) => b.dollarsPerMillion - a.dollarsPerMillion)) {
    out.push(
      `${l.item.padEnd(width)}  ${l.quantityPerPayIn.toPrecision(4).padStart(14)}  ${l.unit.padEnd(12)}  ${l.dollarsPerMillion.toFixed(2).padStart(8)}`,
    );
  }
  out.push(`${'total'.padEnd(width)}  ${''.padStart(14)}  ${''.padEnd(12)}  ${total.toFixed(2).padStart(8)}`);
  return out.join('\n');
}

export interface SystemMetering {
  readonly meter: Meter;
  /**
   * Prices what was metered per unit (`units` pay-ins, refunds or payouts): Lambda duration modelled for AWS
   * and as measured here; Express executions billed from those started since `since`.
   */
  price(units: number, since: Date): { modelled: CostLine[]; measured: CostLine[]; pspCalls: number };
}

/**
 * Meters a started local system: the functions' own AWS clients, their log lines and their PSP calls
 * (sandbox/metering.ts), each call counted against the function whose invocation made it. `meter.remove()`
 * when done.
 */
export async function meterSystem(system: LocalSystem): Promise<SystemMetering> {
  const meter = new Meter(manifest, system.runtime.host, system.runtime.stepFunctions);
  meter.meterDynamo(documentClient());
  meter.meterRequests(sqsClient(), 'sqs');
  meter.meterRequests(snsClient(), 'sns');
  meter.meterRequests(s3Client(), 's3');
  meter.meterLogs();
  meter.meterPsp(
    new URL(system.endpoints.psp).host,
    `Bearer ${localSecretValue(manifest, 'stripe-api-key')}`,
  );
  return {
    meter,
    price(units, since) {
      const billed: Record<string, number> = {};
      for (const spec of manifest.stateMachines) {
        for (const e of system.runtime.stepFunctions.listExecutions(
          system.runtime.stepFunctions.arnOf(spec.id),
        )) {
          if (e.startDate < since || !e.stopDate) continue;
          const ms = e.stopDate.getTime() - e.startDate.getTime();
          billed[spec.id] = (billed[spec.id] ?? 0) + Math.ceil(Math.max(1, ms) / 100) * 100;
        }
      }
      return {
        measured: priceUsage(meter.usage, units, billed),
        modelled: priceUsage(meter.usage, units, billed, 'modelled'),
        pspCalls: sum(meter.usage.psp),
      };
    },
  };
}

interface PricedPhase {
  readonly title: string;
  /** `pay-in`, `refund`, `payout`. */
  readonly unit: string;
  readonly units: number;
  readonly usage: Usage;
  readonly modelled: CostLine[];
  readonly measured: CostLine[];
}

function priced(
  metering: SystemMetering,
  what: string,
  unit: string,
  units: number,
  since: Date,
  about: string,
): PricedPhase {
  const { modelled, measured } = metering.price(Math.max(1, units), since);
  const title = `cost per 1M ${what}, Lambda duration modelled for AWS: ${units} ${unit}s, ${about}`;
  return { title, unit, units, usage: structuredClone(metering.meter.usage), modelled, measured };
}

const problemsOf = (r: PhaseResult) =>
  r.problems.length ? `PROBLEMS: ${r.problems.slice(0, 5).join('; ')}` : 'all final';

const formatPer = (counts: Record<string, number>, units: number) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${(n / Math.max(1, units)).toFixed(2)} ${k}`)
    .join(', ') || 'none';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkouts: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
    },
  });
  // The production log level: what CloudWatch would ingest.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  Object.assign(process.env, chaosEnvironment());
  const apiKey = 'cost-api-key';
  const system = await startLocalSystem({
    manifest,
    rootDir: resolve(import.meta.dirname, '..'),
    apiKey,
    pspPort: Number(process.env.PSP_PORT ?? 0),
    apiPort: Number(process.env.PORT ?? 0),
    webhookRetryBaseMs: 200,
    runtime: { runSchedules: false },
  });
  const metering = await meterSystem(system);
  const { meter } = metering;
  let code = 1;
  try {
    const started = new Date();
    const report = await runChaos({
      system,
      apiKey,
      checkouts: Number(values.checkouts),
      seed: values.seed,
      concurrency: 8,
      faults: NO_FAULTS,
      clean: true,
      // The invariant check Scans every table: not part of a payment's cost.
      beforeChecks: () => meter.pause(),
      log: (line) => console.log(line),
    });
    const payIns = report.plan.orders;
    const about = `in ${report.plan.checkouts} checkouts (${(report.plan.orders / report.plan.checkouts).toFixed(2)} orders each); invariants ${report.ok ? 'held' : 'VIOLATED'}`;
    const phases: PricedPhase[] = [
      priced(metering, 'pay-ins (payment orders)', 'pay-in', payIns, started, about),
    ];
    if (!report.ok) console.log(`\n${formatChecks(report.checks.filter((c) => !c.ok))}`);

    // Money going back: each refund priced on its own (the meter starts afresh).
    const api = new ApiClient(system.endpoints.api, apiKey);
    console.log('[cost] refunds: every other captured order, in full...');
    meter.reset();
    meter.resume();
    let since = new Date();
    const refunds = await refundPhase(system, api, Math.max(1, Math.floor(payIns / 2)));
    meter.pause();
    phases.push(priced(metering, 'refunds', 'refund', refunds.done, since, problemsOf(refunds)));

    // Money going out: one payout per seller of what is left (the sellers' registration is not metered).
    console.log('[cost] payouts: each seller paid out through Stripe Connect...');
    meter.reset();
    meter.resume();
    since = new Date();
    const payouts = await payoutPhase(system, api, (registering) =>
      registering ? meter.pause() : meter.resume(),
    );
    meter.pause();
    phases.push(priced(metering, 'payouts', 'payout', payouts.done, since, problemsOf(payouts)));

    for (const phase of phases) {
      console.log('');
      console.log(formatCost(phase.modelled, phase.title, phase.unit));
      console.log(`PSP calls per ${phase.unit}: ${formatPer(phase.usage.psp, phase.units)}`);
      console.log(`DynamoDB write units per ${phase.unit}, by table and operation:`);
      for (const [by, n] of Object.entries(phase.usage.dynamo.writeUnitsBy).sort((x, y) => y[1] - x[1]))
        console.log(`  ${(n / Math.max(1, phase.units)).toFixed(2).padStart(7)}  ${by}`);
    }
    const payIn = phases[0];
    if (payIn) {
      console.log('');
      console.log(
        formatCost(payIn.measured, 'pay-ins, Lambda duration as measured here (inflated by the shared CPU):'),
      );
    }
    const total = (p: PricedPhase) => p.modelled.reduce((n, l) => n + l.dollarsPerMillion, 0);
    console.log('');
    console.log(
      `per 1M: ${phases.map((p) => `${p.unit}s $${total(p).toFixed(2)}`).join(', ')} (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
    );
    if (values.json)
      writeFileSync(
        values.json,
        JSON.stringify(
          phases.map((p) => ({ ...p, totalPerMillion: total(p) })),
          null,
          2,
        ),
      );
    const phasesOk =
      refunds.problems.length === 0 && payouts.problems.length === 0 && refunds.done > 0 && payouts.done > 0;
    code = report.ok && phasesOk ? 0 : 1;
  } finally {
    meter.remove();
    await system.stop();
  }
  process.exit(code);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
