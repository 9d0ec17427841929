/**
 * Reads a handler's configuration from the environment once, at module load, and fails fast when something
 * is missing. Variable names for resources come from the manifest's `envVarFor`, the contract with CDK and
 * the local runtime.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { envVarFor, localSecretValueEnvVar, type ResourceKind } from '../../lib/manifest/naming';

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '')
    throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** The physical name / URL / ARN of a manifest resource this function was granted. */
export function resource(kind: ResourceKind, id: string): string {
  return requiredEnv(envVarFor(kind, id));
}

const secretCache = new Map<string, Promise<string>>();
let secretsManager: SecretsManagerClient | undefined;

/**
 * A secret's value: from Secrets Manager on AWS (cached for the container's life), or, in the local runtime
 * (which has no Secrets Manager), from the variable the runtime sets instead.
 */
export function secretValue(id: string): Promise<string> {
  const local = process.env[localSecretValueEnvVar(id)];
  if (local !== undefined) return Promise.resolve(local);
  let cached = secretCache.get(id);
  if (!cached) {
    const arn = resource('secret', id);
    secretsManager ??= new SecretsManagerClient({ maxAttempts: 4 });
    cached = secretsManager.send(new GetSecretValueCommand({ SecretId: arn })).then((out) => {
      if (!out.SecretString) throw new ConfigurationError(`secret ${id} has no value`);
      return out.SecretString;
    });
    // A failed fetch must not be cached forever.
    cached.catch(() => secretCache.delete(id));
    secretCache.set(id, cached);
  }
  return cached;
}
