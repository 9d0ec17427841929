/**
 * What the operator reads: a payment order's timeline from the storefront's request to the ledger (and the
 * settlement, once reconciliation records it), recent payment orders, a seller (wallet, ledger entries, and the
 * ledger's balance check), and the webhook inbox. Read-only: nothing here writes.
 *
 * Later money flows plug in without changing this file's callers: a flow that posts ledger transactions for
 * an order adds its transaction-id rule to `ORDER_TRANSACTION_IDS`.
 */
import { type DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { historyView, paymentOrderView } from '../api/views';
import {
  Accounts,
  accountHistory,
  getTransaction,
  type LedgerCheckReport,
  type LedgerContext,
  type LedgerTransaction,
  payInTransactionId,
  verifyLedger,
  walletBalances,
} from '../ledger';
import { formatAmount } from '../money';
import { getCheckout, getOrder, orderHistory, type PaymentsContext } from '../payments';
import { payoutView } from '../payouts/api';
import { getSeller, listSellerPayouts, type PayoutsContext } from '../payouts/store';
import type { ReconStore } from '../reconciliation/store';
import type { DisputeRecord, RefundRecord } from '../refunds/model';
import { disputeView, refundView } from '../refunds/views';
import { orderSettlement } from './reconciliation';

/** Ledger transactions that belong to a payment order, by id rule (pay-in today; refunds etc. add theirs). */
export const ORDER_TRANSACTION_IDS: ((paymentOrderId: string) => string)[] = [payInTransactionId];

export interface TimelineEvent {
  readonly at: string;
  /** request | status | ledger | settlement */
  readonly kind: string;
  readonly title: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

function transactionView(tx: LedgerTransaction) {
  return {
    transaction_id: tx.id,
    reason: tx.reason,
    posted_at: tx.postedAt,
    refs: tx.refs,
    entries: tx.entries.map((e) => ({
      account: e.account,
      amount: formatAmount(e.amount),
      currency: e.amount.currency,
    })),
  };
}

export async function paymentTimeline(
  payments: PaymentsContext,
  ledger: LedgerContext,
  orderId: string,
  recon?: ReconStore,
) {
  const order = await getOrder(payments, orderId);
  if (!order) return undefined;
  const [checkout, history, transactions, settlement] = await Promise.all([
    getCheckout(payments, order.checkout_id),
    orderHistory(payments, orderId),
    Promise.all(ORDER_TRANSACTION_IDS.map((id) => getTransaction(ledger, id(orderId)))),
    recon ? orderSettlement(recon, orderId, order.created_at) : Promise.resolve(null),
  ]);
  const posted = transactions.filter((t): t is LedgerTransaction => t !== undefined).map(transactionView);
  const timeline: TimelineEvent[] = [];
  if (checkout) {
    timeline.push({
      at: checkout.created_at,
      kind: 'request',
      title: `checkout ${checkout.checkout_id} submitted (${checkout.mode}, ${checkout.order_count} orders)`,
      detail: {
        buyer_id: checkout.buyer.buyer_id,
        ...(checkout.risk_decision ? { risk_decision: checkout.risk_decision } : {}),
      },
    });
  }
  for (const h of history) {
    timeline.push({
      at: h.at,
      kind: 'status',
      title: `${h.from ?? '(new)'} -> ${h.to}`,
      detail: { actor: h.actor, reason: h.reason },
    });
  }
  for (const tx of posted) {
    timeline.push({ at: tx.posted_at, kind: 'ledger', title: `ledger ${tx.reason} (${tx.transaction_id})` });
  }
  for (const r of settlement?.reports ?? []) {
    const named = settlement?.breaks.filter((b) => b.day === r.day) ?? [];
    timeline.push({
      at: `${r.day}T23:59:59.999Z`,
      kind: 'settlement',
      title: named.length
        ? `reconciliation ${r.day}: ${named.map((b) => `${b.class} (${b.status})`).join(', ')}`
        : `reconciliation ${r.day}: no break for this order`,
      detail: { report_key: r.report_key },
    });
  }
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    payment_order: paymentOrderView(order),
    checkout_id: order.checkout_id,
    history: historyView(history),
    ledger_transactions: posted,
    // The reconciliation reports of the order's capture day and the settlement window after it (null: none
    // yet), with the breaks that name the order.
    settlement,
    timeline,
  };
}

/** Recent payment orders (a Scan, bounded: an operator's page, never a request path). */
export async function recentOrders(payments: PaymentsContext, limit: number, status?: string) {
  const orders: ReturnType<typeof paymentOrderView>[] = [];
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const page = await payments.db.send(
      new ScanCommand({
        TableName: payments.tables.payments,
        FilterExpression: status
          ? 'begins_with(pk, :order) AND sk = :meta AND #status = :status'
          : 'begins_with(pk, :order) AND sk = :meta',
        ExpressionAttributeValues: {
          ':order': 'ORDER#',
          ':meta': 'META',
          ...(status ? { ':status': status } : {}),
        },
        ...(status ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...order } = item;
      orders.push(paymentOrderView(order as Parameters<typeof paymentOrderView>[0]));
    }
    start = page.LastEvaluatedKey;
    pages++;
  } while (start && pages < 20);
  orders.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  return orders.slice(0, limit);
}

/**
 * A seller's refunds and disputes: a bounded Scan of the payments table for their records (they carry the
 * seller but no index by seller; an operator page, never a request path), newest first.
 */
export async function sellerMoneyBack(payments: PaymentsContext, sellerAccount: string, limit: number) {
  const refunds: RefundRecord[] = [];
  const disputes: DisputeRecord[] = [];
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const page = await payments.db.send(
      new ScanCommand({
        TableName: payments.tables.payments,
        FilterExpression:
          '(begins_with(pk, :refund) OR begins_with(pk, :dispute)) AND sk = :meta AND seller_account = :seller',
        ExpressionAttributeValues: {
          ':refund': 'REFUND#',
          ':dispute': 'DISPUTE#',
          ':meta': 'META',
          ':seller': sellerAccount,
        },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk, sk: _sk, kind: _kind, ...rest } = item;
      if (String(pk).startsWith('REFUND#')) refunds.push(rest as RefundRecord);
      else disputes.push(rest as DisputeRecord);
    }
    start = page.LastEvaluatedKey;
    pages++;
  } while (start && pages < 20);
  const newest = (a: { created_at: string }, b: { created_at: string }) =>
    b.created_at.localeCompare(a.created_at);
  return {
    refunds: refunds.sort(newest).slice(0, limit).map(refundView),
    disputes: disputes.sort(newest).slice(0, limit).map(disputeView),
  };
}

/** A seller's payout settings (paused or not, destination) and payouts, newest first, failures with reasons. */
export async function sellerPayouts(ctx: PayoutsContext, sellerAccount: string, limit: number) {
  const [settings, page] = await Promise.all([
    getSeller(ctx, sellerAccount),
    listSellerPayouts(ctx, sellerAccount, { limit }),
  ]);
  return {
    payout_settings: settings
      ? {
          paused: settings.paused,
          schedule: settings.schedule,
          destination: settings.destination.account,
          destination_status: settings.destinationStatus,
          ...(settings.destinationError ? { destination_error: settings.destinationError } : {}),
          updated_at: settings.updatedAt,
        }
      : null,
    payouts: page.payouts.map((p) => payoutView(p)),
  };
}

export interface SellerExtras {
  readonly payouts?: PayoutsContext;
  readonly payments?: PaymentsContext;
}

export async function sellerView(
  ledger: LedgerContext,
  sellerAccount: string,
  limit: number,
  extras: SellerExtras = {},
) {
  const [balances, payable, payouts, moneyBack] = await Promise.all([
    walletBalances(ledger, sellerAccount),
    accountHistory(ledger, Accounts.sellerPayable(sellerAccount), { limit }),
    extras.payouts ? sellerPayouts(extras.payouts, sellerAccount, limit) : undefined,
    extras.payments ? sellerMoneyBack(extras.payments, sellerAccount, limit) : undefined,
  ]);
  return {
    seller_account: sellerAccount,
    balances: balances.map((b) => ({
      currency: b.currency,
      available: formatAmount(b.available),
      reserved: formatAmount(b.reserved),
      paid_out: formatAmount(b.paidOut),
    })),
    ledger_entries: payable.entries.map((e) => ({
      transaction_id: e.txId,
      index: e.index,
      account: e.account,
      amount: formatAmount(e.amount),
      currency: e.amount.currency,
      reason: e.reason,
      posted_at: e.postedAt,
    })),
    ...(payable.cursor ? { next_cursor: payable.cursor } : {}),
    payout_settings: payouts?.payout_settings ?? null,
    payouts: payouts?.payouts ?? [],
    refunds: moneyBack?.refunds ?? [],
    disputes: moneyBack?.disputes ?? [],
  };
}

/** The full-ledger check (a Scan of the ledger and the wallets): on an operator's request only. */
export async function ledgerCheck(ledger: LedgerContext, sellerAccount?: string) {
  const report: LedgerCheckReport = await verifyLedger(ledger);
  const problems = sellerAccount
    ? report.problems.filter((p) => p.includes(sellerAccount))
    : [...report.problems];
  return {
    ok: problems.length === 0,
    ...(sellerAccount ? { seller_account: sellerAccount } : {}),
    problems,
    transactions: report.transactions,
    entries: report.entries,
    wallets: report.wallets,
    totals: Object.fromEntries(Object.entries(report.totals).map(([c, v]) => [c, v.toString()])),
  };
}

export interface InboxReadContext {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
}

function eventView(item: Record<string, unknown>, withPayload: boolean): Record<string, unknown> {
  const { pk: _pk, payload, expires_at: _ttl, ...rest } = item;
  return { ...rest, ...(withPayload && typeof payload === 'string' ? { payload: JSON.parse(payload) } : {}) };
}

export async function webhookEvent(ctx: InboxReadContext, eventId: string) {
  const got = await ctx.db.send(new GetCommand({ TableName: ctx.table, Key: { pk: `EVENT#${eventId}` } }));
  return got.Item ? eventView(got.Item, true) : undefined;
}

/** Recent inbox events, newest first (a bounded Scan). */
export async function recentWebhookEvents(ctx: InboxReadContext, limit: number) {
  const events: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const page = await ctx.db.send(new ScanCommand({ TableName: ctx.table, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) events.push(eventView(item, false));
    start = page.LastEvaluatedKey;
    pages++;
  } while (start && pages < 20);
  events.sort((a, b) => String(b.received_at ?? '').localeCompare(String(a.received_at ?? '')));
  return events.slice(0, limit);
}
