import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Accounts,
  InvalidTransactionError,
  LedgerContentionError,
  type LedgerContext,
  payInTransaction,
  postTransaction,
} from '../../../lambdas/ledger';
import { backoffDelay, DEFAULT_RETRY } from '../../../lambdas/ledger/context';
import { money } from '../../../lambdas/money';

// What DynamoDB Local cannot produce on demand: a storm of TransactionConflict cancellations and throttling.
// The engine-backed tests cover every other outcome.

const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(db);
const ctx: LedgerContext = {
  db,
  tables: { ledger: 'ledger', wallets: 'wallets' },
  retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
};
const tx = payInTransaction({ paymentOrderId: 'po-1', sellerId: 's1', gross: money('USD', 1_000n) });

function cancelled(codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

afterEach(() => {
  dynamo.reset();
});

describe('posting under contention', () => {
  it('retries TransactionConflict cancellations, then gives up with a retryable error', async () => {
    // Prepare: header, 2 entries, 1 wallet; the wallet item is always in conflict.
    dynamo.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'None', 'TransactionConflict']));

    // Act
    const error = await postTransaction(ctx, tx).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(LedgerContentionError);
    expect(error).toMatchObject({ code: 'ledger_contention', retryable: true, statusCode: 503 });
    expect((error as Error).cause).toBeInstanceOf(TransactionCanceledException);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('succeeds when a conflict and a throttle clear before the attempts run out', async () => {
    // Prepare
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['None', 'None', 'TransactionConflict', 'None']))
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
      .resolves({});

    // Act
    const result = await postTransaction(ctx, tx);

    // Assess
    expect(result.replayed).toBe(false);
    expect(result.transaction.entries[0]?.account).toBe(Accounts.pspReceivable);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(3);
  });

  it('answers a replay when a lost response had in fact committed', async () => {
    // Prepare: the first attempt committed but its answer was lost; the retry finds the header.
    let stored: Record<string, unknown> | undefined;
    dynamo
      .on(TransactWriteCommand)
      .callsFakeOnce((input) => {
        stored = input.TransactItems[0].Put.Item;
        throw new ProvisionedThroughputExceededException({ message: 'lost', $metadata: {} });
      })
      .rejects(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None']));
    dynamo.on(GetCommand).callsFake(() => ({ Item: stored }));

    // Act
    const result = await postTransaction(ctx, tx);

    // Assess
    expect(result.replayed).toBe(true);
    expect(result.transaction.id).toBe(tx.id);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('does not retry what cannot succeed (a validation error of the request)', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejects(cancelled(['ValidationError', 'None', 'None', 'None']));

    // Act
    const error = await postTransaction(ctx, tx).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('backoffDelay', () => {
  it('stays below an exponentially growing cap and the maximum', () => {
    // Act
    const highest = [1, 2, 3, 4, 10, 30].map((attempt) =>
      backoffDelay(attempt, DEFAULT_RETRY, () => 0.999_999),
    );
    const lowest = backoffDelay(5, DEFAULT_RETRY, () => 0);

    // Assess
    expect(highest).toEqual([19, 39, 79, 159, 999, 999]);
    expect(lowest).toBe(0);
  });
});

describe("the caller's extra items", () => {
  it('may not write to the ledger or the wallets: those change only through postings', async () => {
    // Prepare
    const sneaky = {
      Update: {
        TableName: 'wallets',
        Key: { pk: 'WALLET#s1', sk: 'BAL#USD' },
        UpdateExpression: 'SET available = :lots',
        ExpressionAttributeValues: { ':lots': 1_000_000 },
      },
    };

    // Act
    const error = await postTransaction(ctx, tx, { extraItems: [sneaky] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidTransactionError);
    expect(error).toMatchObject({ details: { itemIndex: 0 } });
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
