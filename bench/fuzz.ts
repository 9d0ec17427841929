/**
 * `npm run fuzz -- [--runs 10000] [--seed 15]`: seeded bad requests against the whole system on its own engines
 * (test/fuzz/api.ts); prints the answers by status and code, and exits 1 on a wrong answer or any write.
 */
// First: settings the functions' modules read at load (sandbox/local-process.ts).
import '../sandbox/local-process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { manifest } from '../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../sandbox/engines/local-aws';
import { localSecretValue } from '../sandbox/environment';
import { startLocalSystem } from '../sandbox/local-system';
import { fuzzApi, tableItems } from '../test/fuzz/api';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string', default: '15' } },
});
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
const apiKey = 'fuzz-api-key';
const system = await startLocalSystem({
  manifest,
  rootDir: resolve(import.meta.dirname, '..'),
  apiKey,
  pspPort: Number(process.env.PSP_PORT ?? 0),
  apiPort: Number(process.env.PORT ?? 0),
  log: (line) => console.log(`[fuzz] ${line}`),
  runtime: { runSchedules: false },
});
let ok = false;
try {
  const started = Date.now();
  const runs = Number(values.runs);
  console.log(`[fuzz] ${runs} bad requests, seed ${values.seed}`);
  const report = await fuzzApi(
    {
      apiUrl: system.endpoints.api,
      apiKey,
      webhookSecret: localSecretValue(manifest, 'stripe-webhook-secret'),
    },
    { numRuns: runs, seed: Number(values.seed), onProgress: (n) => console.log(`[fuzz] ${n}/${runs}`) },
  );
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: system.endpoints.dynamodb,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  const counts = await tableItems(db, Object.values(system.names.tables));
  db.destroy();
  const written = Object.entries(counts).filter(([, n]) => n > 0);
  const pspObjects = system.psp.control.events().length;
  console.log(`\nfuzz: ${runs} requests in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log('answers by status and code:');
  for (const [k, n] of Object.entries(report.byStatus).sort((a, b) => b[1] - a[1]))
    console.log(`  ${k.padEnd(40)} ${n}`);
  console.log('requests by kind:');
  for (const [k, n] of Object.entries(report.byLabel).sort((a, b) => b[1] - a[1]))
    console.log(`  ${k.padEnd(40)} ${n}`);
  console.log(`wrong answers: ${report.failures.length}`);
  for (const f of report.failures.slice(0, 20)) console.log(`  - ${f.label}: ${f.problems.join('; ')}`);
  console.log(
    `items written: ${written.length ? JSON.stringify(Object.fromEntries(written)) : 'none'}; PSP events: ${pspObjects}`,
  );
  ok = report.failures.length === 0 && written.length === 0 && pspObjects === 0;
  console.log(ok ? 'every bad request got a clear 4xx and wrote nothing' : 'FUZZ FOUND A PROBLEM');
} finally {
  await system.stop();
}
process.exit(ok ? 0 : 1);
