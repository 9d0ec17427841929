/**
 * A short chaos run in `npm test` (the long one is `npm run chaos`): 40 checkouts under PSP, webhook and
 * DynamoDB faults and crashes (after the PSP answered, between workflow steps, mid-batch) with duplicates,
 * 3-D Secure and hosted payments and cancels racing them, pay-outs racing the pay-ins, then refunds, disputes
 * (card and hosted-page orders) and pay-outs racing each other under the same faults, ending with sweeps;
 * every invariant holds.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalSystem } from '../../../sandbox/local-system';
import { formatChecks } from '../../chaos/invariants';
import { chaosEnvironment, runChaos } from '../../chaos/run';
import { moneyWorkloads } from '../../chaos/workloads';
import { startTestSystem, TEST_API_KEY } from '../../support/system';

let system: LocalSystem;
const logLevel = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(async () => {
  Object.assign(process.env, chaosEnvironment());
  // Faults make the functions log errors by design; the table says what matters.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  system = await startTestSystem({ webhookRetryBaseMs: 100 });
});
afterAll(async () => {
  await system?.stop();
  for (const key of Object.keys(chaosEnvironment())) delete process.env[key];
  if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
});

it('40 checkouts under faults: every invariant of DESIGN.md §8 holds', { timeout: 600_000 }, async () => {
  const report = await runChaos({
    system,
    apiKey: TEST_API_KEY,
    checkouts: 40,
    seed: 'npm-test',
    concurrency: 8,
    // More cancels, disputes, pay-out races and crashes than the default mix, so that 40 checkouts meet each.
    rates: { cancel: 0.3, dispute: 0.2, disputeHosted: 0.8, payoutRival: 0.4 },
    faults: {
      crashAfterPsp: 0.1,
      crashAfterPayout: 0.3,
      crashAfterApi: 0.5,
      crashAfterStep: 0.05,
      crashMidBatch: 0.1,
    },
    workloads: moneyWorkloads(),
  });
  const table = formatChecks(report.checks);
  if (process.env.CHAOS_TABLE) console.log(table, JSON.stringify(report.workloads));
  expect(
    report.checks.filter((c) => !c.ok),
    table,
  ).toEqual([]);
  // The run did meet faults (a run that injected nothing proves nothing).
  expect(report.facts.dynamo.throttled + report.facts.dynamo.conflicts).toBeGreaterThan(0);
  expect(Object.values(report.facts.pspFaults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  // Each kind of crash, and the crash points in both the pay-in and the pay-out executor ...
  const { afterPsp, afterStep, midBatch } = report.facts.crashes;
  expect(afterPsp['payin.confirmed'], table).toBeGreaterThan(0);
  expect(afterPsp['payout.advanced'], table).toBeGreaterThan(0);
  // ... and in the API functions that create money movements (answered 502; retried under the same key).
  expect(afterPsp['refund.created'], table).toBeGreaterThan(0);
  expect(afterPsp['payout.requested'], table).toBeGreaterThan(0);
  expect(Object.keys(afterStep).length, table).toBeGreaterThan(0);
  expect(Object.keys(midBatch).length, table).toBeGreaterThan(0);
  // And every money workload acted: cancels raced pay-ins, refunds, disputes and pay-outs were made.
  const { cancels, refunds, disputes, payouts } = report.workloads;
  expect(cancels?.sent, table).toBeGreaterThan(0);
  expect(refunds?.requests, table).toBeGreaterThan(0);
  expect(refunds?.overAsking, table).toBeGreaterThan(0);
  expect(disputes?.opened, table).toBeGreaterThan(0);
  expect(disputes?.hosted, table).toBeGreaterThan(0);
  expect(payouts?.paid, table).toBeGreaterThan(0);
  // Pay-outs were made while pay-ins, then refunds and disputes, were still in flight.
  expect(payouts?.racingPayins, table).toBeGreaterThan(0);
  expect(payouts?.racingRefunds, table).toBeGreaterThan(0);
});
