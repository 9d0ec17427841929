import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { manifest } from '../../../lib/manifest';
import { createTestTables, localDocumentClient } from '../../support/engines';

describe('DynamoDB Local behaves as DynamoDB', () => {
  it('rejects a conditional put on an existing key with ConditionalCheckFailedException', async () => {
    // Prepare
    const tables = await createTestTables(manifest.tables.filter((t) => t.id === 'ledger'));
    const db = localDocumentClient();
    const item = { pk: 'TX#1', sk: 'TX' };
    await db.send(
      new PutCommand({
        TableName: tables.ledger,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // Act
    const second = db.send(
      new PutCommand({
        TableName: tables.ledger,
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    // Assess
    await expect(second).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('cancels a whole transaction and reports the failing item', async () => {
    const tables = await createTestTables(manifest.tables.filter((t) => t.id === 'ledger'));
    const db = localDocumentClient();
    await db.send(new PutCommand({ TableName: tables.ledger, Item: { pk: 'A', sk: 'A' } }));
    const attempt = db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tables.ledger,
              Item: { pk: 'B', sk: 'B' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: tables.ledger,
              Item: { pk: 'A', sk: 'A' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map((r) => r.Code);
    expect(reasons).toEqual(['None', 'ConditionalCheckFailed']);
  });
});
