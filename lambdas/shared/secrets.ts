/**
 * Secrets that rotate without a cold start. Each value is read through Powertools Parameters (a provider with
 * a cache of `SECRETS_MAX_AGE_SECONDS`, 5 minutes by default): a container picks up a rotated Stripe key or
 * webhook signing secret within that time, and costs one Secrets Manager call per secret per container per
 * max age, not one per request.
 *
 * Rotation follows Secrets Manager's own stages: `put-secret-value` makes the new value AWSCURRENT and the old
 * one AWSPREVIOUS. A webhook signing secret is checked against both while the rotation is young (the current
 * version's creation date plus `SECRET_ROTATION_WINDOW_HOURS`, 24 h by default, as long as Stripe keeps
 * signing with a rolled secret), so events signed just before or during the roll are not refused.
 *
 * Locally (no Secrets Manager) the same provider contract reads the values the local runtime keeps in the
 * process environment (`<ID>_SECRET_VALUE`, and after a local rotation `<ID>_SECRET_PREVIOUS_VALUE` and
 * `<ID>_SECRET_ROTATED_AT`), through the same cache, so the max age is exercised locally too.
 */
import { BaseProvider } from '@aws-lambda-powertools/parameters/base';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { envVarFor, localSecretValueEnvVar } from '../../lib/manifest/naming';
import { ConfigurationError } from './config';
import { tracer } from './observability';

export type SecretStage = 'AWSCURRENT' | 'AWSPREVIOUS';

/** One version of a secret: its value (absent when the stage has no version yet) and when it was created. */
export interface SecretVersion {
  readonly value?: string;
  /** Epoch ms; absent when unknown. */
  readonly createdAt?: number;
}

const DEFAULT_MAX_AGE_SECONDS = 300;
const DEFAULT_ROTATION_WINDOW_HOURS = 24;

/** Cache key of a secret's stage: the provider caches by name, so the stage is part of it. */
function cacheName(id: string, stage: SecretStage): string {
  return `${id}#${stage}`;
}

function parseCacheName(name: string): { id: string; stage: SecretStage } {
  const [id = '', stage = 'AWSCURRENT'] = name.split('#');
  return { id, stage: stage as SecretStage };
}

/** Secrets Manager, by the ARN the stack hands each function (`envVarFor('secret', id)`). */
export class SecretsManagerStagesProvider extends BaseProvider {
  declare client: SecretsManagerClient;

  constructor(client?: SecretsManagerClient) {
    super({
      awsSdkV3Client: client ?? tracer.captureAWSv3Client(new SecretsManagerClient({ maxAttempts: 4 })),
      awsSdkV3ClientPrototype: SecretsManagerClient as never,
    });
  }

  protected async _get(name: string): Promise<SecretVersion> {
    const { id, stage } = parseCacheName(name);
    const arn = process.env[envVarFor('secret', id)];
    if (!arn) throw new ConfigurationError(`environment variable ${envVarFor('secret', id)} is not set`);
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
      if (out.SecretString === undefined || out.SecretString === '') {
        if (stage === 'AWSCURRENT') throw new ConfigurationError(`secret ${id} has no value`);
        return {};
      }
      return {
        value: out.SecretString,
        ...(out.CreatedDate ? { createdAt: out.CreatedDate.getTime() } : {}),
      };
    } catch (error) {
      // Never rotated: there is no AWSPREVIOUS. Cached like a value, so it is not asked for on every request.
      if (stage === 'AWSPREVIOUS' && error instanceof ResourceNotFoundException) return {};
      throw error;
    }
  }

  protected async _getMultiple(): Promise<Record<string, unknown> | undefined> {
    throw new Error('secrets are read one by one');
  }
}

/** The local runtime's secrets, from the process environment (see `rotateLocalSecret`). */
export class LocalSecretsProvider extends BaseProvider {
  constructor() {
    super({});
  }

  protected async _get(name: string): Promise<SecretVersion> {
    const { id, stage } = parseCacheName(name);
    const current = localSecretValueEnvVar(id);
    const rotatedAt = Number(process.env[rotatedAtEnvVar(id)] ?? '') || undefined;
    if (stage === 'AWSCURRENT') {
      const value = process.env[current];
      if (value === undefined || value === '') throw new ConfigurationError(`secret ${id} has no value`);
      return { value, ...(rotatedAt ? { createdAt: rotatedAt } : {}) };
    }
    const previous = process.env[previousValueEnvVar(id)];
    return previous ? { value: previous } : {};
  }

