/**
 * Buyer totals (issue 10 item 7): how much a buyer has paid, per currency, net of refunds and of disputes
 * lost. A projection written OFF the pay-in path, by the payments table's stream consumer (the one that
 * publishes domain events), into the `wallets` table:
 *   BUYER#{buyer_id}   ORDER#{order_id}                 what the buyer paid on the order (its SUCCESS)
 *   BUYER#{buyer_id}   ORDER#{order_id}#REFUND#{id}     a refund of it: its amount while succeeded, else 0
 *   BUYER#{buyer_id}   ORDER#{order_id}#DISPUTE#{id}    a dispute the seller lost: its amount
 * Each line is the latest state of ONE source item (the order, refund or dispute), written with the source's
 * version as a condition (`source_version < :v`): a replayed or out-of-order stream record is a no-op, and a
 * refund that succeeded then failed ends at 0 whatever order its records arrive in. No counter is shared: a
 * buyer's partition takes one write per order, refund or lost dispute, so nothing is hot, and the pay-in's own
 * writes are untouched. GET /v1/buyers/{buyer_id}/totals is one Query over the buyer's partition, summed per
 * currency. The totals lag the pay-in by the stream's delay (about a second): eventually consistent.
 *
 * Disputes: only a LOST one counts (the buyer kept the money through the card network); an inquiry, an open
 * dispute whose funds are withdrawn but may be reinstated, and a won one do not.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemChange } from '../events/derive';
import { MalformedChangeError } from '../events/errors';
import { type CurrencyCode, formatAmount, money, parseCurrency } from '../money';
import { getCheckout, getOrder } from '../payments';
import { buyerOrderKey } from './keys';

export interface BuyerTotalsContext {
  readonly db: DynamoDBDocumentClient;
  /** payments: read (the order's checkout, for its buyer); wallets: where the lines are written. */
  readonly tables: { readonly payments: string; readonly wallets: string };
}

type LineKind = 'paid' | 'refunded' | 'dispute_lost';

interface Line {
  readonly kind: LineKind;
  readonly orderId: string;
  readonly sk: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** The source item's pk and version: the write's condition. */
  readonly source: string;
  readonly version: number;
  readonly buyerId?: string;
}

type Image = Readonly<Record<string, unknown>>;

function str(image: Image, name: string, change: ItemChange): string {
  const value = image[name];
  if (typeof value !== 'string' || value === '')
    throw new MalformedChangeError(`${change.pk}: ${name} is missing`, { pk: change.pk, sk: change.sk });
  return value;
}

