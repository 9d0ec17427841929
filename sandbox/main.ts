/**
 * `npm start`: the whole system on this machine, no AWS account and no Docker. Starts DynamoDB Local and the
 * SQS/SNS/S3 engine, creates the manifest's resources, runs the runtime, and prints where everything listens.
 * Ctrl-C (or SIGTERM) stops everything; if this process is killed outright, the engine's guard stops Java.
 *
 * Environment: PORT (API, default 3000), PSP_PORT (PSP simulator, default 12111), SANDBOX_DATA_DIR (persist
 * DynamoDB, SQS/S3 and PSP simulator state in this folder; default in memory), API_KEY (storefront key, default printed).
 */
// First: settings the functions' modules read at load (sandbox/local-process.ts).
import './local-process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { manifest } from '../lib/manifest';
import { withDemoReturnUrls } from './dev-pages';
import { startLocalSystem } from './local-system';

const port = Number(process.env.PORT ?? 3000);
const pspPort = Number(process.env.PSP_PORT ?? 12111);
const dataDir = process.env.SANDBOX_DATA_DIR ? resolve(process.env.SANDBOX_DATA_DIR) : undefined;
const apiKey = process.env.API_KEY ?? 'local-storefront-key';

async function main(): Promise<void> {
  const started = Date.now();
  if (dataDir) {
    mkdirSync(join(dataDir, 'dynamodb'), { recursive: true });
    mkdirSync(join(dataDir, 'messaging'), { recursive: true });
    mkdirSync(join(dataDir, 'psp'), { recursive: true });
  }
  const system = await startLocalSystem({
    // A buyer who pays on the PSP's hosted page comes back to the demo storefront's result page.
    manifest: withDemoReturnUrls(manifest, `http://127.0.0.1:${port}`),
    rootDir: resolve(import.meta.dirname, '..'),
    apiPort: port,
    pspPort,
    apiKey,
    ...(dataDir
      ? {
          dataDirs: {
            dynamodb: join(dataDir, 'dynamodb'),
            messaging: join(dataDir, 'messaging'),
            psp: join(dataDir, 'psp'),
          },
        }
      : {}),
    log: (line) => console.log(line),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A second Ctrl-C: do not wait for in-flight work; the engines' guards stop Java when we are gone.
      console.log(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    await system.stop();
    console.log('stopped; no engine left running');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));

  console.log(system.describe());
  console.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s — Ctrl-C to stop`);
}

main().catch((error: unknown) => {
  console.error('the local system failed to start:', error);
  process.exit(1);
});
