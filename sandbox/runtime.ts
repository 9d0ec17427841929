/**
 * The local runtime: everything the manifest declares, running in this process on local engines — the API,
 * queue event sources, bucket notifications, schedules and state machines — with the same handler modules and
 * ASL files that CDK deploys.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../lambdas/shared/logger';
import type { Manifest } from '../lib/manifest';
import { startLocalApi } from './api-gateway';
import { startTableStreamSource } from './dynamodb-stream-source';
import { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION } from './engines/local-aws';
import { type LocalEndpoints, runtimeEnvironment } from './environment';
import { LambdaHost } from './lambda-host';
import type { PhysicalNames } from './provision';
import { type BucketWatcher, type FailedAsyncInvocation, startBucketWatcher } from './s3-events';
import { startQueueEventSource } from './sqs-event-source';
import { startStepFunctionsServer } from './step-functions/server';
import { LocalStepFunctions } from './step-functions/service';

export interface RuntimeOptions {
  readonly manifest: Manifest;
  readonly rootDir: string;
  readonly names: PhysicalNames;
  /** Physical name of a function (and state machine): the same prefix as the provisioned resources. */
  readonly nameOf: (id: string) => string;
  readonly engines: { dynamodb: string; messaging: string };
  readonly pspUrl?: string;
  readonly apiPort?: number;
  readonly apiKey: string;
  /** More local routes (docs, demo and console pages: sandbox/dev-pages.ts), tried before `/_sandbox/`. */
  readonly extraLocalRoutes?: (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<boolean>;
  readonly stepFunctions?: { port?: number; retryIntervalMs?: number; waitMs?: number };
  readonly pollersPerQueue?: number;
  readonly bucketPollMs?: number;
  readonly asyncRetryDelaysMs?: readonly number[];
  /** Run schedules on their timers (default true); tests trigger them by hand instead. */
  readonly runSchedules?: boolean;
}

export interface Runtime {
  readonly apiUrl: string;
  readonly stepFunctionsUrl: string;
  readonly host: LambdaHost;
  readonly stepFunctions: LocalStepFunctions;
  readonly failedAsyncInvocations: readonly FailedAsyncInvocation[];
  readonly environment: Readonly<Record<string, string>>;
  runSchedule(id: string): Promise<unknown>;
  /** Waits until every created object was handed to its function. */
  settleBuckets(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The log level the runner chose (POWERTOOLS_LOG_LEVEL, set before it starts the system) for the functions'
 * shared logger too. A runner that imports the functions' shared clients or the API's documents (chaos, cost,
 * bench: lambdas/shared/aws-clients, sandbox/dev-pages) has loaded that logger before choosing, at Powertools'
 * default INFO; on Lambda the variable is set before any module loads. `setLogLevel` alone would not last:
 * the logger goes back to its initial level at each invocation, so its initial level is set again.
 */
function applyRunnerLogLevel(): void {
  const level = process.env.POWERTOOLS_LOG_LEVEL?.toUpperCase();
  if (!level || !(level in LogLevelThreshold)) return;
  (logger as unknown as { setInitialLogLevel(level: string): void }).setInitialLogLevel(level);
  if (logger.getLevelName() !== level) throw new Error(`the functions' logger did not take level ${level}`);
}

function scheduledEvent(ruleArn: string): ScheduledEvent {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: new Date().toISOString(),
    region: LOCAL_REGION,
    resources: [ruleArn],
    detail: {},
  };
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { manifest, names } = options;
  const aws = { endpoint: options.engines.messaging, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient(aws);
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse())
      await stop().catch((e: unknown) => console.error('[runtime] stop failed', e));
    sqs.destroy();
    s3.destroy();
  };

