import { describe, expect, it } from 'vitest';
import {
  InsufficientFundsError,
  recordPayIn,
  reserveHold,
  verifyLedger,
  walletBalances,
} from '../../../lambdas/ledger';
import { ledgerFixture, usd, wideDocumentClient } from './support';

describe('concurrent debits against one wallet', () => {
  it('lets exactly the covered debits through out of 200 at once, never going negative', async () => {
    // Prepare: 100.00 available, 200 concurrent pay-out reserves of 1.00 each.
    const { ctx } = await ledgerFixture('concurrency', wideDocumentClient(256));
    await recordPayIn(ctx, { paymentOrderId: 'po-fund', sellerId: 'hot', gross: usd(10_000) });
    let lowest = 10_000n;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [wallet] = await walletBalances(ctx, 'hot');
        if (wallet && wallet.available.minor < lowest) lowest = wallet.available.minor;
      }
    })();

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        reserveHold(ctx, { sellerId: 'hot', payoutId: `po-${i}`, amount: usd(100) }),
      ),
    );
    watching = false;
    await watcher;

    // Assess
    const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(succeeded).toHaveLength(100);
    expect(refused).toHaveLength(100);
    expect(refused.every((e) => e instanceof InsufficientFundsError)).toBe(true);
    expect(await walletBalances(ctx, 'hot')).toEqual([
      {
        currency: 'USD',
        available: usd(0),
        reserved: usd(10_000),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
    expect(lowest).toBeGreaterThanOrEqual(0n);
    const report = await verifyLedger(ctx);
    expect(report.problems).toEqual([]);
    expect(report.transactions).toBe(101);
  });

  it('keeps a wallet exact when credits and debits race', async () => {
    // Prepare: 20 pay-ins of 5.00 race 100 reserves of 1.00 from an empty wallet.
    const { ctx } = await ledgerFixture('race', wideDocumentClient(256));

    // Act
    const credits = Array.from({ length: 20 }, (_, i) =>
      recordPayIn(ctx, { paymentOrderId: `po-in-${i}`, sellerId: 'racer', gross: usd(500) }),
    );
    const debits = Array.from({ length: 100 }, (_, i) =>
      reserveHold(ctx, { sellerId: 'racer', payoutId: `po-out-${i}`, amount: usd(100) }),
    );
    const outcomes = await Promise.allSettled([...credits, ...debits]);

    // Assess: whatever the interleaving, the wallet is what the successful postings say.
    const rejected = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(rejected.every((e) => e instanceof InsufficientFundsError)).toBe(true);
    const reservedCount = 100 - rejected.length;
    expect(await walletBalances(ctx, 'racer')).toEqual([
      {
        currency: 'USD',
        available: usd(10_000 - reservedCount * 100),
        reserved: usd(reservedCount * 100),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
    expect((await verifyLedger(ctx)).problems).toEqual([]);
  });
});
