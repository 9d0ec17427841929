import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConflictingTransactionError,
  HoldNotPendingError,
  InsufficientFundsError,
  type LedgerContext,
  type PostingResult,
  postHold,
  postTransaction,
  recordPayIn,
  reserveHold,
  reversalOf,
  type TransactionInput,
  verifyLedger,
  voidHold,
  walletBalances,
} from '../../../lambdas/ledger';
import { basisPointsOf, type CurrencyCode, money } from '../../../lambdas/money';
import { ledgerFixture, snapshot } from './support';

// Random sequences of ledger operations against a fresh ledger, checked step by step against a tiny model
// of the wallets, then against the invariants of DESIGN.md section 8 (2, 3, 4).

const SELLERS = ['s0', 's1', 's2'] as const;
const CURRENCIES: readonly CurrencyCode[] = ['USD', 'JPY'];

type Op =
  | { kind: 'payin'; seller: number; currency: number; gross: number; bps: number }
  | { kind: 'reserve'; seller: number; currency: number; amount: number }
  | { kind: 'post' | 'void' | 'replay' | 'reverse' | 'conflict'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('payin' as const),
      seller: fc.nat(2),
      currency: fc.nat(1),
      gross: fc.integer({ min: 1, max: 50_000 }),
      bps: fc.nat(3_000),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('reserve' as const),
      seller: fc.nat(2),
      currency: fc.nat(1),
      amount: fc.integer({ min: 1, max: 40_000 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('post' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('void' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('conflict' as const), pick: fc.nat() }) },
);

interface ModelWallet {
  available: bigint;
  reserved: bigint;
  paidOut: bigint;
}
interface ModelHold {
  sellerId: string;
  payoutId: string;
  currency: CurrencyCode;
  amount: bigint;
  status: 'reserved' | 'paid' | 'voided';
}

class Model {
  readonly wallets = new Map<string, ModelWallet>();
  readonly holds: ModelHold[] = [];
  readonly posted: TransactionInput[] = [];
  readonly payIns: { tx: TransactionInput; sellerId: string; net: bigint; reversed: boolean }[] = [];
  private counter = 0;

  wallet(sellerId: string, currency: CurrencyCode): ModelWallet {
    const key = `${sellerId} ${currency}`;
    let found = this.wallets.get(key);
    if (!found) {
      found = { available: 0n, reserved: 0n, paidOut: 0n };
      this.wallets.set(key, found);
    }
    return found;
  }

  nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}-${this.counter}`;
  }
}

const pick = <T>(list: readonly T[], n: number): T | undefined =>
  list.length ? list[n % list.length] : undefined;

/** Applies one operation to the ledger and the model; fails the property when they disagree. */
async function apply(ctx: LedgerContext, model: Model, op: Op): Promise<void> {
  switch (op.kind) {
    case 'payin': {
      const sellerId = SELLERS[op.seller] ?? 's0';
      const currency = CURRENCIES[op.currency] ?? 'USD';
      const gross = money(currency, BigInt(op.gross));
      const commission = basisPointsOf(gross, op.bps, 'down');
      const result = await recordPayIn(ctx, {
        paymentOrderId: model.nextId('po'),
        sellerId,
        gross,
        commission,
      });
      const net = gross.minor - commission.minor;
      model.wallet(sellerId, currency).available += net;
      model.posted.push(result.transaction);
      model.payIns.push({ tx: result.transaction, sellerId, net, reversed: false });
      return;
    }
    case 'reserve': {
      const sellerId = SELLERS[op.seller] ?? 's0';
      const currency = CURRENCIES[op.currency] ?? 'USD';
      const wallet = model.wallet(sellerId, currency);
      const payoutId = model.nextId('payout');
      const attempt = reserveHold(ctx, { sellerId, payoutId, amount: money(currency, BigInt(op.amount)) });
      if (wallet.available < BigInt(op.amount)) {
        await expect(attempt).rejects.toBeInstanceOf(InsufficientFundsError);
        return;
      }
      model.posted.push((await attempt).transaction);
      wallet.available -= BigInt(op.amount);
      wallet.reserved += BigInt(op.amount);
      model.holds.push({ sellerId, payoutId, currency, amount: BigInt(op.amount), status: 'reserved' });
      return;
    }
    case 'post':
    case 'void': {
      const hold = pick(model.holds, op.pick);
      if (!hold) return;
      const target = op.kind === 'post' ? 'paid' : 'voided';
      const attempt = (op.kind === 'post' ? postHold : voidHold)(ctx, hold);
      if (hold.status === target) {
        expect((await attempt).replayed).toBe(true);
        return;
      }
      if (hold.status !== 'reserved') {
        await expect(attempt).rejects.toBeInstanceOf(HoldNotPendingError);
        return;
      }
      const result = await attempt;
      expect(result.replayed).toBe(false);
      model.posted.push(result.transaction);
      const wallet = model.wallet(hold.sellerId, hold.currency);
      wallet.reserved -= hold.amount;
      if (target === 'paid') wallet.paidOut += hold.amount;
      else wallet.available += hold.amount;
      hold.status = target;
      return;
    }
    case 'replay': {
      const tx = pick(model.posted, op.pick);
      if (!tx) return;
      const result: PostingResult = await postTransaction(ctx, structuredClone(tx));
      expect(result.replayed).toBe(true);
      expect(result.transaction).toEqual(tx);
      return;
    }
    case 'reverse': {
      const payIn = pick(model.payIns, op.pick);
      if (!payIn) return;
      const currency = payIn.tx.entries[0]?.amount.currency ?? 'USD';
      const wallet = model.wallet(payIn.sellerId, currency);
      const attempt = postTransaction(ctx, reversalOf(payIn.tx, `rev:${payIn.tx.id}`));
      if (payIn.reversed) {
        expect((await attempt).replayed).toBe(true);
        return;
      }
      if (wallet.available < payIn.net) {
        await expect(attempt).rejects.toBeInstanceOf(InsufficientFundsError);
        return;
      }
      model.posted.push((await attempt).transaction);
      wallet.available -= payIn.net;
      payIn.reversed = true;
      return;
    }
    case 'conflict': {
      const tx = pick(model.posted, op.pick);
      if (!tx) return;
      const altered: TransactionInput = {
        ...tx,
        entries: tx.entries.map((e) => ({
          ...e,
          amount: { ...e.amount, minor: e.amount.minor + (e.amount.minor > 0n ? 1n : -1n) },
        })),
      };
      // Stretching every entry away from zero keeps a two-entry transaction balanced.
      if (altered.entries.length !== 2) return;
      await expect(postTransaction(ctx, altered)).rejects.toBeInstanceOf(ConflictingTransactionError);
      return;
    }
  }
}

function entryItems(items: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return items.filter((item) => item.kind === 'entry' || item.kind === 'transaction');
}

describe('ledger invariants under random operation sequences', () => {
  it('keeps every transaction and the whole ledger at zero, wallets equal to their entries, entries unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 36 }), async (ops) => {
        // Prepare
        const { ctx } = await ledgerFixture('prop');
        const model = new Model();
        const half = Math.floor(ops.length / 2);

        // Act: the first half, a snapshot of what the ledger holds, then the rest.
        for (const op of ops.slice(0, half)) await apply(ctx, model, op);
        const before = entryItems(await snapshot(ctx, ctx.tables.ledger));
        for (const op of ops.slice(half)) await apply(ctx, model, op);
        const after = entryItems(await snapshot(ctx, ctx.tables.ledger));

        // Assess: entries written before are all still there, byte for byte.
        const afterByKey = new Map(after.map((item) => [`${item.pk} ${item.sk}`, item]));
        for (const item of before) expect(afterByKey.get(`${item.pk} ${item.sk}`)).toEqual(item);

        // The whole ledger sums to zero per currency, counted straight from the stored entries.
        const totals = new Map<string, bigint>();
        for (const item of after.filter((i) => i.kind === 'entry')) {
          totals.set(
            String(item.currency),
            (totals.get(String(item.currency)) ?? 0n) + BigInt(item.amount as number),
          );
        }
        for (const total of totals.values()) expect(total).toBe(0n);

        // Each wallet is what the model says, never negative, and equals its ledger entries.
        for (const sellerId of SELLERS) {
          for (const balance of await walletBalances(ctx, sellerId)) {
            const expected = model.wallet(sellerId, balance.currency);
            expect({
              available: balance.available.minor,
              reserved: balance.reserved.minor,
              paidOut: balance.paidOut.minor,
            }).toEqual(expected);
            expect(balance.available.minor >= 0n && balance.reserved.minor >= 0n).toBe(true);
          }
        }
        const report = await verifyLedger(ctx);
        expect(report.problems).toEqual([]);
        expect(report.transactions).toBe(model.posted.length);
      }),
      { numRuns: 25 },
    );
  });
});
