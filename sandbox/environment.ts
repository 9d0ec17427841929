/**
 * The environment the functions see locally: the same variable names the CDK stack sets (`envVarFor`), with
 * local physical names, plus endpoints that point the AWS SDK at the local engines. All functions run in one
 * process, so their variables are merged; two functions may not give one variable different values.
 */
import type { FunctionSpec, Manifest } from '../lib/manifest';
import { envVarFor, localSecretValueEnvVar } from '../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './engines/local-aws';
import type { PhysicalNames } from './provision';

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly messaging: string;
  readonly stepFunctions: string;
  /** Base URL of the PSP (the simulator), e.g. http://127.0.0.1:12111. */
  readonly psp?: string;
}

export function functionEnvironment(
  spec: FunctionSpec,
  names: PhysicalNames,
  stateMachineArnOf: (id: string) => string,
  secretValueOf: (id: string) => string,
): Record<string, string> {
  const env: Record<string, string> = { ...(spec.environment ?? {}) };
  const access = spec.access ?? {};
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`function ${spec.id} uses ${what}, which is not declared`);
    return value;
  };
  for (const id of Object.keys(access.tables ?? {}))
    env[envVarFor('table', id)] = need(names.tables[id], `table ${id}`);
  for (const id of Object.keys(access.queues ?? {}))
    env[envVarFor('queue', id)] = need(names.queues[id], `queue ${id}`).url;
  for (const id of Object.keys(access.buckets ?? {}))
    env[envVarFor('bucket', id)] = need(names.buckets[id], `bucket ${id}`);
  for (const id of access.topics ?? []) env[envVarFor('topic', id)] = need(names.topics[id], `topic ${id}`);
  for (const id of Object.keys(access.stateMachines ?? {}))
    env[envVarFor('stateMachine', id)] = stateMachineArnOf(id);
  for (const id of access.secrets ?? []) {
    env[envVarFor('secret', id)] = `local:${id}`;
    env[localSecretValueEnvVar(id)] = secretValueOf(id);
  }
  return env;
}

/** What every function sees locally besides its own grants: region, credentials, and the engines' endpoints. */
export function baseEnvironment(manifest: Manifest, endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // The SDK (v3) reads service-specific endpoints from these, so handler code has no local branches.
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.messaging,
    AWS_ENDPOINT_URL_SNS: endpoints.messaging,
    AWS_ENDPOINT_URL_S3: endpoints.messaging,
    AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions,
    // The local S3 has no per-bucket DNS names.
    S3_FORCE_PATH_STYLE: 'true',
    POWERTOOLS_SERVICE_NAME: manifest.service,
    POWERTOOLS_METRICS_NAMESPACE: manifest.service,
    POWERTOOLS_TRACE_ENABLED: 'false',
    // Secrets are cached this long (lambdas/shared/secrets.ts); short locally so a rotation shows in seconds.
    SECRETS_MAX_AGE_SECONDS: process.env.SECRETS_MAX_AGE_SECONDS ?? '2',
    SERVICE_NAME: manifest.service,
    ...(endpoints.psp ? { PSP_API_BASE: endpoints.psp, PAYEE_API_BASE: `${endpoints.psp}/payee` } : {}),
  };
}

/** A secret's local value: from its variable, or the simulator's default. */
export function localSecretValue(manifest: Manifest, id: string): string {
  const secret = manifest.secrets.find((s) => s.id === id);
  if (!secret) throw new Error(`secret ${id} is not declared`);
  return process.env[secret.localEnvVar] ?? secret.localDefault;
}

/**
 * The merged environment of every function, plus the base. All functions share this process, so each sees
 * the others' variables too: test/integration/sandbox/function-environment.test.ts runs each handler alone
 * with only its own, so a missing grant cannot hide here and crash on AWS.
 */
export function runtimeEnvironment(
  manifest: Manifest,
  names: PhysicalNames,
  endpoints: LocalEndpoints,
  stateMachineArnOf: (id: string) => string,
): Record<string, string> {
  const merged: Record<string, string> = baseEnvironment(manifest, endpoints);
  const origin: Record<string, string> = {};
  for (const spec of manifest.functions) {
    const own = functionEnvironment(spec, names, stateMachineArnOf, (id) => localSecretValue(manifest, id));
    for (const [key, value] of Object.entries(own)) {
      if (key in merged && merged[key] !== value && origin[key]) {
        throw new Error(`functions ${origin[key]} and ${spec.id} set ${key} to different values`);
      }
      merged[key] = value;
      origin[key] = spec.id;
    }
  }
  return merged;
}
