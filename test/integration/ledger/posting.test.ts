import { beforeAll, describe, expect, it } from 'vitest';
import {
  Accounts,
  accountBalance,
  ConflictingTransactionError,
  getTransaction,
  InvalidTransactionError,
  type LedgerContext,
  postTransaction,
  recordPayIn,
  reversalOf,
  TooManyItemsError,
  type TransactionInput,
  UnbalancedTransactionError,
  verifyLedger,
  walletBalances,
} from '../../../lambdas/ledger';
import { money } from '../../../lambdas/money';
import { type LedgerFixture, ledgerFixture, snapshot, usd } from './support';

let fixture: LedgerFixture;
let ctx: LedgerContext;

beforeAll(async () => {
  fixture = await ledgerFixture('posting');
  ctx = fixture.ctx;
});

const settlement = (id: string, minor: number): TransactionInput => ({
  id,
  reason: 'settlement_received',
  refs: { settlementRowId: `row-${id}` },
  entries: [
    { account: Accounts.platformCash, amount: usd(minor - 30) },
    { account: Accounts.pspFees, amount: usd(30) },
    { account: Accounts.pspReceivable, amount: usd(-minor) },
  ],
});

describe('posting a transaction', () => {
  it('writes a balanced transaction, its entries and the seller wallet it moves', async () => {
    // Act
    const result = await recordPayIn(ctx, {
      paymentOrderId: 'po-1',
      sellerId: 'seller-a',
      gross: usd(10_000),
      commission: usd(1_000),
    });

    // Assess
    expect(result.replayed).toBe(false);
    expect(await getTransaction(ctx, 'payin:po-1')).toEqual(result.transaction);
    expect(result.transaction.entries.map((e) => [e.account, e.amount.minor])).toEqual([
      ['psp_receivable', 10_000n],
      ['seller_payable:seller-a', -9_000n],
      ['platform_revenue', -1_000n],
    ]);
    expect(await walletBalances(ctx, 'seller-a')).toEqual([
      {
        currency: 'USD',
        available: usd(9_000),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
    expect(await accountBalance(ctx, Accounts.sellerPayable('seller-a'))).toEqual([usd(9_000)]);
    expect(await accountBalance(ctx, Accounts.platformRevenue)).toEqual([usd(1_000)]);
  });

  it('answers a replay as the first time and changes nothing', async () => {
    // Prepare
    const input = settlement('settle-1', 5_000);
    const first = await postTransaction(ctx, input);
    const before = [
      await snapshot(ctx, fixture.tables.ledger ?? ''),
      await snapshot(ctx, fixture.tables.wallets ?? ''),
    ];

    // Act
    const again = await postTransaction(ctx, structuredClone(input));

    // Assess
    expect(again).toEqual({ transaction: first.transaction, replayed: true });
    const after = [
      await snapshot(ctx, fixture.tables.ledger ?? ''),
      await snapshot(ctx, fixture.tables.wallets ?? ''),
    ];
    expect(after).toEqual(before);
  });

  it('credits once when the same posting arrives 20 times at once', async () => {
    // Prepare
    const input = { paymentOrderId: 'po-dup', sellerId: 'seller-dup', gross: usd(1_234) };

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => recordPayIn(ctx, input)));

    // Assess
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(
      new Set(
        results.map((r) => JSON.stringify(r.transaction, (_, v) => (typeof v === 'bigint' ? `${v}` : v))),
      ).size,
    ).toBe(1);
    expect(await walletBalances(ctx, 'seller-dup')).toEqual([
      {
        currency: 'USD',
        available: usd(1_234),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
  });

  it('refuses the same id with other content and keeps the first', async () => {
    // Prepare
    const original = await postTransaction(ctx, settlement('settle-2', 5_000));

    // Act
    const attempt = postTransaction(ctx, settlement('settle-2', 5_001));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictingTransactionError);
    await expect(attempt).rejects.toMatchObject({ code: 'ledger_conflicting_transaction', statusCode: 409 });
    expect(await getTransaction(ctx, 'settle-2')).toEqual(original.transaction);
  });

  it('refuses unbalanced, one-sided and unexplained transactions before writing anything', async () => {
    // Prepare
    const before = await snapshot(ctx, fixture.tables.ledger ?? '');
    const unbalanced: TransactionInput = {
      ...settlement('bad-1', 100),
      entries: [
        { account: Accounts.platformCash, amount: usd(100) },
        { account: Accounts.pspReceivable, amount: usd(-99) },
      ],
    };
    const mixedCurrencies: TransactionInput = {
      ...settlement('bad-2', 100),
      entries: [
        { account: Accounts.platformCash, amount: usd(100) },
        { account: Accounts.pspReceivable, amount: money('EUR', -100n) },
      ],
    };
    const oneSided: TransactionInput = { ...settlement('bad-3', 100), entries: [] };
    const unexplained: TransactionInput = { ...settlement('bad-4', 100), refs: {} };

    // Act
    const results = await Promise.allSettled([
      postTransaction(ctx, unbalanced),
      postTransaction(ctx, mixedCurrencies),
      postTransaction(ctx, oneSided),
      postTransaction(ctx, unexplained),
    ]);

    // Assess
    expect(results.map((r) => (r.status === 'rejected' ? r.reason.constructor : r.status))).toEqual([
      UnbalancedTransactionError,
      UnbalancedTransactionError,
      InvalidTransactionError,
      InvalidTransactionError,
    ]);
    expect(await snapshot(ctx, fixture.tables.ledger ?? '')).toEqual(before);
  });

  it('refuses a posting that would not fit in one TransactWriteItems', async () => {
    // Prepare: 49 sellers paid from one receivable: 1 header + 50 entries + 49 wallets = 100 items.
    const sellers = Array.from({ length: 49 }, (_, i) => `bulk-${i}`);
    const input: TransactionInput = {
      id: 'bulk-1',
      reason: 'payin_captured',
      refs: { paymentOrderId: 'po-bulk' },
      entries: [
        { account: Accounts.pspReceivable, amount: usd(49) },
        ...sellers.map((s) => ({ account: Accounts.sellerPayable(s), amount: usd(-1) })),
      ],
    };
    const orderUpdate = {
      ConditionCheck: {
        TableName: fixture.tables.payments ?? '',
        Key: { pk: 'ORDER#po-bulk', sk: 'ORDER' },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };

    // Act
    const tooMany = await postTransaction(ctx, input, { extraItems: [orderUpdate] }).catch((e: unknown) => e);
    const fits = await postTransaction(ctx, input);

    // Assess
    expect(tooMany).toBeInstanceOf(TooManyItemsError);
    expect(fits.replayed).toBe(false);
    expect(await walletBalances(ctx, 'bulk-48')).toEqual([
      {
        currency: 'USD',
        available: usd(1),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
  });

  it('corrects with a reversal transaction and never edits the original', async () => {
    // Prepare
    const original = await recordPayIn(ctx, {
      paymentOrderId: 'po-wrong',
      sellerId: 'seller-r',
      gross: usd(700),
    });

    // Act
    const reversal = await postTransaction(ctx, reversalOf(original.transaction, 'fix-po-wrong'));

    // Assess
    expect(reversal.transaction.reason).toBe('reversal');
    expect(reversal.transaction.refs).toEqual({ paymentOrderId: 'po-wrong', reversalOf: 'payin:po-wrong' });
    expect(await getTransaction(ctx, 'payin:po-wrong')).toEqual(original.transaction);
    expect(await walletBalances(ctx, 'seller-r')).toEqual([
      {
        currency: 'USD',
        available: usd(0),
        reserved: usd(0),
        paidOut: usd(0),
        receivable: usd(0),
        disputeHeld: usd(0),
      },
    ]);
    expect(await verifyLedger(ctx)).toMatchObject({ ok: true, problems: [] });
  });
});
