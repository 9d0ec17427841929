/**
 * Refund records and each order's refund counter, in the `payments` table (see keys.ts). A refund's record,
 * its order pointer, the counter and its `refund:{id}:requested` ledger posting are written in ONE
 * TransactWriteItems, before the PSP is called; each later status change is one TransactWriteItems too: the
 * record (conditioned on the status and version we read), its posting, and for a failure the counter given
 * back. So wallet, ledger, record and counter never disagree, and a replay is a no-op.
 *
 * The counter is the guard against refunding more than was captured, even under concurrent requests: each
 * refund ADDs its amount under the condition that the total stays within what was captured, so two refunds
 * can never both take the same remaining amount; the loser is refused (or, asking for "the rest", retries
 * with what remains now).
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AttentionSink } from '../attention/model';
import {
  CallerConditionFailedError,
  type LedgerContext,
  postTransaction,
  type TransactItem,
} from '../ledger';
import {
  postAdaptive,
  type RefundShares,
  refundRequestedTransaction,
  refundReversedTransaction,
  refundSucceededTransaction,
  refundTransactionIds,
} from '../ledger/money-back';
import { readTransactionById } from '../ledger/posting';
import { basisPointsOf, money } from '../money';
import type { PaymentOrder } from '../payments/model';
import type { MoneyBackPolicy } from './config';
import { RefundError } from './errors';
import { orderRefundKey, refundCounterKey, refundDueKey, refundKey } from './keys';
import type { RefundMetric } from './metrics';
import { canMoveRefund, type RefundOrigin, type RefundRecord, type RefundStatus } from './model';

export interface MoneyBackContext {
  readonly db: DynamoDBDocumentClient;
  readonly tables: {
    readonly payments: string;
    readonly ledger: string;
    readonly wallets: string;
    /** Granted to functions that reverse a paid-out seller's transfer (read only; reversals.ts). */
    readonly payouts?: string;
  };
  readonly policy: MoneyBackPolicy;
  /** Where what needs a person is recorded (lambdas/attention); omitted: only logged. */
  readonly attention?: AttentionSink;
  /** Where refund metrics go (reversals, refunds needing a person); omitted: none. */
  readonly metrics?: { count(name: RefundMetric, value?: number): void };
  /** The commission rate of orders that carry none (older orders), basis points. */
  readonly commissionBps?: number;
  readonly clock?: () => Date;
}

const MAX_ATTEMPTS = 30;
const nowIso = (ctx: MoneyBackContext) => (ctx.clock ? ctx.clock() : new Date()).toISOString();

export function ledgerOf(ctx: MoneyBackContext): LedgerContext {
  return {
    db: ctx.db,
    tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets },
    ...(ctx.clock ? { clock: ctx.clock } : {}),
  };
}

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, kind: _kind, ...rest } = item;
  return rest as T;
}

export async function getRefund(ctx: MoneyBackContext, refundId: string): Promise<RefundRecord | undefined> {
  const { Item } = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payments, Key: refundKey(refundId), ConsistentRead: true }),
  );
  return Item ? strip<RefundRecord>(Item) : undefined;
}

/** Ids of an order's refunds (pointers) or disputes, oldest first. */
export async function orderChildren(ctx: MoneyBackContext, orderId: string, prefix: 'REFUND#' | 'DISPUTE#') {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.tables.payments,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': `ORDER#${orderId}`, ':p': prefix },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item.sk).slice(prefix.length));
    start = page.LastEvaluatedKey;
  } while (start);
  return ids;
}

export async function orderRefunds(ctx: MoneyBackContext, orderId: string): Promise<RefundRecord[]> {
  const ids = await orderChildren(ctx, orderId, 'REFUND#');
  const found = await Promise.all(ids.map((id) => getRefund(ctx, id)));
  return found
    .filter((r): r is RefundRecord => r !== undefined)
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
}

export interface RefundCounter {
  readonly captured: bigint;
  readonly refunded: bigint;
  readonly commissionReturned: bigint;
  readonly version: number | undefined;
}

