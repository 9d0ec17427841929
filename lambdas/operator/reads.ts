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

export async function paymentTimeline(payments: PaymentsContext, ledger: LedgerContext, orderId: string) {
  const order = await getOrder(payments, orderId);
  if (!order) return undefined;
  const [checkout, history, transactions] = await Promise.all([
    getCheckout(payments, order.checkout_id),
    orderHistory(payments, orderId),
    Promise.all(ORDER_TRANSACTION_IDS.map((id) => getTransaction(ledger, id(orderId)))),
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
  timeline.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return {
    payment_order: paymentOrderView(order),
    checkout_id: order.checkout_id,
    history: historyView(history),
    ledger_transactions: posted,
    // Reconciliation is not built yet: when it records a settlement line for the order, it appears here.
    settlement: null,
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

export async function sellerView(ledger: LedgerContext, sellerAccount: string, limit: number) {
  const [balances, payable] = await Promise.all([
    walletBalances(ledger, sellerAccount),
    accountHistory(ledger, Accounts.sellerPayable(sellerAccount), { limit }),
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
    // Pay-outs, refunds and disputes are not built yet; their lists join this view when they land.
    payouts: null,
    refunds: null,
    disputes: null,
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
