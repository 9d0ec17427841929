import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CallerConditionFailedError,
  getTransaction,
  type LedgerContext,
  recordPayIn,
  type TransactItem,
  verifyLedger,
  walletBalances,
} from '../../../lambdas/ledger';
import { type LedgerFixture, ledgerFixture, snapshot, usd } from './support';

// A minimal payment order, as the payment service will store it: enough to show the order's update
// joins the posting's TransactWriteItems.
let fixture: LedgerFixture;
let ctx: LedgerContext;
let payments: string;

beforeAll(async () => {
  fixture = await ledgerFixture('payin');
  ctx = fixture.ctx;
  payments = fixture.tables.payments ?? '';
});

const orderKey = (id: string) => ({ pk: `ORDER#${id}`, sk: 'ORDER' });

async function createOrder(id: string, status: string): Promise<void> {
  await ctx.db.send(
    new PutCommand({
      TableName: payments,
      Item: { ...orderKey(id), status, wallet_updated: false, ledger_updated: false },
    }),
  );
}

async function readOrder(id: string) {
  const { Item } = await ctx.db.send(new GetCommand({ TableName: payments, Key: orderKey(id) }));
  return Item;
}

/** The caller's part of the transaction: SUCCESS and both flags, only if the order is not terminal yet. */
function markSucceeded(id: string): TransactItem {
  return {
    Update: {
      TableName: payments,
      Key: orderKey(id),
      UpdateExpression: 'SET #status = :success, wallet_updated = :yes, ledger_updated = :yes',
      ConditionExpression: 'attribute_exists(pk) AND NOT #status IN (:success, :failed)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':success': 'SUCCESS', ':failed': 'FAILED', ':yes': true },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

describe('recording a successful payment order in one TransactWriteItems', () => {
  it('writes the order status, its flags, the entries and the wallet together', async () => {
    // Prepare
    await createOrder('po-ok', 'EXECUTING');

    // Act
    const result = await recordPayIn(
      ctx,
      { paymentOrderId: 'po-ok', sellerId: 's-ok', gross: usd(2_500), commission: usd(250) },
      { extraItems: [markSucceeded('po-ok')] },
    );

    // Assess
    expect(result.replayed).toBe(false);
    expect(await readOrder('po-ok')).toMatchObject({
      status: 'SUCCESS',
      wallet_updated: true,
      ledger_updated: true,
    });
    expect(await getTransaction(ctx, 'payin:po-ok')).toEqual(result.transaction);
    expect(await walletBalances(ctx, 's-ok')).toEqual([
      {
        currency: 'USD',
        available: usd(2_250),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
  });

  it('treats a retry as a no-op that answers like the first call', async () => {
    // Prepare
    await createOrder('po-retry', 'EXECUTING');
    const input = { paymentOrderId: 'po-retry', sellerId: 's-retry', gross: usd(1_000) };
    const first = await recordPayIn(ctx, input, { extraItems: [markSucceeded('po-retry')] });
    const before = await Promise.all([snapshot(ctx, ctx.tables.ledger), snapshot(ctx, ctx.tables.wallets)]);

    // Act: the order is terminal now, so the caller's condition fails too; the header decides.
    const retry = await recordPayIn(ctx, input, { extraItems: [markSucceeded('po-retry')] });

    // Assess
    expect(retry).toEqual({ transaction: first.transaction, replayed: true });
    expect(await Promise.all([snapshot(ctx, ctx.tables.ledger), snapshot(ctx, ctx.tables.wallets)])).toEqual(
      before,
    );
  });

  it("writes nothing when the caller's condition fails, and says which item failed", async () => {
    // Prepare: the order was failed meanwhile (e.g. by a late webhook).
    await createOrder('po-failed', 'FAILED');
    const before = await Promise.all([snapshot(ctx, ctx.tables.ledger), snapshot(ctx, ctx.tables.wallets)]);
    const noOp: TransactItem = {
      ConditionCheck: {
        TableName: payments,
        Key: orderKey('po-failed'),
        ConditionExpression: 'attribute_exists(pk)',
      },
    };

    // Act
    const error = await recordPayIn(
      ctx,
      { paymentOrderId: 'po-failed', sellerId: 's-failed', gross: usd(900) },
      { extraItems: [noOp, markSucceeded('po-failed')] },
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CallerConditionFailedError);
    expect(error).toMatchObject({ code: 'ledger_caller_condition_failed', itemIndex: 1 });
    expect((error as CallerConditionFailedError).currentItem?.status).toEqual({ S: 'FAILED' });
    expect(await readOrder('po-failed')).toMatchObject({ status: 'FAILED', wallet_updated: false });
    expect(await Promise.all([snapshot(ctx, ctx.tables.ledger), snapshot(ctx, ctx.tables.wallets)])).toEqual(
      before,
    );
  });

  it('keeps the ledger whole across all of the above', async () => {
    // Act
    const report = await verifyLedger(ctx);

    // Assess
    expect(report.problems).toEqual([]);
    expect(report.transactions).toBeGreaterThanOrEqual(2);
  });
});
