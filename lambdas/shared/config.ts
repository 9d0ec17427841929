/**
 * Reads a handler's configuration from the environment once, at module load, and fails fast when something
 * is missing. Variable names for resources come from the manifest's `envVarFor`, the contract with CDK and
 * the local runtime.
 */
import { envVarFor, type ResourceKind } from '../../lib/manifest/naming';

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