function int(image: Image, name: string, change: ItemChange): number {
  const value = image[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new MalformedChangeError(`${change.pk}: ${name} is not a count`, { pk: change.pk, sk: change.sk });
  return value;
}

/** The buyer-totals line a committed change sets, if any (pure: no I/O). */
export function lineOfChange(change: ItemChange): Line | undefined {
  const after = change.newImage;
  if (change.eventName === 'REMOVE' || !after || change.sk !== 'META') return undefined;
  const moved = after.status !== change.oldImage?.status;
  if (change.pk.startsWith('ORDER#')) {
    if (after.status !== 'SUCCESS' || !moved) return undefined;
    const orderId = str(after, 'payment_order_id', change);
    return {
      kind: 'paid',
      orderId,
      sk: `ORDER#${orderId}`,
      amountMinor: int(after, 'amount_minor', change),
      currency: str(after, 'currency', change),
      source: change.pk,
      version: int(after, 'version', change),
    };
  }
  if (change.pk.startsWith('REFUND#')) {
    // pending counts nothing yet; succeeded counts its amount; failed or canceled (even after succeeded) 0.
    if (!moved || after.status === 'pending') return undefined;
    const orderId = str(after, 'payment_order_id', change);
    const buyerId = after.buyer_id;
    return {
      kind: 'refunded',
      orderId,
      sk: `ORDER#${orderId}#REFUND#${str(after, 'refund_id', change)}`,
      amountMinor: after.status === 'succeeded' ? int(after, 'amount_minor', change) : 0,
      currency: str(after, 'currency', change),
      source: change.pk,
      version: int(after, 'version', change),
      ...(typeof buyerId === 'string' && buyerId !== '' ? { buyerId } : {}),
    };
  }
  if (change.pk.startsWith('DISPUTE#')) {
    if (after.status !== 'lost' || !moved) return undefined;
    const orderId = str(after, 'payment_order_id', change);
    return {
      kind: 'dispute_lost',
      orderId,
      sk: `ORDER#${orderId}#DISPUTE#${str(after, 'dispute_id', change)}`,
      amountMinor: int(after, 'amount_minor', change),
      currency: str(after, 'currency', change),
      source: change.pk,
      version: int(after, 'version', change),
    };
  }
  return undefined;
}

async function buyerOfOrder(ctx: BuyerTotalsContext, orderId: string, change: ItemChange): Promise<string> {
  const payments = { db: ctx.db, tables: { payments: ctx.tables.payments, ledger: '', wallets: '' } };
  const order = await getOrder(payments, orderId);
  const checkout = order ? await getCheckout(payments, order.checkout_id) : undefined;
  const buyerId = checkout?.buyer?.buyer_id;
  if (!buyerId) {
    // An order without its checkout cannot be: retried, then left on the stream's on-failure queue.
    throw new MalformedChangeError(`${change.pk}: the buyer of order ${orderId} is not found`, {
      pk: change.pk,
      sk: change.sk,
    });
  }
  return buyerId;
}

/**
 * Writes the line of one committed change of the payments table: `written`, `stale` (a replay or an older
 * record than the one already applied: nothing changes) or `ignored` (not a change buyer totals count).
 */
export async function projectBuyerTotals(
  ctx: BuyerTotalsContext,
  change: ItemChange,
): Promise<'written' | 'stale' | 'ignored'> {
  const line = lineOfChange(change);
  if (!line) return 'ignored';
  const buyerId = line.buyerId ?? (await buyerOfOrder(ctx, line.orderId, change));
  try {
    await ctx.db.send(
      new PutCommand({
        TableName: ctx.tables.wallets,
        Item: {
          pk: buyerOrderKey(buyerId, line.orderId).pk,
          sk: line.sk,
          kind: 'buyer_total',
          line: line.kind,
          buyer_id: buyerId,
          payment_order_id: line.orderId,
          currency: line.currency,
          amount_minor: line.amountMinor,
          source: line.source,
          source_version: line.version,
          updated_at: new Date().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR source_version < :v',
        ExpressionAttributeValues: { ':v': line.version },
      }),
    );
    return 'written';
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return 'stale';
    throw error;
  }
}

export interface BuyerCurrencyTotal {
  readonly currency: CurrencyCode;
  readonly paid: string;
  readonly refunded: string;
  readonly disputes_lost: string;
  /** paid - refunded - disputes_lost. */
  readonly net: string;
  readonly net_minor: number;
  /** Payment orders paid in this currency. */
  readonly orders: number;
}

export interface BuyerTotals {
  readonly buyer_id: string;
  /** One entry per currency the buyer paid in, sorted by currency; empty for a buyer with no payment. */
  readonly totals: readonly BuyerCurrencyTotal[];
}

/** GET /v1/buyers/{buyer_id}/totals: one Query over the buyer's partition (paged), summed per currency. */
export async function buyerTotals(ctx: BuyerTotalsContext, buyerId: string): Promise<BuyerTotals> {
  const sums = new Map<CurrencyCode, Record<LineKind, bigint> & { orders: number }>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.tables.wallets,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': buyerOrderKey(buyerId, '').pk },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.kind !== 'buyer_total') continue;
      const currency = parseCurrency(item.currency);
      const sum = sums.get(currency) ?? { paid: 0n, refunded: 0n, dispute_lost: 0n, orders: 0 };
      const kind = item.line as LineKind;
      if (!(kind in sum)) continue;
      sum[kind] += BigInt(item.amount_minor as number);
      if (kind === 'paid') sum.orders += 1;
      sums.set(currency, sum);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const totals = [...sums.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, s]) => {
      const net = s.paid - s.refunded - s.dispute_lost;
      const fmt = (minor: bigint) => formatAmount(money(currency, minor));
      return {
        currency,
        paid: fmt(s.paid),
        refunded: fmt(s.refunded),
        disputes_lost: fmt(s.dispute_lost),
        net: fmt(net),
        net_minor: Number(net),
        orders: s.orders,
      };
    });
  return { buyer_id: buyerId, totals };
}