  protected async _getMultiple(): Promise<Record<string, unknown> | undefined> {
    throw new Error('secrets are read one by one');
  }
}

function previousValueEnvVar(id: string): string {
  return localSecretValueEnvVar(id).replace(/_SECRET_VALUE$/, '_SECRET_PREVIOUS_VALUE');
}

function rotatedAtEnvVar(id: string): string {
  return localSecretValueEnvVar(id).replace(/_SECRET_VALUE$/, '_SECRET_ROTATED_AT');
}

/**
 * The local runtime's `put-secret-value`: the new value becomes current, the old one previous, as Secrets
 * Manager's stages do. Functions see it once their cached value is older than the max age.
 */
export function rotateLocalSecret(id: string, newValue: string, now = Date.now()): void {
  const current = process.env[localSecretValueEnvVar(id)];
  if (current !== undefined) process.env[previousValueEnvVar(id)] = current;
  process.env[localSecretValueEnvVar(id)] = newValue;
  process.env[rotatedAtEnvVar(id)] = String(now);
}

export interface SecretReaderOptions {
  readonly maxAgeSeconds: number;
  readonly rotationWindowHours: number;
  readonly now?: () => number;
}

/** Reads secrets through providers with a max age; see the module comment. */
export class SecretReader {
  constructor(
    private readonly providerFor: (id: string) => BaseProvider,
    private readonly options: SecretReaderOptions,
  ) {}

  private async version(id: string, stage: SecretStage): Promise<SecretVersion> {
    const got = (await this.providerFor(id).get(cacheName(id, stage), {
      maxAge: this.options.maxAgeSeconds,
    })) as SecretVersion | undefined;
    return got ?? {};
  }

  /** The secret's current value. */
  async current(id: string): Promise<string> {
    const { value } = await this.version(id, 'AWSCURRENT');
    if (!value) throw new ConfigurationError(`secret ${id} has no value`);
    return value;
  }

  /**
   * The values a signature may be made with now: the current one, and the previous one while the rotation
   * that replaced it is younger than the window. Current first.
   */
  async inForce(id: string): Promise<string[]> {
    const current = await this.version(id, 'AWSCURRENT');
    if (!current.value) throw new ConfigurationError(`secret ${id} has no value`);
    const previous = await this.version(id, 'AWSPREVIOUS');
    if (!previous.value || previous.value === current.value) return [current.value];
    const rotatedAt = current.createdAt;
    const now = (this.options.now ?? Date.now)();
    const windowMs = this.options.rotationWindowHours * 3_600_000;
    if (rotatedAt === undefined || now - rotatedAt >= windowMs) return [current.value];
    return [current.value, previous.value];
  }
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigurationError(`${name} must be a number >= 0`);
  return value;
}

let reader: SecretReader | undefined;
let awsProvider: SecretsManagerStagesProvider | undefined;
let localProvider: LocalSecretsProvider | undefined;

/**
 * This container's reader: Secrets Manager on AWS; the environment for a secret the local runtime stands in
 * for (its ARN variable says `local:<id>`).
 */
export function secrets(): SecretReader {
  reader ??= new SecretReader(
    (id) => {
      if (process.env[envVarFor('secret', id)]?.startsWith('local:')) {
        localProvider ??= new LocalSecretsProvider();
        return localProvider;
      }
      awsProvider ??= new SecretsManagerStagesProvider();
      return awsProvider;
    },
    {
      maxAgeSeconds: positiveNumber('SECRETS_MAX_AGE_SECONDS', DEFAULT_MAX_AGE_SECONDS),
      rotationWindowHours: positiveNumber('SECRET_ROTATION_WINDOW_HOURS', DEFAULT_ROTATION_WINDOW_HOURS),
    },
  );
  return reader;
}

/** A secret's current value (see `secrets()`). */
export function secretValue(id: string): Promise<string> {
  return secrets().current(id);
}

/**
 * Something built from a secret (a Stripe client), rebuilt when the secret's current value changes: a rotated
 * key takes effect within the max age, without a cold start. Reading the value each call costs nothing while
 * it is cached.
 */
export function rebuiltOnRotation<T>(id: string, build: (value: string) => T): () => Promise<T> {
  let built: { readonly value: string; readonly product: T } | undefined;
  return async () => {
    const value = await secretValue(id);
    if (built?.value !== value) built = { value, product: build(value) };
    return built.product;
  };
}
