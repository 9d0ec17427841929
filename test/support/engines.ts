/**
 * What an integration test file needs from the shared engines: SDK clients pointed at them, and tables,
 * queues and buckets of its own (a unique prefix per file, so files never see each other's data).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { Manifest, TableSpec } from '../../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/engines/local-aws';
import { createTables, type PhysicalNames, provision } from '../../sandbox/provision';

export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}-`;
}

export function engineEndpoints(): { dynamodb: string; messaging: string } {
  return { dynamodb: inject('dynamoEndpoint'), messaging: inject('messagingEndpoint') };
}

export function localDynamoClient(): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}

export function localDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(localDynamoClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** Creates the given manifest tables under a fresh prefix; answers logical id -> physical name. */
export async function createTestTables(
  tables: readonly TableSpec[],
  label = 't',
): Promise<Record<string, string>> {
  const prefix = uniquePrefix(label);
  return createTables(inject('dynamoEndpoint'), tables, (id) => `${prefix}${id}`);
}

export async function provisionTestResources(manifest: Manifest, label = 't'): Promise<PhysicalNames> {
  return provision(manifest, engineEndpoints(), uniquePrefix(label));
}
