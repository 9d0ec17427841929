import { beforeAll, describe, expect, it } from 'vitest';
import {
  Accounts,
  accountBalance,
  ConflictingTransactionError,
  getHold,
  getTransaction,
  HoldNotFoundError,
  HoldNotPendingError,
  InsufficientFundsError,
  type LedgerContext,
  postHold,
  recordPayIn,
  reserveHold,
  verifyLedger,
  voidHold,
  walletBalances,
} from '../../../lambdas/ledger';
import { money } from '../../../lambdas/money';
import { ledgerFixture, usd } from './support';

let ctx: LedgerContext;

beforeAll(async () => {
  ctx = (await ledgerFixture('holds')).ctx;
});

async function fund(sellerId: string, minor: number): Promise<void> {
  await recordPayIn(ctx, { paymentOrderId: `fund-${sellerId}-${minor}`, sellerId, gross: usd(minor) });
}

describe('pay-out holds', () => {
  it('reserves, then posts: available -> reserved -> paid out', async () => {
    // Prepare
    await fund('h1', 10_000);

    // Act
    await reserveHold(ctx, { sellerId: 'h1', payoutId: 'po-h1', amount: usd(6_000) });
    const reserved = await walletBalances(ctx, 'h1');
    const posted = await postHold(ctx, { sellerId: 'h1', payoutId: 'po-h1' });

    // Assess
    expect(reserved).toEqual([
      {
        currency: 'USD',
        available: usd(4_000),
        reserved: usd(6_000),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
    expect(await walletBalances(ctx, 'h1')).toEqual([
      {
        currency: 'USD',
        available: usd(4_000),
        reserved: usd(0),
        paidOut: usd(6_000),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
    expect(posted.transaction.reason).toBe('payout_paid');
    expect(await getHold(ctx, { sellerId: 'h1', payoutId: 'po-h1' })).toMatchObject({
      status: 'paid',
      settledTxId: 'payout:po-h1:paid',
    });
    expect(await accountBalance(ctx, Accounts.payoutsInTransit('h1'))).toEqual([usd(0)]);
  });

  it('voids with a reversal of the reserve: the money is available again', async () => {
    // Prepare
    await fund('h2', 5_000);
    const reserve = await reserveHold(ctx, { sellerId: 'h2', payoutId: 'po-h2', amount: usd(5_000) });

    // Act
    const voided = await voidHold(ctx, { sellerId: 'h2', payoutId: 'po-h2' });

    // Assess
    expect(voided.transaction).toMatchObject({
      reason: 'payout_voided',
      refs: { payoutId: 'po-h2', reversalOf: reserve.transaction.id },
    });
    expect(voided.transaction.entries).toEqual(
      reserve.transaction.entries.map((e) => ({ ...e, amount: { ...e.amount, minor: -e.amount.minor } })),
    );
    expect(await walletBalances(ctx, 'h2')).toEqual([
      {
        currency: 'USD',
        available: usd(5_000),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
  });

  it('settles a hold once: a repeated post replays, a void after a post is refused', async () => {
    // Prepare
    await fund('h3', 1_000);
    await reserveHold(ctx, { sellerId: 'h3', payoutId: 'po-h3', amount: usd(400) });
    const first = await postHold(ctx, { sellerId: 'h3', payoutId: 'po-h3' });

    // Act
    const again = await postHold(ctx, { sellerId: 'h3', payoutId: 'po-h3' });
    const voided = await voidHold(ctx, { sellerId: 'h3', payoutId: 'po-h3' }).catch((e: unknown) => e);

    // Assess
    expect(again).toEqual({ transaction: first.transaction, replayed: true });
    expect(voided).toBeInstanceOf(HoldNotPendingError);
    expect(voided).toMatchObject({ code: 'ledger_hold_not_pending', status: 'paid' });
    expect(await getTransaction(ctx, 'payout:po-h3:voided')).toBeUndefined();
    expect(await walletBalances(ctx, 'h3')).toEqual([
      {
        currency: 'USD',
        available: usd(600),
        reserved: usd(0),
        paidOut: usd(400),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
  });

  it('refuses a reserve beyond the available balance, writing nothing', async () => {
    // Prepare
    await fund('h4', 300);

    // Act
    const error = await reserveHold(ctx, { sellerId: 'h4', payoutId: 'po-h4', amount: usd(301) }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(InsufficientFundsError);
    expect(error).toMatchObject({
      code: 'ledger_insufficient_funds',
      sellerId: 'h4',
      currency: 'USD',
      balance: 'available',
      requestedMinor: 301n,
      currentMinor: 300n,
    });
    expect(await getHold(ctx, { sellerId: 'h4', payoutId: 'po-h4' })).toBeUndefined();
    expect(await walletBalances(ctx, 'h4')).toEqual([
      {
        currency: 'USD',
        available: usd(300),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
  });

  it('refuses a reserve in a currency the seller holds nothing in', async () => {
    // Prepare
    await fund('h5', 300);

    // Act
    const attempt = reserveHold(ctx, { sellerId: 'h5', payoutId: 'po-h5', amount: money('EUR', 1n) });

    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'ledger_insufficient_funds', currentMinor: 0n });
  });

  it('replays a repeated reserve and refuses the same payout id for another amount', async () => {
    // Prepare
    await fund('h6', 1_000);
    const first = await reserveHold(ctx, { sellerId: 'h6', payoutId: 'po-h6', amount: usd(100) });

    // Act
    const same = await reserveHold(ctx, { sellerId: 'h6', payoutId: 'po-h6', amount: usd(100) });
    const other = await reserveHold(ctx, { sellerId: 'h6', payoutId: 'po-h6', amount: usd(200) }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(same).toEqual({ transaction: first.transaction, replayed: true });
    expect(other).toBeInstanceOf(ConflictingTransactionError);
    expect((await walletBalances(ctx, 'h6'))[0]?.reserved).toEqual(usd(100));
  });

  it('answers HoldNotFound for a payout that was never reserved', async () => {
    // Act
    const attempt = postHold(ctx, { sellerId: 'h7', payoutId: 'po-none' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(HoldNotFoundError);
  });

  it('leaves the ledger whole', async () => {
    // Act
    const report = await verifyLedger(ctx);

    // Assess
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
