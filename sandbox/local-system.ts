/**
 * The whole local system in one call: engines, resources from the manifest, the runtime, and the PSP
 * simulator. Used by `npm start` and by end-to-end tests.
 */
import type { Manifest } from '../lib/manifest';
import { startDynamoDb } from './engines/dynamodb';
import { startMessaging } from './engines/fauxqs';
import { provision } from './provision';
import { type Runtime, startRuntime } from './runtime';

export interface LocalSystemOptions {
  readonly manifest: Manifest;
  readonly rootDir: string;
  readonly apiPort?: number;
  readonly pspPort?: number;
  readonly apiKey: string;
  readonly dataDirs?: { dynamodb: string; messaging: string };
  readonly log?: (line: string) => void;
}

export interface LocalSystem {
  readonly runtime: Runtime;
  readonly endpoints: {
    api: string;
    dynamodb: string;
    messaging: string;
    stepFunctions: string;
    psp?: string;
  };
  describe(): string;
  stop(): Promise<void>;
}

export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => console.error('[local] stop failed', e));
  };
  try {
    log('starting DynamoDB Local (Java) and the SQS/SNS/S3 engine...');
    const [dynamo, messaging] = await Promise.all([
      startDynamoDb(options.dataDirs ? { dataDir: options.dataDirs.dynamodb } : {}),
      startMessaging(options.dataDirs ? { dataDir: options.dataDirs.messaging } : {}),
    ]);
    stops.push(
      () => dynamo.stop(),
      () => messaging.stop(),
    );
    const engines = { dynamodb: dynamo.endpoint, messaging: messaging.endpoint };

    const prefix = 'local-';
    const nameOf = (id: string) => `${prefix}${id}`;
    log('creating tables, queues, topics and buckets from the manifest...');
    const names = await provision(options.manifest, engines, prefix);

    const runtime = await startRuntime({
      manifest: options.manifest,
      rootDir: options.rootDir,
      names,
      nameOf,
      engines,
      apiPort: options.apiPort,
      apiKey: options.apiKey,
    });
    stops.push(() => runtime.stop());

    const endpoints = { api: runtime.apiUrl, ...engines, stepFunctions: runtime.stepFunctionsUrl };
    return {
      runtime,
      endpoints,
      describe: () =>
        [
          '',
          `  API (API Gateway)      ${endpoints.api}   (x-api-key: ${options.apiKey})`,
          `  health                 ${endpoints.api}/_sandbox/health`,
          `  DynamoDB Local         ${endpoints.dynamodb}`,
          `  SQS / SNS / S3         ${endpoints.messaging}`,
          `  Step Functions         ${endpoints.stepFunctions}`,
          '',
          `  routes:    ${options.manifest.routes.map((r) => `${r.method} ${r.path}`).join(', ')}`,
          `  tables:    ${Object.values(names.tables).join(', ')}`,
          `  queues:    ${Object.keys(names.queues).map(nameOf).join(', ')}`,
          `  buckets:   ${Object.values(names.buckets).join(', ')}`,
          '',
        ].join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
