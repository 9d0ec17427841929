/**
 * Reads: a transaction by id, a seller's wallet balances, an account's history (newest first, across its
 * shards, with an opaque cursor) and an account's balance computed from its entries. None of these is on
 * the posting path.
 */
import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type CurrencyCode, isCurrencyCode, type Money } from '../money';
import type { LedgerContext } from './context';
import { InvalidCursorError, LedgerIntegrityError } from './errors';
import { minorUnits, readEntry, type StoredEntry } from './items';
import { accountPartition, shardCount, walletPartition } from './keys';
import {
  type AccountId,
  checkKeySafeId,
  checkSellerId,
  type LedgerTransaction,
  normalSign,
  parseAccount,
} from './model';
import { readTransactionById } from './posting';

/** Strongly consistent, so a transaction is visible as soon as its posting returned. */
export async function getTransaction(
  ctx: LedgerContext,
  txId: string,
): Promise<LedgerTransaction | undefined> {
  return readTransactionById(ctx, checkKeySafeId('txId', txId));
}

export interface WalletBalance {
  readonly currency: CurrencyCode;
  readonly available: Money;
  /** Held for pay-outs in flight. */
  readonly reserved: Money;
  readonly paidOut: Money;
  /** What the seller owes the platform (balance of seller_receivable:{seller}), >= 0. */
  readonly receivable: Money;
  /** Funds held for open disputes (balance of dispute_hold:{seller}), >= 0. */
  readonly disputeHeld: Money;
}

/** Every currency the seller has a wallet in, from a strongly consistent read. */
export async function walletBalances(ctx: LedgerContext, sellerId: string): Promise<WalletBalance[]> {
  const balances: WalletBalance[] = [];
  for await (const item of queryAll(ctx, {
    TableName: ctx.tables.wallets,
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bal)',
    ExpressionAttributeValues: { ':pk': walletPartition(checkSellerId(sellerId)), ':bal': 'BAL#' },
    ConsistentRead: true,
  })) {
    const currency = item.currency;
    if (!isCurrencyCode(currency)) throw new LedgerIntegrityError('wallet without a currency', { sellerId });
    balances.push({
      currency,
      available: { currency, minor: minorUnits(item.available) },
      reserved: { currency, minor: minorUnits(item.reserved) },
      paidOut: { currency, minor: minorUnits(item.paid_out) },
      // Wallets written before these balances existed have no attribute: 0.
      receivable: { currency, minor: minorUnits(item.receivable) },
      disputeHeld: { currency, minor: minorUnits(item.dispute_held) },
    });
  }
  return balances;
}

export interface HistoryPage {
  /** Newest first. */
  readonly entries: readonly StoredEntry[];
  /** Pass back to get the next (older) page; absent on the last page. */
  readonly cursor?: string;
}

/**
 * An account's entries, newest first. Platform accounts are spread over shards: each page queries every
 * shard for up to `limit` entries older than the cursor and merges them by sort key (unique per account:
 * it holds the transaction id and the entry index), so pages neither skip nor repeat an entry.
 */
export async function accountHistory(
  ctx: LedgerContext,
  account: AccountId,
  options: { readonly limit?: number; readonly cursor?: string } = {},
): Promise<HistoryPage> {
  parseAccount(account);
  const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
  const before = options.cursor === undefined ? undefined : decodeCursor(options.cursor, account);
  const shards = Array.from({ length: shardCount(account) }, (_, shard) => shard);
  const pages = await Promise.all(
    shards.map((shard) =>
      ctx.db.send(
        new QueryCommand({
          TableName: ctx.tables.ledger,
          KeyConditionExpression: before === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :before',
          ExpressionAttributeValues: {
            ':pk': accountPartition(account, shard),
            ...(before === undefined ? {} : { ':before': before }),
          },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    ),
  );
  const merged = pages
    .flatMap((page) => page.Items ?? [])
    .sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : String(a.sk) > String(b.sk) ? -1 : 0));
  const taken = merged.slice(0, limit);
  const more = merged.length > limit || pages.some((page) => page.LastEvaluatedKey !== undefined);
  const last = taken.at(-1);
  return {
    entries: taken.map(readEntry),
    ...(more && last ? { cursor: encodeCursor(account, String(last.sk)) } : {}),
  };
}

/**
 * An account's balance per currency in its normal direction, summed from all its entries (every shard, every
 * page). Platform accounts keep no materialized balance, by design: this is for reconciliation and reports.
 */
export async function accountBalance(ctx: LedgerContext, account: AccountId): Promise<Money[]> {
  const { kind } = parseAccount(account);
  const totals = new Map<CurrencyCode, bigint>();
  for (let shard = 0; shard < shardCount(account); shard++) {
    for await (const item of queryAll(ctx, {
      TableName: ctx.tables.ledger,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': accountPartition(account, shard) },
      ProjectionExpression: 'currency, amount',
    })) {
      const entry = readEntryAmount(item);
      totals.set(entry.currency, (totals.get(entry.currency) ?? 0n) + entry.minor);
    }
  }
  return [...totals].map(([currency, total]) => ({ currency, minor: normalSign(kind) * total }));
}

async function* queryAll(
  ctx: LedgerContext,
  input: QueryCommandInput,
): AsyncGenerator<Record<string, unknown>> {
  let start: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await ctx.db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}

function readEntryAmount(item: Record<string, unknown>): Money {
  if (!isCurrencyCode(item.currency)) throw new LedgerIntegrityError('entry without a currency');
  return { currency: item.currency, minor: minorUnits(item.amount) };
}

// The cursor is opaque to callers; it names its account so it cannot be replayed against another one.
function encodeCursor(account: AccountId, sk: string): string {
  return Buffer.from(JSON.stringify({ v: 1, a: account, b: sk })).toString('base64url');
}

function decodeCursor(cursor: string, account: AccountId): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'v' in parsed &&
      parsed.v === 1 &&
      'a' in parsed &&
      parsed.a === account &&
      'b' in parsed &&
      typeof parsed.b === 'string' &&
      parsed.b.startsWith('E#')
    ) {
      return parsed.b;
    }
  } catch {
    // Falls through to the error below: a malformed cursor is the caller's mistake, not ours.
  }
  throw new InvalidCursorError('invalid history cursor', { account });
}
