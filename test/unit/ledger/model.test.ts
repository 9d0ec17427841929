import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidTransactionError, UnbalancedTransactionError } from '../../../lambdas/ledger/errors';
import { PLATFORM_SHARDS, shardOf } from '../../../lambdas/ledger/keys';
import {
  Accounts,
  contentHash,
  normalSign,
  parseAccount,
  reversalOf,
  type TransactionInput,
  validateTransaction,
  walletDeltas,
} from '../../../lambdas/ledger/model';
import { money } from '../../../lambdas/money';

const usd = (minor: number) => money('USD', BigInt(minor));

const payIn: TransactionInput = {
  id: 'payin:po-1',
  reason: 'payin_captured',
  refs: { paymentOrderId: 'po-1' },
  entries: [
    { account: Accounts.pspReceivable, amount: usd(1_000) },
    { account: Accounts.sellerPayable('s1'), amount: usd(-900) },
    { account: Accounts.platformRevenue, amount: usd(-100) },
  ],
};

describe('validateTransaction', () => {
  it('accepts a balanced, explained transaction and answers its content hash', () => {
    // Act
    const hash = validateTransaction(payIn);

    // Assess
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(contentHash(structuredClone(payIn)));
  });

  it.each([
    [
      'a transaction that does not sum to zero',
      { entries: [payIn.entries[0], payIn.entries[1]] },
      UnbalancedTransactionError,
    ],
    [
      'a single entry',
      { entries: [{ account: Accounts.platformCash, amount: usd(0) }] },
      InvalidTransactionError,
    ],
    [
      'a zero entry',
      { entries: [...payIn.entries, { account: Accounts.pspFees, amount: usd(0) }] },
      InvalidTransactionError,
    ],
    ['a missing reference', { refs: {} }, InvalidTransactionError],
    ['an unknown reason', { reason: 'gift' }, InvalidTransactionError],
    ['a key-breaking id', { id: 'TX#1' }, InvalidTransactionError],
    [
      'an unknown account',
      {
        entries: [
          { account: 'bank', amount: usd(1) },
          { account: 'psp_fees', amount: usd(-1) },
        ],
      },
      InvalidTransactionError,
    ],
  ])('refuses %s', (_, change, errorType) => {
    // Prepare
    const input = { ...payIn, ...change } as TransactionInput;

    // Act
    const validate = () => validateTransaction(input);

    // Assess
    expect(validate).toThrow(errorType);
  });

  it('balances each currency on its own', () => {
    // Prepare
    const input: TransactionInput = {
      ...payIn,
      entries: [
        { account: Accounts.pspReceivable, amount: usd(100) },
        { account: Accounts.platformRevenue, amount: money('EUR', -100n) },
      ],
    };

    // Act
    const validate = () => validateTransaction(input);

    // Assess
    expect(validate).toThrow(UnbalancedTransactionError);
  });

  it('tells content apart by every field that matters', () => {
    // Act
    const hashes = new Set([
      contentHash(payIn),
      contentHash({ ...payIn, id: 'payin:po-2' }),
      contentHash({ ...payIn, refs: { paymentOrderId: 'po-2' } }),
      contentHash({ ...payIn, entries: [...payIn.entries].reverse() }),
      contentHash({ ...payIn, reason: 'payin_refunded' }),
    ]);

    // Assess
    expect(hashes.size).toBe(5);
  });
});

describe('accounts and wallets', () => {
  it('reads credit-normal accounts with the opposite sign', () => {
    // Act
    const signs = [
      'psp_receivable',
      'platform_cash',
      'psp_fees',
      'seller_payable',
      'payouts_in_transit',
      'platform_revenue',
    ].map((kind) =>
      normalSign(
        parseAccount(kind === 'seller_payable' || kind === 'payouts_in_transit' ? `${kind}:x` : kind).kind,
      ),
    );

    // Assess
    expect(signs).toEqual([1n, 1n, 1n, -1n, -1n, -1n]);
  });

  it('derives wallet moves from entries: a pay-in credits available, a paid payout moves reserved to paid out', () => {
    // Prepare
    const paid: TransactionInput = {
      id: 'payout:p1:paid',
      reason: 'payout_paid',
      refs: { payoutId: 'p1' },
      entries: [
        { account: Accounts.payoutsInTransit('s1'), amount: usd(300) },
        { account: Accounts.platformCash, amount: usd(-300) },
      ],
    };

    // Act
    const deltas = [...walletDeltas(payIn), ...walletDeltas(paid)];

    // Assess
    expect(deltas).toEqual([
      {
        sellerId: 's1',
        currency: 'USD',
        available: 900n,
        reserved: 0n,
        paidOut: 0n,
        receivable: 0n,
        disputeHeld: 0n,
      },
      {
        sellerId: 's1',
        currency: 'USD',
        available: 0n,
        reserved: -300n,
        paidOut: 300n,
        receivable: 0n,
        disputeHeld: 0n,
      },
    ]);
  });

  it('makes a reversal the exact negation of the original, with a reason that says what it undoes', () => {
    // Act
    const reversal = reversalOf(payIn, 'fix-1');

    // Assess
    expect(reversal.reason).toBe('reversal');
    expect(reversal.refs.reversalOf).toBe(payIn.id);
    expect(reversal.entries.map((e) => e.amount.minor)).toEqual([-1_000n, 900n, 100n]);
    expect(walletDeltas(reversal)).toEqual([
      {
        sellerId: 's1',
        currency: 'USD',
        available: -900n,
        reserved: 0n,
        paidOut: 0n,
        receivable: 0n,
        disputeHeld: 0n,
      },
    ]);
  });
});

describe('shards', () => {
  it('puts a transaction on one stable shard and spreads many transactions over all shards', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 30 }), { minLength: 2_000, maxLength: 2_000 }),
        (ids) => {
          // Act
          const shards = ids.map((id) => shardOf(Accounts.pspReceivable, id));

          // Assess: stable, in range, and no shard takes more than twice its fair share.
          expect(ids.map((id) => shardOf(Accounts.pspReceivable, id))).toEqual(shards);
          const counts = new Map<number, number>();
          for (const shard of shards) counts.set(shard, (counts.get(shard) ?? 0) + 1);
          expect([...counts.keys()].every((s) => s >= 0 && s < PLATFORM_SHARDS)).toBe(true);
          expect(counts.size).toBe(PLATFORM_SHARDS);
          expect(Math.max(...counts.values())).toBeLessThan((2 * ids.length) / PLATFORM_SHARDS);
        },
      ),
      { numRuns: 5 },
    );
  });

  it("keeps a seller's entries in one partition", () => {
    // Act
    const shards = new Set(['a', 'b', 'c', 'd'].map((id) => shardOf(Accounts.sellerPayable('s1'), id)));

    // Assess
    expect([...shards]).toEqual([0]);
  });
});