export async function refundCounter(ctx: MoneyBackContext, order: PaymentOrder): Promise<RefundCounter> {
  const { Item } = await ctx.db.send(
    new GetCommand({
      TableName: ctx.tables.payments,
      Key: refundCounterKey(order.payment_order_id),
      ConsistentRead: true,
    }),
  );
  return {
    captured: BigInt(order.amount_minor),
    refunded: BigInt(Item?.refunded_minor ?? 0),
    commissionReturned: BigInt(Item?.commission_returned_minor ?? 0),
    version: Item ? Number(Item.version) : undefined,
  };
}

/** The platform's commission on the order, as fixed when the buyer checked out (as the pay-in posted it). */
export function orderCommission(ctx: MoneyBackContext, order: PaymentOrder): bigint {
  const gross = money(order.currency, order.amount_minor);
  return basisPointsOf(gross, order.commission_bps ?? ctx.commissionBps ?? 0, 'half_up').minor;
}

/**
 * Who bears a refund of `amount`. The commission comes back in proportion to the amount refunded, rounded
 * down: partial refunds never give back more than the commission in total (the platform keeps at most one
 * minor unit per partial refund of rounding). Proportional to this refund alone, so concurrent refunds need
 * not read each other.
 */
export function refundShares(
  policy: MoneyBackPolicy,
  commission: bigint,
  captured: bigint,
  amount: bigint,
): { seller: bigint; commission: bigint; platform: bigint } {
  if (policy.refundBorneBy === 'platform') return { seller: 0n, commission: 0n, platform: amount };
  let share = 0n;
  if (policy.commissionOnRefund === 'returned' && captured > 0n) {
    share = amount >= captured ? commission : (commission * amount) / captured;
    if (share > amount) share = amount;
  }
  return { seller: amount - share, commission: share, platform: 0n };
}

export function sharesOf(record: RefundRecord): RefundShares {
  const c = record.currency;
  return {
    refundId: record.refund_id,
    paymentOrderId: record.payment_order_id,
    sellerId: record.seller_account,
    amount: money(c, record.amount_minor),
    seller: money(c, record.seller_minor),
    commission: money(c, record.commission_minor),
    platform: money(c, record.platform_minor),
  };
}

export interface NewRefund {
  readonly refundId: string;
  readonly order: PaymentOrder;
  readonly buyerId?: string;
  /** Absent: what remains to refund. */
  readonly amountMinor?: bigint;
  readonly reason?: string;
  readonly origin: RefundOrigin;
  /** Refunds made elsewhere: their PSP id and the status they had when we first saw them. */
  readonly pspRefundId?: string;
  /**
   * Ours refuse what exceeds the remainder; a refund the PSP already made is a fact and is recorded even if
   * our pending requests momentarily overlap it (those will be refused by the PSP and given back).
   */
  readonly enforceLimit: boolean;
}

