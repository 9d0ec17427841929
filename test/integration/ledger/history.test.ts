import { beforeAll, describe, expect, it } from 'vitest';
import {
  Accounts,
  accountBalance,
  accountHistory,
  InvalidCursorError,
  type LedgerContext,
  PLATFORM_SHARDS,
  recordPayIn,
  type StoredEntry,
} from '../../../lambdas/ledger';
import { money } from '../../../lambdas/money';
import { ledgerFixture, snapshot, usd } from './support';

const PAYMENTS = 45;
let ctx: LedgerContext;

beforeAll(async () => {
  // A clock one second apart per posting, so newest-first has one right answer.
  const fixture = await ledgerFixture('history');
  let tick = 0;
  ctx = { ...fixture.ctx, clock: () => new Date(Date.UTC(2026, 10, 24, 12, 0, tick++)) };
  for (let i = 0; i < PAYMENTS; i++) {
    await recordPayIn(ctx, {
      paymentOrderId: `po-${String(i).padStart(3, '0')}`,
      sellerId: `seller-${i % 3}`,
      gross: usd(1_000 + i),
      commission: usd(100),
    });
  }
  await recordPayIn(ctx, { paymentOrderId: 'po-jpy', sellerId: 'seller-0', gross: money('JPY', 5_000n) });
}, 60_000);

async function readAll(
  account: Parameters<typeof accountHistory>[1],
  limit: number,
): Promise<StoredEntry[][]> {
  const pages: StoredEntry[][] = [];
  let cursor: string | undefined;
  do {
    const page = await accountHistory(ctx, account, { limit, ...(cursor ? { cursor } : {}) });
    pages.push([...page.entries]);
    cursor = page.cursor;
  } while (cursor);
  return pages;
}

describe('account history and balances without hot keys', () => {
  it('spreads a platform account over its shards and keeps no balance item for it', async () => {
    // Act
    const items = await snapshot(ctx, ctx.tables.ledger);
    const wallets = await snapshot(ctx, ctx.tables.wallets);

    // Assess
    const partitions = new Set(
      items.map((item) => String(item.pk)).filter((pk) => pk.startsWith('ACCT#psp_receivable#')),
    );
    expect(partitions.size).toBeGreaterThan(PLATFORM_SHARDS / 2);
    expect(wallets.every((item) => String(item.pk).startsWith('WALLET#seller-'))).toBe(true);
  });

  it('pages a sharded account newest first, merging shards, without gaps or repeats', async () => {
    // Act
    const pages = await readAll(Accounts.pspReceivable, 7);

    // Assess
    const entries = pages.flat();
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 7, 7, 4]);
    expect(entries.map((e) => e.txId)).toEqual([
      'payin:po-jpy',
      ...Array.from({ length: PAYMENTS }, (_, i) => `payin:po-${String(PAYMENTS - 1 - i).padStart(3, '0')}`),
    ]);
    const times = entries.map((e) => e.postedAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it("pages a seller's account the same way", async () => {
    // Act
    const pages = await readAll(Accounts.sellerPayable('seller-1'), 4);

    // Assess
    const entries = pages.flat();
    expect(entries).toHaveLength(15);
    expect(entries[0]?.txId).toBe('payin:po-043');
    expect(entries.every((e) => e.account === 'seller_payable:seller-1' && e.amount.minor < 0n)).toBe(true);
  });

  it('sums a sharded account over all its shards, per currency', async () => {
    // Act
    const balances = await accountBalance(ctx, Accounts.pspReceivable);
    const revenue = await accountBalance(ctx, Accounts.platformRevenue);

    // Assess
    const expected = BigInt(PAYMENTS * 1_000 + (PAYMENTS * (PAYMENTS - 1)) / 2);
    expect(balances).toEqual(expect.arrayContaining([usd(expected), money('JPY', 5_000n)]));
    expect(balances).toHaveLength(2);
    expect(revenue).toEqual([usd(PAYMENTS * 100)]);
  });

  it('refuses a forged cursor and a cursor from another account', async () => {
    // Prepare
    const page = await accountHistory(ctx, Accounts.pspReceivable, { limit: 2 });

    // Act
    const forged = accountHistory(ctx, Accounts.pspReceivable, { cursor: 'not-a-cursor' });
    const foreign = accountHistory(ctx, Accounts.platformRevenue, { cursor: page.cursor ?? '' });

    // Assess
    expect(page.cursor).toBeDefined();
    await expect(forged).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(foreign).rejects.toBeInstanceOf(InvalidCursorError);
  });
});
