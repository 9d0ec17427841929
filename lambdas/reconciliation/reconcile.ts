/**
 * The matching run over one day's rows, whatever their source: rows are taken in batches as the reader
 * yields them; for each batch our records are loaded in bulk, then every row gets exactly one class (a row
 * repaired on the way gets its class before and after). After the last row: the checkouts whose shares
 * differ but whose total is right (split), the pay-ins the PSP should have settled by now but did not
 * (missing in the file) and the refunds, dispute steps and reversals we posted that have no row, and each
 * payout's rows against the payout's amount.
 *
 * Nothing here writes: repairs go through the callback (the payments code's own idempotent path), and the
 * outcome is handed to run.ts for postings, break records, queues and the report. Memory: three sets of ids
 * (rows seen, orders seen, money-back postings seen) and per-payout sums; never the rows themselves, except
 * the breaks.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CurrencyCode } from '../money';
import type { RowError } from './formats';
import { isRowError } from './formats';
import {
  type LoadedRecords,
  type MatchPolicy,
  matcherFor,
  noNeeds,
  type RecordNeeds,
  type Settlement,
  unexplained,
  type Verdict,
} from './matchers';
import {
  AWAITING_SETTLEMENT,
  type Break,
  type BreakClass,
  defaultHandling,
  type Handling,
  type SettlementRow,
} from './model';
import {
  capturesBetween,
  loadCheckouts,
  loadDisputes,
  loadOrders,
  loadPayouts,
  loadRefunds,
  loadTransactions,
  postingsBetween,
  type RecordTables,
} from './records';

export interface ReconcileDeps {
  readonly db: DynamoDBDocumentClient;
  readonly tables: RecordTables;
  /** The payout's amount from the PSP, when the input carries no row for the payout itself. */
  readonly payoutTotal?: (payoutId: string) => Promise<bigint | undefined>;
  /** Drives the orders of a status_mismatch to SUCCESS through the normal path; true when it did. */
  readonly repair?: (row: SettlementRow, verdict: Verdict) => Promise<boolean>;
}

export interface ReconcileOptions {
  /** The UTC day the file settles, YYYY-MM-DD. */
  readonly day: string;
  readonly now: Date;
  /** How long after a day the PSP may still settle its pay-ins: before that, none is "missing". */
  readonly settlementWindowMs: number;
  readonly policy: MatchPolicy;
  readonly batchSize?: number;
  readonly concurrency?: number;
  readonly onProgress?: (rows: number) => void;
  /** Operators' links of the day, by balance transaction id: the row is matched as linked. */
  readonly links?: ReadonlyMap<string, RowLink>;
}

export interface ClassCount {
  count: number;
  /** Sum of gross per currency, minor units. */
  readonly amounts: Map<CurrencyCode, bigint>;
}

export interface PayoutCheck {
  readonly payoutId: string;
  readonly currency: CurrencyCode;
  readonly rows: number;
  /** Sum of the net of the rows it paid out. */
  readonly net: bigint;
  /** The payout's amount (its own row, or the PSP), when known. */
  readonly stated?: bigint;
  readonly status: 'ok' | 'mismatch' | 'unverified';
}

export interface PayoutSettlement extends Settlement {
  /** The payout id, or `day-{date}-{currency}` for rows no payout names. */
  readonly key: string;
  readonly currency: CurrencyCode;
}

export interface ReconcileOutcome {
  readonly rows: number;
  readonly counts: ReadonlyMap<string, ClassCount>;
  readonly breaks: readonly Break[];
  readonly payouts: readonly PayoutCheck[];
  readonly settlements: readonly PayoutSettlement[];
}

interface Group {
  currency: CurrencyCode;
  rows: number;
  net: bigint;
  stated?: bigint;
  settle: { cash: bigint; fees: bigint; receivable: bigint };
}

const DAY_MS = 86_400_000;

export function dayRange(day: string): { from: Date; to: Date } {
  const from = new Date(`${day}T00:00:00.000Z`);
  if (Number.isNaN(from.getTime()) || from.toISOString().slice(0, 10) !== day) {
    throw new RangeError(`not a day: ${day}`);
  }
  return { from, to: new Date(from.getTime() + DAY_MS) };
}

