/**
 * Our side, read in bulk: payment orders, checkouts, refunds, disputes (payments table), payouts (payouts
 * table) and ledger transaction headers by id with BatchGetItem (100 keys a call, several calls in flight),
 * and what we posted during a day from the ledger's platform accounts (one query per shard over the day's key
 * range): the pay-ins captured, the refunds requested, the disputes' withdrawals and reinstatements, the
 * transfer reversals. Never one call per settlement row.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AccountId, type LedgerTransaction, PLATFORM_SHARDS, payInTransactionId } from '../ledger';
import { readTransaction } from '../ledger/items';
import { accountPartition, transactionKey } from '../ledger/keys';
import { checkoutKey, orderKey } from '../payments/keys';
import type { Checkout, PaymentOrder } from '../payments/model';
import type { Payout } from '../payouts/model';
import { disputeKey, refundKey } from '../refunds/keys';
import type { DisputeRecord, RefundRecord } from '../refunds/model';

export interface RecordTables {
  readonly payments: string;
  readonly ledger: string;
  /** The payouts table (sellers' payouts): transfer rows are matched against it. */
  readonly payouts?: string;
}

const BATCH_GET_KEYS = 100;
const MAX_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/** Only what matching reads: a smaller answer per key (DynamoDB bills by the item read, the wire does not). */
const ORDER_PROJECTION = {
  ProjectionExpression: 'payment_order_id, checkout_id, amount_minor, currency, #s, psp_reference, #m',
  ExpressionAttributeNames: { '#s': 'status', '#m': 'mode' },
};
const CHECKOUT_PROJECTION = { ProjectionExpression: 'checkout_id, order_ids, total_minor, currency' };

async function batchGet(
  db: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, string>[],
  concurrency: number,
  projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
): Promise<Record<string, unknown>[]> {
  const chunks: Record<string, string>[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) chunks.push(keys.slice(i, i + BATCH_GET_KEYS));
  const found: Record<string, unknown>[] = [];
  await inParallel(chunks, concurrency, async (chunk) => {
    let pending: Record<string, unknown>[] | undefined = chunk;
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`BatchGet on ${table} left ${pending.length} keys unread`);
      // Eventually consistent: the night's file is hours older than the records; repairs re-read strongly.
      const got: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ...projection } } }),
      );
      found.push(...(got.Responses?.[table] ?? []));
      pending = got.UnprocessedKeys?.[table]?.Keys;
      if (pending?.length) await sleep(Math.random() * 25 * 2 ** attempt); // backoff with full jitter
    }
  });
  return found;
}

/** Orders by id, PROJECTED to what matching reads (ORDER_PROJECTION): not whole orders. */
export async function loadOrders(
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  ids: Iterable<string>,
  concurrency = 8,
): Promise<Map<string, PaymentOrder>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const items = await batchGet(db, tables.payments, unique.map(orderKey), concurrency, ORDER_PROJECTION);
  return new Map(items.map((i) => [String(i.payment_order_id), i as unknown as PaymentOrder]));
}

export async function loadCheckouts(
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  ids: Iterable<string>,
  concurrency = 8,
): Promise<Map<string, Checkout>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const items = await batchGet(
    db,
    tables.payments,
    unique.map(checkoutKey),
    concurrency,
    CHECKOUT_PROJECTION,
  );
  return new Map(items.map((i) => [String(i.checkout_id), i as unknown as Checkout]));
}

const REFUND_PROJECTION = {
  ProjectionExpression:
    'refund_id, payment_order_id, seller_account, currency, amount_minor, #s, psp_refund_id, reversal',
  ExpressionAttributeNames: { '#s': 'status' },
};
const DISPUTE_PROJECTION = {
  ProjectionExpression:
    'dispute_id, payment_order_id, seller_account, currency, amount_minor, fee_minor, #s, steps',
  ExpressionAttributeNames: { '#s': 'status' },
};
const PAYOUT_PROJECTION = {
  ProjectionExpression:
    'payout_id, seller_id, currency, amount, #s, provider, provider_reference, bank_payout_id, failure_code',
  ExpressionAttributeNames: { '#s': 'status' },
};
const TX_PROJECTION = {
  ProjectionExpression: 'tx_id, reason, refs, entries, posted_at, content_hash',
};

