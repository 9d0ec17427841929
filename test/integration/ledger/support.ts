/** Shared set-up for the ledger's integration tests: fresh ledger, wallets and payments tables per call. */
import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import type { LedgerContext } from '../../../lambdas/ledger';
import { money } from '../../../lambdas/money';
import { manifest } from '../../../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import { createTestTables, localDocumentClient } from '../../support/engines';

export interface LedgerFixture {
  readonly ctx: LedgerContext;
  readonly tables: Record<string, string>;
}

/**
 * The SDK keeps at most 50 sockets per client and queues the rest, which would quietly cap a "200 at once"
 * test at 50: concurrency tests ask for a client with room for all of their requests.
 */
export function wideDocumentClient(sockets: number): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) },
  });
  return DynamoDBDocumentClient.from(client);
}

export async function ledgerFixture(label = 'ledger', db = localDocumentClient()): Promise<LedgerFixture> {
  const specs = manifest.tables.filter((t) => ['ledger', 'wallets', 'payments'].includes(t.id));
  const tables = await createTestTables(specs, label);
  const ledger = tables.ledger;
  const wallets = tables.wallets;
  if (!ledger || !wallets || !tables.payments) throw new Error('the manifest lacks ledger/wallets/payments');
  return { ctx: { db, tables: { ledger, wallets } }, tables };
}

/** Every item of a table, sorted by key: to prove that something did or did not change. */
export async function snapshot(ctx: LedgerContext, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => `${a.pk} ${a.sk}`.localeCompare(`${b.pk} ${b.sk}`));
}

export const usd = (minor: number | bigint) => money('USD', BigInt(minor));