/** Records a refund and posts `requested`, atomically. Answers the stored record if it already exists. */
export async function createRefund(ctx: MoneyBackContext, input: NewRefund): Promise<RefundRecord> {
  const { order } = input;
  const commission = orderCommission(ctx, order);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const existing = await getRefund(ctx, input.refundId);
    if (existing) return existing;
    const counter = await refundCounter(ctx, order);
    const remaining = counter.captured - counter.refunded;
    const amount = input.amountMinor ?? (remaining > 0n ? remaining : 0n);
    if (input.enforceLimit) {
      if (remaining <= 0n) {
        throw new RefundError(
          'already_refunded',
          `payment order ${order.payment_order_id} is fully refunded`,
          {
            payment_order_id: order.payment_order_id,
          },
        );
      }
      if (amount > remaining) {
        throw new RefundError('amount_exceeds_refundable', 'the amount exceeds what remains to refund', {
          payment_order_id: order.payment_order_id,
          refundable_minor: remaining.toString(),
        });
      }
    }
    if (amount <= 0n) throw new RefundError('amount_exceeds_refundable', 'nothing to refund');
    const shares = refundShares(ctx.policy, commission, counter.captured, amount);
    const at = nowIso(ctx);
    const record: RefundRecord = {
      refund_id: input.refundId,
      payment_order_id: order.payment_order_id,
      seller_account: order.seller_account,
      ...(input.buyerId ? { buyer_id: input.buyerId } : {}),
      currency: order.currency,
      amount_minor: Number(amount),
      seller_minor: Number(shares.seller),
      commission_minor: Number(shares.commission),
      platform_minor: Number(shares.platform),
      status: 'pending',
      origin: input.origin,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.pspRefundId ? { psp_refund_id: input.pspRefundId } : {}),
      version: 1,
      created_at: at,
      updated_at: at,
    };
    // ADD under a condition: concurrent refunds each take their amount only while it fits in what remains,
    // without reading each other (DynamoDB serializes the writes to this one item).
    const counterItem: TransactItem = {
      Update: {
        TableName: ctx.tables.payments,
        Key: refundCounterKey(order.payment_order_id),
        UpdateExpression:
          'SET captured_minor = :captured, currency = :currency, payment_order_id = :order, kind = :kind, ' +
          'updated_at = :at ADD refunded_minor :amount, commission_returned_minor :cr, version :one',
        ...(input.enforceLimit
          ? { ConditionExpression: 'attribute_not_exists(refunded_minor) OR refunded_minor <= :max' }
          : {}),
        ExpressionAttributeValues: {
          ':amount': amount,
          ':cr': shares.commission,
          ':captured': counter.captured,
          ':currency': order.currency,
          ':order': order.payment_order_id,
          ':kind': 'refund_counter',
          ':at': at,
          ':one': 1,
          ...(input.enforceLimit ? { ':max': counter.captured - amount } : {}),
        },
      },
    };
    // Ours are asked of the PSP next: until its answer is known, the sweeper has this refund on its list, so a
    // crash between this write and the PSP's answer is looked up, never forgotten.
    const due: TransactItem[] =
      input.origin === 'api'
        ? [
            {
              Put: {
                TableName: ctx.tables.payments,
                Item: { ...refundDueKey(input.refundId), refund_id: input.refundId, since: at },
              },
            },
          ]
        : [];
    const extraItems: TransactItem[] = [
      {
        Put: {
          TableName: ctx.tables.payments,
          Item: { ...refundKey(input.refundId), kind: 'refund', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: ctx.tables.payments,
          Item: { ...orderRefundKey(order.payment_order_id, input.refundId), kind: 'refund_pointer', at },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      counterItem,
      ...due,
    ];
    try {
      await postAdaptive(
        ledgerOf(ctx),
        refundTransactionIds(input.refundId).requested,
        { sellerId: order.seller_account, currency: order.currency },
        (wallet) => refundRequestedTransaction(sharesOf(record), wallet),
        { extraItems },
      );
      return (await getRefund(ctx, input.refundId)) ?? record;
    } catch (error) {
      if (!(error instanceof CallerConditionFailedError)) throw error;
      // 0/1: the refund exists (answered on the next turn); 2: what remains no longer covers it (said on
      // the next turn, from the counter as it is now).
      if (error.itemIndex === 2 && input.enforceLimit) {
        const now = await refundCounter(ctx, order);
        if (now.captured - now.refunded < amount || input.amountMinor === undefined) continue;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
  }
  throw new RefundError('contention', 'too many concurrent refunds of this order; try again', {
    payment_order_id: order.payment_order_id,
  });
}

export interface RefundChange {
  readonly to: RefundStatus;
  readonly pspRefundId?: string;
  readonly failureReason?: string;
}

/**
 * Moves a refund forward with its posting: succeeded (refunds_pending -> psp_receivable), or failed /
 * canceled (what requested took goes back, the counter too). Answers the record as it is afterwards and
 * whether this call moved it; a status it cannot move to (final, or backwards) changes nothing.
 */
export async function moveRefund(
  ctx: MoneyBackContext,
  refundId: string,
  change: RefundChange,
): Promise<{ record: RefundRecord; changed: boolean }> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const record = await getRefund(ctx, refundId);
    if (!record) throw new RefundError('not_found', `refund ${refundId} not found`, { refund_id: refundId });
    if (!canMoveRefund(record.status, change.to)) {
      if (change.pspRefundId && !record.psp_refund_id) {
        return {
          record: await setRefundFields(ctx, record, { psp_refund_id: change.pspRefundId }),
          changed: false,
        };
      }
      return { record, changed: false };
    }
    const at = nowIso(ctx);
    const set: Record<string, unknown> = {
      ':to': change.to,
      ':from': record.status,
      ':v': record.version,
      ':at': at,
      ':one': 1,
    };
    let expression = 'SET #status = :to, updated_at = :at';
    if (change.pspRefundId) {
      expression += ', psp_refund_id = :psp';
      set[':psp'] = change.pspRefundId;
    }
    if (change.failureReason) {
      expression += ', failure_reason = :why';
      set[':why'] = change.failureReason;
    }
    const items: TransactItem[] = [
      {
        Update: {
          TableName: ctx.tables.payments,
          Key: refundKey(refundId),
          UpdateExpression: `${expression} REMOVE needs_lookup ADD version :one`,
          ConditionExpression: '#status = :from AND version = :v',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: set,
        },
      },
      { Delete: { TableName: ctx.tables.payments, Key: refundDueKey(refundId) } },
    ];
    const shares = sharesOf(record);
    try {
      if (change.to === 'succeeded') {
        await postTransaction(ledgerOf(ctx), refundSucceededTransaction(shares), { extraItems: items });
      } else {
        items.push({
          Update: {
            TableName: ctx.tables.payments,
            Key: refundCounterKey(record.payment_order_id),
            UpdateExpression: 'ADD refunded_minor :back, commission_returned_minor :cback, version :one',
            ExpressionAttributeValues: {
              ':back': -record.amount_minor,
              ':cback': -record.commission_minor,
              ':one': 1,
            },
          },
        });
        const requested = await readTransactionById(ledgerOf(ctx), refundTransactionIds(refundId).requested);
        if (!requested)
          throw new RefundError('needs_attention', `refund ${refundId} has no requested posting`);
        const hadSucceeded = record.status === 'succeeded';
        await postAdaptive(
          ledgerOf(ctx),
          refundTransactionIds(refundId).reversed,
          { sellerId: record.seller_account, currency: record.currency },
          (wallet) => refundReversedTransaction(shares, requested, hadSucceeded, wallet),
          { extraItems: items },
        );
      }
      const after = await getRefund(ctx, refundId);
      return { record: after ?? record, changed: true };
    } catch (error) {
      if (!(error instanceof CallerConditionFailedError)) throw error;
      // The record moved under us: read it again and decide anew.
    }
  }
  throw new RefundError('contention', `refund ${refundId} kept changing`, { refund_id: refundId });
}

/** Fields that do not change money: the PSP id once known, the lookup flag (and its due pointer). */
export async function setRefundFields(
  ctx: MoneyBackContext,
  record: RefundRecord,
  fields: { psp_refund_id?: string; needs_lookup?: boolean },
): Promise<RefundRecord> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':at': nowIso(ctx), ':one': 1 };
  const sets = ['updated_at = :at'];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  const { Attributes } = await ctx.db.send(
    new UpdateCommand({
      TableName: ctx.tables.payments,
      Key: refundKey(record.refund_id),
      UpdateExpression: `SET ${sets.join(', ')} ADD version :one`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  if (fields.needs_lookup) {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: refundDueKey(record.refund_id),
        UpdateExpression: 'SET refund_id = :id, since = if_not_exists(since, :at)',
        ExpressionAttributeValues: { ':id': record.refund_id, ':at': values[':at'] },
      }),
    );
  } else if (fields.needs_lookup === false) {
    await ctx.db.send(
      new DeleteCommand({ TableName: ctx.tables.payments, Key: refundDueKey(record.refund_id) }),
    );
  }
  return Attributes ? strip<RefundRecord>(Attributes) : record;
}

/** Refunds waiting for a look-up at the PSP (their create answer was ambiguous). */
export async function refundsDue(ctx: MoneyBackContext, shard: number): Promise<string[]> {
  const page = await ctx.db.send(
    new QueryCommand({
      TableName: ctx.tables.payments,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `REFUNDS_DUE#${shard}` },
      Limit: 100,
    }),
  );
  return (page.Items ?? []).map((i) => String(i.refund_id));
}
