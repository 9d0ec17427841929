/**
 * The run's report, as JSON and CSV: counts and amounts per class, each payout's check, the settlement
 * totals, the internal checks and every break with its row and line. Deterministic for a given input and
 * state (breaks sorted, no clock in it), so a re-run writes the same bytes.
 */
import { formatAmount, money } from '../money';
import type { Break, InputFormat, SettlementRow } from './model';
import type { ReconcileOutcome } from './reconcile';

export interface InternalChecks {
  readonly ok: boolean;
  readonly problems: readonly string[];
  /** The ledger's sum per currency (zero when healthy), minor units. */
  readonly ledgerTotals: Readonly<Record<string, string>>;
  readonly wallets: number;
}

export interface ReportSource {
  readonly format: InputFormat;
  readonly sha256: string;
  readonly bucket?: string;
  readonly key?: string;
  readonly payoutIds?: readonly string[];
}

export interface ReconciliationReport {
  readonly report: 'reconciliation';
  readonly version: 1;
  readonly day: string;
  readonly source: ReportSource;
  readonly supersedes?: { readonly sha256: string; readonly source: string };
  readonly rows: number;
  readonly classes: Readonly<Record<string, { count: number; amounts: Record<string, string> }>>;
  readonly payouts: readonly Record<string, unknown>[];
  readonly settlements: readonly Record<string, string>[];
  readonly breaks: readonly Record<string, unknown>[];
  readonly internal?: InternalChecks;
  /** What the matchers do not cover (see matchers/not-yet-recorded.ts). */
  readonly notes: readonly string[];
}

const major = (currency: SettlementRow['currency'], minor: bigint) => formatAmount(money(currency, minor));

export function rowView(row: SettlementRow): Record<string, string | number> {
  return {
    line: row.line,
    balance_transaction_id: row.balanceTransactionId,
    reporting_category: row.category,
    source_id: row.sourceId,
    currency: row.currency,
    gross: major(row.currency, row.gross),
    fee: major(row.currency, row.fee),
    net: major(row.currency, row.net),
    ...(row.paymentIntentId ? { payment_intent_id: row.paymentIntentId } : {}),
    ...(row.chargeId ? { charge_id: row.chargeId } : {}),
    ...(row.paymentOrderId ? { payment_order_id: row.paymentOrderId } : {}),
    ...(row.checkoutId ? { checkout_id: row.checkoutId } : {}),
    ...(row.payoutId ? { payout_id: row.payoutId } : {}),
    ...(row.refundId ? { refund_id: row.refundId } : {}),
    ...(row.transferPayoutId ? { transfer_group: row.transferPayoutId } : {}),
    ...(row.createdAt ? { created_utc: row.createdAt } : {}),
  };
}

export function breakView(b: Break): Record<string, unknown> {
  return {
    id: b.id,
    class: b.class,
    handling: b.handling,
    detail: b.detail,
    ...(b.line !== undefined ? { line: b.line } : {}),
    ...(b.paymentOrderId ? { payment_order_id: b.paymentOrderId } : {}),
    ...(b.checkoutId ? { checkout_id: b.checkoutId } : {}),
    ...(b.payoutId ? { payout_id: b.payoutId } : {}),
    ...(b.record ? { record: b.record } : {}),
    ...(b.expected ? { expected: b.expected } : {}),
    ...(b.actual ? { actual: b.actual } : {}),
    ...(b.row ? { row: rowView(b.row) } : {}),
  };
}

export const NOTES = [
  "refund, dispute, transfer and transfer_reversal rows are matched against our refunds, disputes, sellers' payouts and reversal postings; payout_reversal rows (the platform's own automatic payout returned) have no record of ours: missing_internally",
  "missing_in_file covers pay-ins, refunds, dispute steps and transfer reversals posted on the day; sellers' payouts (their transfers) are not listed by day",
];

export function buildReport(
  day: string,
  source: ReportSource,
  outcome: ReconcileOutcome,
  extra: { supersedes?: { sha256: string; source: string }; internal?: InternalChecks },
): ReconciliationReport {
  const classes: Record<string, { count: number; amounts: Record<string, string> }> = {};
  for (const [cls, c] of [...outcome.counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (c.count === 0) continue;
    const amounts: Record<string, string> = {};
    for (const [currency, minor] of [...c.amounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      amounts[currency] = major(currency, minor);
    }
    classes[cls] = { count: c.count, amounts };
  }
  const breaks = [...outcome.breaks]
    .sort(
      (a, b) =>
        (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    )
    .map(breakView);
  return {
    report: 'reconciliation',
    version: 1,
    day,
    source,
    ...(extra.supersedes ? { supersedes: extra.supersedes } : {}),
    rows: outcome.rows,
    classes,
    payouts: outcome.payouts.map((p) => ({
      payout_id: p.payoutId,
      currency: p.currency,
      rows: p.rows,
      net: major(p.currency, p.net),
      ...(p.stated !== undefined ? { stated: major(p.currency, p.stated) } : {}),
      status: p.status,
    })),
    settlements: outcome.settlements.map((s) => ({
      key: s.key,
      currency: s.currency,
      platform_cash: major(s.currency, s.cash),
      psp_fees: major(s.currency, s.fees),
      psp_receivable: major(s.currency, s.receivable),
    })),
    breaks,
    ...(extra.internal ? { internal: extra.internal } : {}),
    notes: NOTES,
  };
}

const CSV_COLUMNS = [
  'record',
  'class',
  'id',
  'handling',
  'line',
  'balance_transaction_id',
  'reporting_category',
  'source_id',
  'currency',
  'gross',
  'fee',
  'net',
  'count',
  'payment_order_id',
  'checkout_id',
  'payout_id',
  'detail',
] as const;

function cell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function reportCsv(report: ReconciliationReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  const push = (values: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>>) =>
    lines.push(CSV_COLUMNS.map((c) => cell(values[c])).join(','));
  for (const [cls, c] of Object.entries(report.classes)) {
    const currencies = Object.entries(c.amounts);
    if (currencies.length === 0) push({ record: 'summary', class: cls, count: c.count });
    for (const [currency, amount] of currencies)
      push({ record: 'summary', class: cls, count: c.count, currency, gross: amount });
  }
  for (const b of report.breaks) {
    const row = (b.row ?? {}) as Record<string, unknown>;
    push({ record: 'break', ...row, ...b, count: 1 });
  }
  return `${lines.join('\n')}\n`;
}