/** Every record `needs` names, in bulk, then what those records lead to (a checkout's orders). */
export async function loadRecords(
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  batch: readonly SettlementRow[],
  needs: RecordNeeds,
  concurrency = 8,
): Promise<LoadedRecords> {
  const [orders, checkouts, refunds, disputes, payouts, transactions] = await Promise.all([
    loadOrders(db, tables, needs.orders, concurrency),
    loadCheckouts(db, tables, needs.checkouts, concurrency),
    loadRefunds(db, tables, needs.refunds, concurrency),
    loadDisputes(db, tables, needs.disputes, concurrency),
    loadPayouts(db, tables, needs.payouts, concurrency),
    loadTransactions(db, tables, needs.transactions, concurrency),
  ]);
  const loaded = { orders, checkouts, refunds, disputes, payouts, transactions };
  const more: RecordNeeds = noNeeds();
  for (const row of batch) matcherFor(row)?.moreNeeds?.(row, loaded, more);
  for (const id of orders.keys()) more.orders.delete(id);
  if (more.orders.size > 0) {
    for (const [id, o] of await loadOrders(db, tables, more.orders, concurrency)) orders.set(id, o);
  }
  return loaded;
}

/** An operator's link (resolve.ts): the record a row belongs to, applied to the row before it is matched. */
export interface RowLink {
  readonly field: LinkField;
  readonly id: string;
}
export type LinkField = 'paymentOrderId' | 'refundId' | 'transferPayoutId' | 'sourceId';

/** Which of a row's ids an operator's link replaces, by its category. */
export function linkFieldOf(category: string): LinkField {
  switch (category) {
    case 'refund':
    case 'refund_failure':
      return 'refundId';
    case 'transfer':
    case 'transfer_reversal':
      return 'transferPayoutId';
    case 'dispute':
    case 'dispute_reversal':
      return 'sourceId';
    default:
      return 'paymentOrderId';
  }
}

export const linkedRow = (row: SettlementRow, link: RowLink): SettlementRow => ({
  ...row,
  [link.field]: link.id,
});