async function loadById<T>(
  db: DynamoDBDocumentClient,
  table: string | undefined,
  ids: Iterable<string>,
  key: (id: string) => Record<string, string>,
  idOf: (item: Record<string, unknown>) => string,
  projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
  concurrency: number,
): Promise<Map<string, T>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0 || !table) return new Map();
  const items = await batchGet(db, table, unique.map(key), concurrency, projection);
  return new Map(items.map((i) => [idOf(i), i as unknown as T]));
}

/** Refunds by OUR refund id (rf_..., or the PSP's re_... for a refund made in the PSP's dashboard). */
export const loadRefunds = (
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  ids: Iterable<string>,
  concurrency = 8,
) =>
  loadById<RefundRecord>(
    db,
    tables.payments,
    ids,
    refundKey,
    (i) => String(i.refund_id),
    REFUND_PROJECTION,
    concurrency,
  );

/** Disputes by the PSP's dispute id (we record them under it). */
export const loadDisputes = (
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  ids: Iterable<string>,
  concurrency = 8,
) =>
  loadById<DisputeRecord>(
    db,
    tables.payments,
    ids,
    disputeKey,
    (i) => String(i.dispute_id),
    DISPUTE_PROJECTION,
    concurrency,
  );

/** Sellers' payouts by our payout id (a Stripe transfer's transfer_group and metadata.payout_id). */
export const loadPayouts = (
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  ids: Iterable<string>,
  concurrency = 8,
) =>
  loadById<Payout>(
    db,
    tables.payouts,
    ids,
    (id) => ({ pk: `PAYOUT#${id}`, sk: 'PAYOUT' }),
    (i) => String(i.payout_id),
    PAYOUT_PROJECTION,
    concurrency,
  );

/** Ledger transactions by id (their headers hold every entry). */
export async function loadTransactions(
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  ids: Iterable<string>,
  concurrency = 8,
): Promise<Map<string, LedgerTransaction>> {
  const items = await loadById<Record<string, unknown>>(
    db,
    tables.ledger,
    ids,
    transactionKey,
    (i) => String(i.tx_id),
    TX_PROJECTION,
    concurrency,
  );
  return new Map([...items].map(([id, item]) => [id, readTransaction(item as never)]));
}

export interface Posting {
  readonly txId: string;
  readonly postedAt: string;
}

/**
 * The transactions with one of `reasons` that posted to a platform account in [from, to), read shard by
 * shard (a platform account's entries are spread over PLATFORM_SHARDS partitions).
 */
export async function* postingsBetween(
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  account: AccountId,
  reasons: readonly string[],
  from: Date,
  to: Date,
): AsyncGenerator<Posting> {
  const values: Record<string, string> = {};
  reasons.forEach((r, i) => {
    values[`:r${i}`] = r;
  });
  for (let shard = 0; shard < PLATFORM_SHARDS; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: tables.ledger,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          FilterExpression: `reason IN (${Object.keys(values).join(', ')})`,
          ProjectionExpression: 'tx_id, posted_at',
          ExpressionAttributeValues: {
            ':pk': accountPartition(account, shard),
            ':from': `E#${from.toISOString()}`,
            ':to': `E#${to.toISOString()}`,
            ...values,
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? [])
        yield { txId: String(item.tx_id), postedAt: String(item.posted_at) };
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

export interface Capture {
  readonly paymentOrderId: string;
  readonly postedAt: string;
}

const PAYIN_PREFIX = payInTransactionId('');

/**
 * The pay-ins whose capture was posted in [from, to): the psp_receivable debits of `payin_captured`
 * transactions, read shard by shard (the account's entries are spread over PLATFORM_SHARDS partitions).
 */
export async function* capturesBetween(
  db: DynamoDBDocumentClient,
  tables: RecordTables,
  from: Date,
  to: Date,
): AsyncGenerator<Capture> {
  for await (const p of postingsBetween(db, tables, 'psp_receivable', ['payin_captured'], from, to)) {
    if (p.txId.startsWith(PAYIN_PREFIX)) {
      yield { paymentOrderId: p.txId.slice(PAYIN_PREFIX.length), postedAt: p.postedAt };
    }
  }
}
