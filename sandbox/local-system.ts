/**
 * The whole local system in one call: engines, resources from the manifest, the runtime, and the PSP
 * simulator. Used by `npm start` and by end-to-end tests.
 */

import { SUBSCRIBED_EVENT_TYPES } from '../lambdas/webhooks/subscribed-events';
import type { Manifest } from '../lib/manifest';
import { devPages } from './dev-pages';
import { startDynamoDb } from './engines/dynamodb';
import { startMessaging } from './engines/fauxqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './engines/local-aws';
import { localSecretValue } from './environment';
import type { PhysicalNames } from './provision';
import { provision } from './provision';
import type { PspSimulator } from './psp';
import { startPspSimulator } from './psp';
import { type Runtime, type RuntimeOptions, startRuntime } from './runtime';

export interface LocalSystemOptions {
  readonly manifest: Manifest;
  readonly rootDir: string;
  readonly apiPort?: number;
  readonly pspPort?: number;
  readonly apiKey: string;
  readonly dataDirs?: { dynamodb: string; messaging: string; psp?: string };
  readonly log?: (line: string) => void;
  /** Resource name prefix (several systems can share engines in tests). */
  readonly prefix?: string;
  /** Reuse running engines instead of starting new ones (tests share one pair per run). */
  readonly engines?: { dynamodb: string; messaging: string };
  readonly pspSeed?: string | number;
  readonly webhookRetryBaseMs?: number;
  /** Extra runtime settings (tests shorten retries and polling). */
  readonly runtime?: Partial<
    Omit<RuntimeOptions, 'manifest' | 'rootDir' | 'names' | 'nameOf' | 'engines' | 'apiKey'>
  >;
}

const WEBHOOK_PATH = '/v1/webhooks/psp';
/** The asynchronous payout provider's webhook (its own secret and signature scheme). */
const PAYOUT_WEBHOOK_PATH = '/v1/webhooks/payouts';

export interface LocalSystem {
  readonly runtime: Runtime;
  readonly psp: PspSimulator;
  readonly names: PhysicalNames;
  readonly endpoints: {
    api: string;
    dynamodb: string;
    messaging: string;
    stepFunctions: string;
    psp: string;
  };
  describe(): string;
  stop(): Promise<void>;
}

