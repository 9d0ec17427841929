/**
 * Naming conventions shared by the CDK stack, the local runtime and the handlers' configuration: one function
 * turns a logical id into the environment variable that carries the resource's physical name or address.
 */

export type ResourceKind = 'table' | 'queue' | 'bucket' | 'stateMachine' | 'secret' | 'topic';

const SUFFIX: Record<ResourceKind, string> = {
  table: 'TABLE_NAME',
  queue: 'QUEUE_URL',
  bucket: 'BUCKET_NAME',
  stateMachine: 'STATE_MACHINE_ARN',
  secret: 'SECRET_ARN',
  topic: 'TOPIC_ARN',
};

/** `envVarFor('table', 'webhook-events')` is `WEBHOOK_EVENTS_TABLE_NAME`. */
export function envVarFor(kind: ResourceKind, id: string): string {
  return `${id.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_${SUFFIX[kind]}`;
}

/** The local runtime has no Secrets Manager: it passes the value itself in this variable instead. */
export function localSecretValueEnvVar(id: string): string {
  return `${id.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_SECRET_VALUE`;
}

/** `pay-in` is `PayIn`: CloudFormation logical ids. */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