export async function reconcileRows(
  deps: ReconcileDeps,
  source: AsyncIterable<SettlementRow | RowError>,
  options: ReconcileOptions,
): Promise<ReconcileOutcome> {
  const batchSize = options.batchSize ?? 2_000;
  const concurrency = options.concurrency ?? 8;
  const counts = new Map<string, ClassCount>();
  const breaks: Break[] = [];
  const seenRows = new Set<string>();
  const seenOrders = new Set<string>();
  /** Our money-back postings the rows accounted for (refund requested, dispute steps, reversals). */
  const seenPostings = new Set<string>();
  const groups = new Map<string, Group>();
  /** amount_mismatch breaks by checkout: split candidates. */
  const mismatchesByCheckout = new Map<string, Break[]>();
  let rows = 0;

  const count = (cls: string, currency: CurrencyCode | undefined, amount: bigint) => {
    let c = counts.get(cls);
    if (!c) {
      c = { count: 0, amounts: new Map() };
      counts.set(cls, c);
    }
    c.count++;
    if (currency) c.amounts.set(currency, (c.amounts.get(currency) ?? 0n) + amount);
  };
  const addBreak = (b: Break, amount?: { currency: CurrencyCode; minor: bigint }) => {
    breaks.push(b);
    count(b.class, amount?.currency ?? b.row?.currency, amount?.minor ?? b.row?.gross ?? 0n);
  };
  const groupOf = (row: SettlementRow): Group => {
    const key = row.payoutId ?? `day-${options.day}-${row.currency}`;
    let g = groups.get(key);
    if (!g) {
      g = { currency: row.currency, rows: 0, net: 0n, settle: { cash: 0n, fees: 0n, receivable: 0n } };
      groups.set(key, g);
    }
    return g;
  };

  const record = (row: SettlementRow, verdict: Verdict, handling?: Handling) => {
    for (const id of verdict.orderIds ?? []) seenOrders.add(id);
    for (const id of verdict.postings ?? []) seenPostings.add(id);
    const group = groupOf(row);
    if (verdict.payoutTotal !== undefined) {
      group.stated = (group.stated ?? 0n) + verdict.payoutTotal;
    } else {
      group.rows++;
      group.net += row.net;
    }
    if (verdict.class === 'matched') {
      count('matched', row.currency, row.gross);
      if (verdict.settlement) {
        group.settle.cash += verdict.settlement.cash;
        group.settle.fees += verdict.settlement.fees;
        group.settle.receivable += verdict.settlement.receivable;
      }
      return;
    }
    const b: Break = {
      id: `${verdict.class}:${row.balanceTransactionId}`,
      class: verdict.class,
      handling: handling ?? defaultHandling(verdict.class),
      detail: verdict.detail,
      row,
      line: row.line,
      ...(verdict.orderIds?.length === 1
        ? { paymentOrderId: verdict.orderIds[0] }
        : verdict.paymentOrderId
          ? { paymentOrderId: verdict.paymentOrderId }
          : {}),
      ...(verdict.checkoutId ? { checkoutId: verdict.checkoutId } : {}),
      ...(row.payoutId ? { payoutId: row.payoutId } : {}),
      ...(verdict.record ? { record: verdict.record } : {}),
      ...(verdict.expected ? { expected: verdict.expected } : {}),
      ...(verdict.actual ? { actual: verdict.actual } : {}),
    };
    addBreak(b);
    if (b.class === 'amount_mismatch' && b.checkoutId && row.paymentOrderId) {
      mismatchesByCheckout.set(b.checkoutId, [...(mismatchesByCheckout.get(b.checkoutId) ?? []), b]);
    }
  };

  const load = (batch: readonly SettlementRow[], needs: RecordNeeds) =>
    loadRecords(deps.db, deps.tables, batch, needs, concurrency);

  const processBatch = async (batch: readonly SettlementRow[]) => {
    const needs: RecordNeeds = noNeeds();
    for (const row of batch) matcherFor(row)?.needs(row, needs);
    const loaded = await load(batch, needs);
    for (const row of batch) {
      const matcher = matcherFor(row);
      const verdict = matcher ? matcher.classify(row, loaded, options.policy) : unexplained(row);
      if (verdict.repair && deps.repair && (await deps.repair(row, verdict))) {
        record(row, verdict, 'auto_repaired');
        // The repaired orders, read again: the row's class now (matched, or a fee difference).
        const reread = await load(
          [row],
          (() => {
            const n: RecordNeeds = noNeeds();
            matcher?.needs(row, n);
            return n;
          })(),
        );
        const after = matcher?.classify(row, reread, options.policy) ?? verdict;
        // Counted once in the payout's rows: the first record() already added this row.
        const group = groupOf(row);
        group.rows--;
        group.net -= row.net;
        record(row, after.class === 'status_mismatch' ? { ...after, repair: undefined } : after);
      } else {
        record(row, verdict);
      }
    }
  };

  let batch: SettlementRow[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  for await (const item of source) {
    if (isRowError(item)) {
      addBreak({
        id: `malformed_row:line-${item.line}`,
        class: 'malformed_row',
        handling: 'investigation',
        detail: item.error,
        line: item.line,
      });
      continue;
    }
    rows++;
    if (seenRows.has(item.balanceTransactionId)) {
      addBreak({
        id: `duplicate_row:${item.balanceTransactionId}:line-${item.line}`,
        class: 'duplicate_row',
        handling: 'finance',
        detail: `balance transaction ${item.balanceTransactionId} appears again (first seen earlier in the input)`,
        row: item,
        line: item.line,
        ...(item.payoutId ? { payoutId: item.payoutId } : {}),
      });
      // A repeated row is still part of what the payout paid, as the PSP wrote it.
      const group = groupOf(item);
      group.rows++;
      group.net += item.net;
      continue;
    }
    seenRows.add(item.balanceTransactionId);
    const link = options.links?.get(item.balanceTransactionId);
    batch.push(link ? linkedRow(item, link) : item);
    if (batch.length >= batchSize) {
      const full = batch;
      batch = [];
      // One batch loads while the next is read: reading and DynamoDB overlap.
      await inFlight;
      inFlight = processBatch(full);
      options.onProgress?.(rows);
    }
  }
  await inFlight;
  if (batch.length > 0) await processBatch(batch);
  options.onProgress?.(rows);

  await classifySplits(deps, mismatchesByCheckout, seenOrders, breaks, counts, concurrency);
  await findMissingInFile(deps, options, seenOrders, concurrency, addBreak, count);
  await findMoneyBackMissingInFile(deps, options, seenPostings, concurrency, addBreak, count);
  const payouts = await checkPayouts(deps, groups, addBreak);

  const settlements: PayoutSettlement[] = [...groups]
    .filter(([, g]) => g.settle.cash !== 0n || g.settle.fees !== 0n || g.settle.receivable !== 0n)
    .map(([key, g]) => ({ key, currency: g.currency, ...g.settle }));
  return { rows, counts, breaks, payouts, settlements };
}

/**
 * A checkout whose rows all arrived, whose total is what we recorded, but whose orders' amounts are not
 * each what we recorded: the sellers' shares are wrong, not the payment. Its amount mismatches become one
 * split mismatch per order.
 */
async function classifySplits(
  deps: ReconcileDeps,
  byCheckout: ReadonlyMap<string, Break[]>,
  seenOrders: ReadonlySet<string>,
  breaks: Break[],
  counts: Map<string, ClassCount>,
  concurrency: number,
) {
  if (byCheckout.size === 0) return;
  const checkouts = await loadCheckouts(deps.db, deps.tables, byCheckout.keys(), concurrency);
  const orderIds = [...checkouts.values()].flatMap((c) => [...c.order_ids]);
  const orders = await loadOrders(deps.db, deps.tables, orderIds, concurrency);
  for (const [checkoutId, mismatches] of byCheckout) {
    const checkout = checkouts.get(checkoutId);
    if (!checkout) continue;
    const settled = new Map(mismatches.map((b) => [b.paymentOrderId, b.row?.gross ?? 0n]));
    let total = 0n;
    let complete = true;
    for (const id of checkout.order_ids) {
      const order = orders.get(id);
      if (!order || !(seenOrders.has(id) || settled.has(id))) complete = false;
      total += settled.get(id) ?? BigInt(order?.amount_minor ?? 0);
    }
    if (!complete || total !== BigInt(checkout.total_minor)) continue;
    for (const b of mismatches) {
      const index = breaks.indexOf(b);
      const amount = counts.get('amount_mismatch');
      if (amount && b.row) {
        amount.count--;
        amount.amounts.set(b.row.currency, (amount.amounts.get(b.row.currency) ?? 0n) - b.row.gross);
      }
      const split: Break = {
        ...b,
        id: `split_mismatch:${b.row?.balanceTransactionId ?? b.paymentOrderId}`,
        class: 'split_mismatch',
        detail: `checkout ${checkoutId} settled its total ${checkout.total_minor}, but this seller's share differs: ${b.detail}`,
      };
      breaks[index] = split;
      let c = counts.get('split_mismatch');
      if (!c) {
        c = { count: 0, amounts: new Map() };
        counts.set('split_mismatch', c);
      }
      c.count++;
      if (b.row) c.amounts.set(b.row.currency, (c.amounts.get(b.row.currency) ?? 0n) + b.row.gross);
    }
  }
}

/**
 * Pay-ins captured during the day (the ledger's psp_receivable entries) with no row: once the settlement
 * window has passed they are breaks; before that they are only awaiting settlement.
 */
async function findMissingInFile(
  deps: ReconcileDeps,
  options: ReconcileOptions,
  seenOrders: ReadonlySet<string>,
  concurrency: number,
  addBreak: (b: Break, amount?: { currency: CurrencyCode; minor: bigint }) => void,
  count: (cls: string, currency: CurrencyCode | undefined, amount: bigint) => void,
) {
  const { from, to } = dayRange(options.day);
  const unseen: string[] = [];
  for await (const capture of capturesBetween(deps.db, deps.tables, from, to)) {
    if (!seenOrders.has(capture.paymentOrderId)) unseen.push(capture.paymentOrderId);
  }
  if (unseen.length === 0) return;
  const due = options.now.getTime() >= to.getTime() + options.settlementWindowMs;
  const orders = await loadOrders(deps.db, deps.tables, unseen, concurrency);
  for (const id of unseen.sort()) {
    const order = orders.get(id);
    const currency = order?.currency;
    const amount = BigInt(order?.amount_minor ?? 0);
    if (!due) {
      count(AWAITING_SETTLEMENT, currency, amount);
      continue;
    }
    addBreak(
      {
        id: `missing_in_file:${id}`,
        class: 'missing_in_file',
        handling: 'finance',
        detail: `order ${id} was captured on ${options.day}${order?.psp_reference ? ` (${order.psp_reference})` : ''} and the PSP has not settled it`,
        paymentOrderId: id,
        ...(order ? { checkoutId: order.checkout_id } : {}),
        expected: { gross: amount.toString(), currency: String(currency ?? '') },
      },
      currency ? { currency, minor: amount } : undefined,
    );
  }
}

/**
 * Our money-back postings of the day whose PSP movement has no row: refunds we asked for and the PSP took
 * (it has their id), disputes' withdrawals and reinstatements, refunds' transfer reversals. Like pay-ins, a
 * break only once the settlement window has passed. (Sellers' payouts are not listed here: their transfer
 * happens when they are submitted, which no day-ranged record of ours marks.)
 */
async function findMoneyBackMissingInFile(
  deps: ReconcileDeps,
  options: ReconcileOptions,
  seenPostings: ReadonlySet<string>,
  concurrency: number,
  addBreak: (b: Break, amount?: { currency: CurrencyCode; minor: bigint }) => void,
  count: (cls: string, currency: CurrencyCode | undefined, amount: bigint) => void,
) {
  const { from, to } = dayRange(options.day);
  const unseen: { txId: string; account: 'refunds_pending' | 'psp_receivable' }[] = [];
  const sources = [
    { account: 'refunds_pending', reasons: ['refund_requested'] },
    {
      account: 'psp_receivable',
      reasons: ['dispute_funds_withdrawn', 'dispute_funds_reinstated', 'transfer_reversed'],
    },
  ] as const;
  for (const { account, reasons } of sources) {
    for await (const p of postingsBetween(deps.db, deps.tables, account, reasons, from, to)) {
      if (!seenPostings.has(p.txId)) unseen.push({ txId: p.txId, account });
    }
  }
  if (unseen.length === 0) return;
  const txs = await loadTransactions(
    deps.db,
    deps.tables,
    unseen.map((u) => u.txId),
    concurrency,
  );
  const refundIds = [...txs.values()].flatMap((t) =>
    t.refs.refundId && t.reason === 'refund_requested' ? [t.refs.refundId] : [],
  );
  const refunds = await loadRefunds(deps.db, deps.tables, refundIds, concurrency);
  const due = options.now.getTime() >= to.getTime() + options.settlementWindowMs;
  for (const { txId, account } of unseen.sort((a, b) => (a.txId < b.txId ? -1 : 1))) {
    const tx = txs.get(txId);
    if (!tx) continue;
    const entries = tx.entries.filter((e) => e.account === account);
    const currency = entries[0]?.amount.currency;
    const sum = entries.reduce((s, e) => s + e.amount.minor, 0n);
    const amount = sum < 0n ? -sum : sum;
    let what: string;
    let record: string | undefined;
    if (tx.reason === 'refund_requested') {
      const refund = tx.refs.refundId ? refunds.get(tx.refs.refundId) : undefined;
      // Refused by the PSP, or its answer still unknown: no PSP refund, so no row is expected.
      if (!refund?.psp_refund_id || refund.status === 'canceled') continue;
      what = `refund ${refund.refund_id} (${refund.psp_refund_id})`;
      record = `refund ${refund.refund_id}`;
    } else if (tx.refs.disputeId) {
      what = `dispute ${tx.refs.disputeId} (${tx.reason === 'dispute_funds_withdrawn' ? 'funds withdrawn' : 'funds reinstated'})`;
      record = `dispute ${tx.refs.disputeId}`;
    } else {
      what = `transfer reversal ${tx.refs.transferReversalId ?? txId}`;
      record = tx.refs.refundId ? `refund ${tx.refs.refundId}` : undefined;
    }
    if (!due) {
      count(AWAITING_SETTLEMENT, currency, amount);
      continue;
    }
    addBreak(
      {
        id: `missing_in_file:${txId}`,
        class: 'missing_in_file',
        handling: 'finance',
        detail: `${what} was posted on ${options.day} and the PSP has not settled it`,
        ...(tx.refs.paymentOrderId ? { paymentOrderId: tx.refs.paymentOrderId } : {}),
        ...(record ? { record } : {}),
        expected: { gross: amount.toString(), currency: String(currency ?? '') },
      },
      currency ? { currency, minor: amount } : undefined,
    );
  }
}

async function checkPayouts(
  deps: ReconcileDeps,
  groups: ReadonlyMap<string, Group>,
  addBreak: (b: Break) => void,
): Promise<PayoutCheck[]> {
  const checks: PayoutCheck[] = [];
  for (const [key, g] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (key.startsWith('day-')) continue;
    const stated = g.stated ?? (deps.payoutTotal ? await deps.payoutTotal(key) : undefined);
    const status = stated === undefined ? 'unverified' : stated === g.net ? 'ok' : 'mismatch';
    checks.push({
      payoutId: key,
      currency: g.currency,
      rows: g.rows,
      net: g.net,
      ...(stated === undefined ? {} : { stated }),
      status,
    });
    if (status === 'mismatch') {
      addBreak({
        id: `payout_mismatch:${key}`,
        class: 'payout_mismatch',
        handling: 'finance',
        detail: `payout ${key} paid ${stated} but its ${g.rows} rows add up to ${g.net} (net, minor units)`,
        payoutId: key,
        expected: { net: String(stated) },
        actual: { net: g.net.toString(), rows: String(g.rows) },
      });
    }
  }
  return checks;
}

export type { BreakClass };