export async function startLocalSystem(options: LocalSystemOptions): Promise<LocalSystem> {
  const log = options.log ?? (() => undefined);
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse())
      await s().catch((e: unknown) => console.error('[local] stop failed', e));
  };
  try {
    let engines = options.engines;
    if (!engines) {
      log('starting DynamoDB Local (Java) and the SQS/SNS/S3 engine...');
      const [dynamo, messaging] = await Promise.allSettled([
        startDynamoDb(options.dataDirs ? { dataDir: options.dataDirs.dynamodb } : {}),
        startMessaging(options.dataDirs ? { dataDir: options.dataDirs.messaging } : {}),
      ]);
      // Whichever started is stopped, even when the other failed.
      if (dynamo.status === 'fulfilled') stops.push(() => dynamo.value.stop());
      if (messaging.status === 'fulfilled') stops.push(() => messaging.value.stop());
      if (dynamo.status === 'rejected') throw dynamo.reason;
      if (messaging.status === 'rejected') throw messaging.reason;
      engines = { dynamodb: dynamo.value.endpoint, messaging: messaging.value.endpoint };
    }

    const prefix = options.prefix ?? 'local-';
    const nameOf = (id: string) => `${prefix}${id}`;
    log('creating tables, queues, topics and buckets from the manifest...');
    const names = await provision(options.manifest, engines, prefix);

    // The PSP simulator plays Stripe: the SDK in the functions points at it (PSP_API_BASE), it signs and
    // sends webhooks to our webhook route, and it writes settlement files into the settlements bucket.
    const webhookSecret = localSecretValue(options.manifest, 'stripe-webhook-secret');
    const psp = await startPspSimulator({
      port: options.pspPort ?? 0,
      ...(options.pspSeed !== undefined ? { seed: options.pspSeed } : {}),
      webhookRetryBaseMs: options.webhookRetryBaseMs ?? 1_000,
      ...(options.dataDirs?.psp ? { dataDir: options.dataDirs.psp } : {}),
      ...(names.buckets.settlements
        ? {
            settlement: {
              bucket: names.buckets.settlements,
              prefix: 'settlements/',
              s3: {
                endpoint: engines.messaging,
                region: LOCAL_REGION,
                credentials: LOCAL_CREDENTIALS,
                forcePathStyle: true,
              },
            },
          }
        : {}),
    });
    stops.push(() => psp.stop());

    const runtime = await startRuntime({
      manifest: options.manifest,
      rootDir: options.rootDir,
      names,
      nameOf,
      engines,
      apiPort: options.apiPort,
      apiKey: options.apiKey,
      pspUrl: psp.url,
      extraLocalRoutes: devPages({
        manifest: options.manifest,
        storefrontKey: options.apiKey,
        pspUrl: psp.url,
        // For `npx payments reconcile FILE`: where the local S3 engine listens and the settlements bucket.
        sandboxInfo: { s3Endpoint: engines.messaging, region: LOCAL_REGION, buckets: names.buckets },
      }),
      ...options.runtime,
    });
    stops.push(() => runtime.stop());
    if (options.manifest.routes.some((r) => r.path === WEBHOOK_PATH)) {
      // Subscribed to what the consumer acts on, as the endpoint registered at Stripe is (docs/deploy.md).
      psp.control.addWebhookEndpoint({
        url: `${runtime.apiUrl}${WEBHOOK_PATH}`,
        secret: webhookSecret,
        enabledEvents: [...SUBSCRIBED_EVENT_TYPES],
      });
      // After a restart on a data folder: what the webhook route had not acknowledged is sent again.
      const resent = psp.resumeWebhooks();
      if (resent > 0) log(`PSP simulator: resending ${resent} unacknowledged webhook deliveries`);
    }
    if (options.manifest.routes.some((r) => r.path === PAYOUT_WEBHOOK_PATH)) {
      psp.control.payees?.addWebhookEndpoint({
        url: `${runtime.apiUrl}${PAYOUT_WEBHOOK_PATH}`,
        secret: localSecretValue(options.manifest, 'payee-webhook-secret'),
      });
      // After a restart on a data folder: the payee events the payout webhook had not acknowledged.
      const resentPayee = psp.restored ? (psp.control.payees?.resumeWebhooks() ?? 0) : 0;
      if (resentPayee > 0) log(`payee network: resending ${resentPayee} unacknowledged webhook deliveries`);
    }

    const endpoints = {
      api: runtime.apiUrl,
      ...engines,
      stepFunctions: runtime.stepFunctionsUrl,
      psp: psp.url,
    };
    return {
      runtime,
      psp,
      names,
      endpoints,
      describe: () =>
        [
          '',
          `  API (API Gateway)      ${endpoints.api}   (x-api-key: ${options.apiKey})`,
          `  health                 ${endpoints.api}/_sandbox/health`,
          `  API docs (OpenAPI)     ${endpoints.api}/docs   (${endpoints.api}/openapi.json)`,
          `  storefront demo        ${endpoints.api}/_demo/shop`,
          `  operator console       ${endpoints.api}/_console${
            options.manifest.secrets.some((s) => s.id === 'operator-api-key')
              ? `   (operator key: ${localSecretValue(options.manifest, 'operator-api-key')})`
              : ''
          }`,
          `  DynamoDB Local         ${endpoints.dynamodb}`,
          `  SQS / SNS / S3         ${endpoints.messaging}`,
          `  Step Functions         ${endpoints.stepFunctions}`,
          `  PSP simulator (Stripe) ${endpoints.psp}   (webhooks -> ${endpoints.api}${WEBHOOK_PATH})`,
          `  payee network (async)  ${endpoints.psp}/payee/v1   (webhooks -> ${endpoints.api}${PAYOUT_WEBHOOK_PATH})`,
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
