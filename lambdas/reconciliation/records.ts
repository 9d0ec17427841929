/**
 * Our side, read in bulk: payment orders and checkouts by id with BatchGetItem (100 keys a call, several calls
 * in flight), and the pay-ins captured during a day from the ledger's psp_receivable entries (one query per
 * shard over the day's key range). Never one call per settlement row.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { PLATFORM_SHARDS, payInTransactionId } from '../ledger';
import { accountPartition } from '../ledger/keys';
import { checkoutKey, orderKey } from '../payments/keys';
import type { Checkout, PaymentOrder } from '../payments/model';

export interface RecordTables {
  readonly payments: string;
  readonly ledger: string;
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
  for (let shard = 0; shard < PLATFORM_SHARDS; shard++) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({
          TableName: tables.ledger,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          FilterExpression: 'reason = :reason',
          ProjectionExpression: 'tx_id, posted_at',
          ExpressionAttributeValues: {
            ':pk': accountPartition('psp_receivable', shard),
            ':from': `E#${from.toISOString()}`,
            ':to': `E#${to.toISOString()}`,
            ':reason': 'payin_captured',
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const txId = String(item.tx_id);
        if (txId.startsWith(PAYIN_PREFIX)) {
          yield { paymentOrderId: txId.slice(PAYIN_PREFIX.length), postedAt: String(item.posted_at) };
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
}
