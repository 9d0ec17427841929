/**
 * The money-back and money-out matchers, class by class, against records as the stores hold them: refunds
 * (by our id or the PSP's), disputes (by the PSP's id), sellers' payouts (transfers by our payout id) and
 * transfer reversals (a claw-back's posting, or a failed payout's recovery). Pure: the records are given.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerTransaction } from '../../../lambdas/ledger';
import type { Payout } from '../../../lambdas/payouts/model';
import { matcherFor, noNeeds } from '../../../lambdas/reconciliation/matchers';
import type { LoadedRecords } from '../../../lambdas/reconciliation/matchers/types';
import type { SettlementRow } from '../../../lambdas/reconciliation/model';
import type { DisputeRecord, RefundRecord } from '../../../lambdas/refunds/model';

const policy = { expectedChargeFee: () => undefined };

function row(
  category: string,
  fields: Partial<SettlementRow> & { gross: bigint; fee?: bigint },
): SettlementRow {
  const fee = fields.fee ?? 0n;
  return {
    line: 2,
    balanceTransactionId: `txn_${category}`,
    category,
    sourceId: '',
    currency: 'USD',
    net: fields.gross - fee,
    ...fields,
    fee,
  } as SettlementRow;
}

function loaded(records: {
  refunds?: RefundRecord[];
  disputes?: DisputeRecord[];
  payouts?: Payout[];
  transactions?: LedgerTransaction[];
}): LoadedRecords {
  return {
    orders: new Map(),
    checkouts: new Map(),
    refunds: new Map((records.refunds ?? []).map((r) => [r.refund_id, r])),
    disputes: new Map((records.disputes ?? []).map((d) => [d.dispute_id, d])),
    payouts: new Map((records.payouts ?? []).map((p) => [p.payout_id, p])),
    transactions: new Map((records.transactions ?? []).map((t) => [t.id, t])),
  };
}

const classify = (r: SettlementRow, l: LoadedRecords) => {
  const matcher = matcherFor(r);
  if (!matcher) throw new Error(`no matcher for ${r.category}`);
  return matcher.classify(r, l, policy);
};

const refund = (over: Partial<RefundRecord> = {}): RefundRecord =>
  ({
    refund_id: 'rf_1',
    payment_order_id: 'po_1',
    seller_account: 'seller_a',
    currency: 'USD',
    amount_minor: 1000,
    seller_minor: 900,
    commission_minor: 100,
    platform_minor: 0,
    status: 'succeeded',
    origin: 'api',
    psp_refund_id: 're_1',
    version: 2,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  }) as RefundRecord;

const dispute = (over: Partial<DisputeRecord> = {}): DisputeRecord => ({
  dispute_id: 'dp_1',
  payment_order_id: 'po_2',
  seller_account: 'seller_a',
  currency: 'USD',
  amount_minor: 999,
  fee_minor: 1500,
  status: 'needs_response',
  is_inquiry: false,
  steps: ['funds_withdrawn'],
  version: 1,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  ...over,
});

const payout = (over: Partial<Payout> = {}): Payout => ({
  payout_id: 'pout_1',
  seller_id: 'seller_a',
  currency: 'USD',
  amount: 1800,
  status: 'PAID',
  provider: 'stripe_connect',
  destination_account: 'acct_1',
  origin: 'api',
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  hold_expires_at: '2026-01-02T00:00:00Z',
  provider_reference: 'tr_1',
  version: 3,
  ...over,
});

describe('refund rows', () => {
  const r = (over: Partial<SettlementRow> = {}) =>
    row('refund', { sourceId: 're_1', refundId: 'rf_1', gross: -1000n, ...over });

  it('load the refund by our id, or by the PSP id for a dashboard refund', () => {
    const needs = noNeeds();
    matcherFor(r())?.needs(r(), needs);
    matcherFor(r())?.needs(row('refund', { sourceId: 're_dash', gross: -5n }), needs);
    expect([...needs.refunds]).toEqual(['rf_1', 're_dash']);
  });

  it('match a refund the PSP took, settling cash against the receivable, and account for its posting', () => {
    const v = classify(r(), loaded({ refunds: [refund()] }));
    expect(v).toMatchObject({
      class: 'matched',
      record: 'refund rf_1',
      paymentOrderId: 'po_1',
      settlement: { cash: -1000n, fees: 0n, receivable: 1000n },
      postings: ['refund:rf_1:requested'],
    });
    // A refund the PSP failed later still took the money first: its own row matches.
    expect(classify(r(), loaded({ refunds: [refund({ status: 'failed' })] })).class).toBe('matched');
  });

  it('classify every difference', () => {
    expect(classify(r(), loaded({})).class).toBe('missing_internally');
    expect(classify(r({ sourceId: 're_other' }), loaded({ refunds: [refund()] }))).toMatchObject({
      class: 'missing_internally',
      postings: [],
    });
    expect(classify(r({ currency: 'EUR' }), loaded({ refunds: [refund()] })).class).toBe('currency_mismatch');
    expect(classify(r({ gross: -900n, net: -900n }), loaded({ refunds: [refund()] }))).toMatchObject({
      class: 'amount_mismatch',
      expected: { gross: '-1000' },
      actual: { gross: '-900' },
    });
    expect(classify(r(), loaded({ refunds: [refund({ status: 'pending' })] }))).toMatchObject({
      class: 'status_mismatch',
      actual: { status: 'pending' },
    });
    expect(classify(r({ fee: 5n, net: -1005n }), loaded({ refunds: [refund()] })).class).toBe('fee_mismatch');
  });

  it('match a refund failure only against a failed refund', () => {
    const failure = row('refund_failure', { sourceId: 're_1', refundId: 'rf_1', gross: 1000n });
    expect(classify(failure, loaded({ refunds: [refund({ status: 'failed' })] }))).toMatchObject({
      class: 'matched',
      settlement: { cash: 1000n, fees: 0n, receivable: -1000n },
    });
    expect(classify(failure, loaded({ refunds: [refund()] })).class).toBe('status_mismatch');
  });
});

describe('dispute rows', () => {
  const withdrawal = (over: Partial<SettlementRow> = {}) =>
    row('dispute', { sourceId: 'dp_1', gross: -999n, fee: 1500n, ...over });

  it('match a withdrawal with its fee; the fee already posted is not posted again', () => {
    expect(classify(withdrawal(), loaded({ disputes: [dispute()] }))).toMatchObject({
      class: 'matched',
      record: 'dispute dp_1',
      paymentOrderId: 'po_2',
      settlement: { cash: -2499n, fees: 0n, receivable: 2499n },
      postings: ['dispute:dp_1:funds_withdrawn'],
    });
  });

  it('classify a withdrawal we never posted, a wrong fee, a wrong amount, a dispute we do not hold', () => {
    expect(classify(withdrawal(), loaded({ disputes: [dispute({ steps: [] })] }))).toMatchObject({
      class: 'status_mismatch',
      expected: { step: 'funds_withdrawn' },
    });
    expect(classify(withdrawal({ fee: 1000n, net: -1999n }), loaded({ disputes: [dispute()] })).class).toBe(
      'fee_mismatch',
    );
    expect(classify(withdrawal({ gross: -500n, net: -2000n }), loaded({ disputes: [dispute()] })).class).toBe(
      'amount_mismatch',
    );
    expect(classify(withdrawal(), loaded({})).class).toBe('missing_internally');
  });

  it('match a reversal of a won dispute, with or without the fee given back', () => {
    const won = dispute({ status: 'won', steps: ['funds_withdrawn', 'funds_reinstated'] });
    const reversal = (fee: bigint) => row('dispute_reversal', { sourceId: 'dp_1', gross: 999n, fee });
    expect(classify(reversal(0n), loaded({ disputes: [won] }))).toMatchObject({
      class: 'matched',
      settlement: { cash: 999n, fees: 0n, receivable: -999n },
      postings: ['dispute:dp_1:funds_reinstated'],
    });
    expect(classify(reversal(-1500n), loaded({ disputes: [won] })).class).toBe('matched');
    expect(classify(reversal(-100n), loaded({ disputes: [won] })).class).toBe('fee_mismatch');
    expect(classify(reversal(0n), loaded({ disputes: [dispute()] })).class).toBe('status_mismatch');
  });
});

describe('transfer rows', () => {
  const transfer = (over: Partial<SettlementRow> = {}) =>
    row('transfer', { sourceId: 'tr_1', transferPayoutId: 'pout_1', gross: -1800n, ...over });

  it('match the transfer of a payout the provider has; nothing to post (the payout took it from cash)', () => {
    for (const status of ['SUBMITTED', 'PAID', 'RETURNED'] as const) {
      const v = classify(transfer(), loaded({ payouts: [payout({ status })] }));
      expect(v).toMatchObject({ class: 'matched', record: 'payout pout_1' });
      expect(v.settlement).toBeUndefined();
    }
    // A failed payout whose transfer we recorded: its recovery reversal brings the money back.
    expect(classify(transfer(), loaded({ payouts: [payout({ status: 'FAILED' })] })).class).toBe('matched');
  });

  it('classify a transfer we do not expect', () => {
    expect(classify(transfer({ transferPayoutId: undefined }), loaded({})).class).toBe('missing_internally');
    expect(classify(transfer(), loaded({})).class).toBe('missing_internally');
    expect(classify(transfer({ sourceId: 'tr_2' }), loaded({ payouts: [payout()] }))).toMatchObject({
      class: 'missing_internally',
      expected: { provider_reference: 'tr_1' },
    });
    expect(classify(transfer({ currency: 'EUR' }), loaded({ payouts: [payout()] })).class).toBe(
      'currency_mismatch',
    );
    expect(classify(transfer({ gross: -1700n, net: -1700n }), loaded({ payouts: [payout()] })).class).toBe(
      'amount_mismatch',
    );
    expect(
      classify(
        transfer(),
        loaded({ payouts: [payout({ status: 'CREATED', provider_reference: undefined })] }),
      ),
    ).toMatchObject({ class: 'status_mismatch', actual: { status: 'CREATED' } });
    expect(
      classify(transfer(), loaded({ payouts: [payout({ status: 'FAILED', provider_reference: undefined })] }))
        .class,
    ).toBe('status_mismatch');
  });
});

describe('transfer reversal rows', () => {
  const reversal = (over: Partial<SettlementRow> = {}) =>
    row('transfer_reversal', { sourceId: 'trr_1', transferPayoutId: 'pout_1', gross: 450n, ...over });
  const clawback: LedgerTransaction = {
    id: 'transfer_reversal:trr_1',
    reason: 'transfer_reversed',
    refs: { transferReversalId: 'trr_1', refundId: 'rf_1', payoutId: 'pout_1' },
    entries: [
      { account: 'psp_receivable', amount: { currency: 'USD', minor: 450n } },
      { account: 'seller_receivable:seller_a', amount: { currency: 'USD', minor: -450n } },
    ],
    postedAt: '2026-01-01T00:00:00Z',
    contentHash: 'x',
  } as LedgerTransaction;

  it("load the claw-back's posting by the reversal's id", () => {
    const needs = noNeeds();
    matcherFor(reversal())?.needs(reversal(), needs);
    expect([...needs.transactions]).toEqual(['transfer_reversal:trr_1']);
    expect([...needs.payouts]).toEqual(['pout_1']);
  });

  it("match a refund's claw-back against its posting, settling the receivable it opened", () => {
    expect(classify(reversal(), loaded({ transactions: [clawback], payouts: [payout()] }))).toMatchObject({
      class: 'matched',
      record: 'refund rf_1',
      settlement: { cash: 450n, fees: 0n, receivable: -450n },
      postings: ['transfer_reversal:trr_1'],
    });
    expect(classify(reversal({ gross: 400n, net: 400n }), loaded({ transactions: [clawback] })).class).toBe(
      'amount_mismatch',
    );
  });

  it("match a failed payout's recovery; a reversal of a paid payout we never posted is a status mismatch", () => {
    const full = reversal({ gross: 1800n, net: 1800n });
    expect(classify(full, loaded({ payouts: [payout({ status: 'FAILED' })] }))).toMatchObject({
      class: 'matched',
      record: 'payout pout_1',
    });
    expect(classify(full, loaded({ payouts: [payout()] })).class).toBe('status_mismatch');
    expect(classify(full, loaded({})).class).toBe('missing_internally');
  });
});

describe('payout reversal rows', () => {
  it('are money the PSP moved that we keep no record of', () => {
    expect(classify(row('payout_reversal', { sourceId: 'po_x', gross: 100n }), loaded({})).class).toBe(
      'missing_internally',
    );
  });
});