  try {
    const host = new LambdaHost(manifest, options.rootDir, options.nameOf);
    const stepFunctions = new LocalStepFunctions(manifest, host, {
      rootDir: options.rootDir,
      nameOf: options.nameOf,
      queues: names.queues,
      sqs,
      retryIntervalMs: options.stepFunctions?.retryIntervalMs,
      waitMs: options.stepFunctions?.waitMs,
    });
    stops.push(() => stepFunctions.stop());
    const sfnServer = await startStepFunctionsServer(stepFunctions, { port: options.stepFunctions?.port });
    stops.push(() => sfnServer.stop());

    const endpoints: LocalEndpoints = {
      ...options.engines,
      stepFunctions: sfnServer.url,
      ...(options.pspUrl ? { psp: options.pspUrl } : {}),
    };
    // Handlers read their configuration once at module load, so the environment is set before they load.
    const environment = runtimeEnvironment(manifest, names, endpoints, (id) => stepFunctions.arnOf(id));
    Object.assign(process.env, environment);
    applyRunnerLogLevel();
    await host.loadAll();

    const failedAsyncInvocations: FailedAsyncInvocation[] = [];
    const runSchedule = (id: string) => {
      const schedule = manifest.schedules.find((s) => s.id === id);
      if (!schedule) throw new Error(`schedule ${id} is not declared`);
      const ruleArn = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${options.nameOf(id)}`;
      return host.invoke(schedule.function, scheduledEvent(ruleArn));
    };

    const localRoutes = async (
      req: IncomingMessage,
      _body: Buffer,
      res: ServerResponse,
    ): Promise<boolean> => {
      if (options.extraLocalRoutes && (await options.extraLocalRoutes(req, _body, res))) return true;
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (!path.startsWith('/_sandbox/')) return false;
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && path === '/_sandbox/health') {
        send(200, {
          status: 'ok',
          service: manifest.service,
          functions: manifest.functions.length,
          routes: manifest.routes.length,
          stateMachines: manifest.stateMachines.map((s) => stepFunctions.arnOf(s.id)),
        });
        return true;
      }
      const schedule = /^\/_sandbox\/schedules\/([A-Za-z0-9-]+)$/.exec(path);
      if (req.method === 'POST' && schedule?.[1]) {
        try {
          send(200, { result: (await runSchedule(schedule[1])) ?? null });
        } catch (error) {
          send(500, { error: error instanceof Error ? error.message : String(error) });
        }
        return true;
      }
      if (req.method === 'GET' && path === '/_sandbox/failed-async-invocations') {
        send(200, failedAsyncInvocations);
        return true;
      }
      send(404, { error: 'unknown sandbox route' });
      return true;
    };

    const api = await startLocalApi(manifest.routes, host, {
      port: options.apiPort ?? 0,
      apiKey: options.apiKey,
      localRoutes,
    });
    stops.push(() => api.stop());

    for (const source of manifest.queueEventSources) {
      const queue = names.queues[source.queue];
      if (!queue) throw new Error(`event source: queue ${source.queue} is not provisioned`);
      const poller = startQueueEventSource(source, queue, sqs, host, { pollers: options.pollersPerQueue });
      stops.push(() => poller.stop());
    }

    for (const source of manifest.tableStreamEventSources) {
      const tableName = names.tables[source.table];
      const onFailure = names.queues[source.onFailureQueue];
      if (!tableName || !onFailure)
        throw new Error(
          `stream event source: ${source.table} or ${source.onFailureQueue} is not provisioned`,
        );
      const stream = await startTableStreamSource(
        source,
        { tableName, onFailureQueueUrl: onFailure.url },
        { dynamodbEndpoint: options.engines.dynamodb, sqs, host },
      );
      stops.push(() => stream.stop());
    }

    const watchers: BucketWatcher[] = [];
    for (const bucket of manifest.buckets) {
      if (!bucket.onObjectCreated) continue;
      const name = names.buckets[bucket.id];
      if (!name) throw new Error(`bucket ${bucket.id} is not provisioned`);
      const watcher = await startBucketWatcher(bucket, name, s3, host, {
        intervalMs: options.bucketPollMs,
        retryDelaysMs: options.asyncRetryDelaysMs,
        onFailure: (failure) => failedAsyncInvocations.push(failure),
      });
      watchers.push(watcher);
      stops.push(() => watcher.stop());
    }

    if (options.runSchedules ?? true) {
      for (const schedule of manifest.schedules) {
        const timer = setInterval(() => {
          runSchedule(schedule.id).catch((error: unknown) =>
            console.error(`[schedule] ${schedule.id} failed`, error),
          );
        }, schedule.everyMinutes * 60_000);
        stops.push(async () => clearInterval(timer));
      }
    }

    return {
      apiUrl: api.url,
      stepFunctionsUrl: sfnServer.url,
      host,
      stepFunctions,
      failedAsyncInvocations,
      environment,
      runSchedule,
      settleBuckets: async () => {
        await Promise.all(watchers.map((w) => w.settle()));
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
