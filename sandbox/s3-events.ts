/**
 * S3 object-created notifications, locally. The local S3 engine has no bucket notifications, so the runtime
 * watches the bucket (a listing every `intervalMs`) and, for each new or rewritten object under the declared
 * prefix/suffix, invokes the function with an AWS-shaped S3 event. Like S3's asynchronous invocation of
 * Lambda, a failed invocation is retried twice; after that it goes to the on-failure list (AWS: a destination).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import type { BucketSpec } from '../lib/manifest';
import { LOCAL_REGION } from './engines/local-aws';
import { describeError, type LambdaHost } from './lambda-host';

export interface FailedAsyncInvocation {
  readonly functionId: string;
  readonly event: unknown;
  readonly error: string;
  readonly attempts: number;
}

export interface BucketWatcher {
  /** Resolves when every object seen so far has been handed to the function (and its retries are done). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/** S3 encodes keys in events like a form: spaces as '+', everything else percent-encoded. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function objectCreatedEvent(
  bucket: string,
  object: { key: string; size: number; eTag: string },
  sequence: number,
): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: LOCAL_REGION,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'local' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'local', 'x-amz-id-2': 'local' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'local-notification',
          bucket: { name: bucket, ownerIdentity: { principalId: 'local' }, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeEventKey(object.key),
            size: object.size,
            eTag: object.eTag.replace(/"/g, ''),
            sequencer: sequence.toString(16).toUpperCase().padStart(16, '0'),
          },
        },
      },
    ],
  };
}

export async function startBucketWatcher(
  spec: BucketSpec,
  bucket: string,
  s3: S3Client,
  host: LambdaHost,
  options: {
    intervalMs?: number;
    retryDelaysMs?: readonly number[];
    onFailure: (f: FailedAsyncInvocation) => void;
  },
): Promise<BucketWatcher> {
  const target = spec.onObjectCreated;
  if (!target) throw new Error(`bucket ${spec.id} has no object-created handler`);
  const retryDelays = options.retryDelaysMs ?? [1_000, 2_000];
  const seen = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  let sequence = 0;
  let running = true;

  const list = async () => {
    const objects: { key: string; size: number; eTag: string }[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: target.prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key && (!target.suffix || o.Key.endsWith(target.suffix))) {
          objects.push({ key: o.Key, size: o.Size ?? 0, eTag: o.ETag ?? '' });
        }
      }
      token = page.NextContinuationToken;
    } while (token);
    return objects;
  };

  const deliver = async (event: S3Event) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await host.invoke(target.function, event);
        return;
      } catch (error) {
        const delay = retryDelays[attempt - 1];
        if (delay === undefined || !running) {
          console.error(`[s3] ${target.function} failed ${attempt} times; sent to the on-failure list`);
          options.onFailure({
            functionId: target.function,
            event,
            error: describeError(error),
            attempts: attempt,
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

  const scan = async () => {
    for (const object of await list()) {
      if (seen.get(object.key) === object.eTag) continue;
      seen.set(object.key, object.eTag);
      const delivery = deliver(objectCreatedEvent(bucket, object, ++sequence));
      inFlight.add(delivery);
      void delivery.finally(() => inFlight.delete(delivery));
    }
  };

  // Objects already there when the runtime starts (a persisted bucket) were notified in an earlier run.
  for (const object of await list()) seen.set(object.key, object.eTag);

  let scanning: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    scanning = scanning.then(scan).catch((error: unknown) => {
      if (running) console.error(`[s3] watching ${bucket} failed: ${describeError(error)}`);
    });
  }, options.intervalMs ?? 250);

  return {
    async settle() {
      scanning = scanning.then(scan);
      await scanning;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async stop() {
      running = false;
      clearInterval(timer);
      await scanning.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
    },
  };
}
