/**
 * The ledger's immutability watch on the real engines: an INSERT (a posting) is quiet; an overwrite or a
 * removal of a ledger item, made behind the functions' back as a person with table access could, is logged at
 * ERROR with its keys and counted as LedgerItemModified in the MarketplacePayments namespace (the alarm's
 * metric), in an EMF line CloudWatch turns into that metric.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '../../../lib/manifest';
import { localDocumentClient } from '../../support/engines';
import { eventually, startTestRuntime } from '../../support/runtime';
import { captureLogs, type LogCapture } from './log-capture';

type TestRuntime = Awaited<ReturnType<typeof startTestRuntime>>;
let runtime: TestRuntime;
let logs: LogCapture;

beforeAll(async () => {
  logs = captureLogs();
  runtime = await startTestRuntime(manifest);
});
afterAll(async () => {
  logs?.stop();
  await runtime?.stop();
});

interface Emf {
  _aws?: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] };
  LedgerItemModified?: number | number[];
  service?: string;
}

function ledgerMetrics(lines: string[]): Emf[] {
  return lines
    .filter((line) => line.includes('"LedgerItemModified"'))
    .map((line) => JSON.parse(line) as Emf)
    .filter((emf) => emf._aws?.CloudWatchMetrics[0]?.Namespace === 'MarketplacePayments');
}

const total = (emfs: Emf[]) =>
  emfs.reduce((sum, e) => sum + [e.LedgerItemModified ?? []].flat().reduce((a, b) => a + b, 0), 0);

describe('the ledger watch', () => {
  it('counts and logs a modified and a removed ledger item, and stays quiet on inserts', async () => {
    // Prepare
    const db = localDocumentClient();
    const table = runtime.names.tables.ledger as string;
    const key = { pk: `ACCT#watch_test#00`, sk: `E#${Date.now()}#tx_watch#0` };
    await db.send(new PutCommand({ TableName: table, Item: { ...key, amount: '1000', currency: 'USD' } }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(ledgerMetrics(logs.lines())).toEqual([]);

    // Act
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET amount = :a',
        ExpressionAttributeValues: { ':a': '1' },
      }),
    );
    await db.send(new DeleteCommand({ TableName: table, Key: key }));

    // Assess
    const emfs = await eventually(async () => {
      const found = ledgerMetrics(logs.lines());
      return total(found) >= 2 ? found : undefined;
    });
    expect(total(emfs)).toBe(2);
    expect(emfs[0]?.service).toBe(manifest.service);
    const errors = logs
      .lines()
      .filter((line) => line.includes('ledger item modified or removed'))
      .map((line) => JSON.parse(line) as { level: string; event_name: string; keys: unknown });
    expect(errors.map((e) => e.event_name).sort()).toEqual(['MODIFY', 'REMOVE']);
    for (const error of errors) {
      expect(error.level).toBe('ERROR');
      expect(error.keys).toEqual(key);
    }
    // Keys only: the images (amounts) are never logged.
    expect(
      logs
        .lines()
        .filter((l) => l.includes('ledger item modified'))
        .join(''),
    ).not.toContain('"amount"');
  });
});
