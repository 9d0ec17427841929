/**
 * The `payouts` table: sellers' payout settings, payouts, their append-only history. Every change is a
 * conditional write on the version we read; a payout's status moves with its ledger posting in ONE
 * TransactWriteItems (the items built here are handed to the hold functions as guards).
 *
 * Keys (generic pk/sk, two sparse indexes):
 *   seller settings  pk = SELLER#{seller}   sk = SETTINGS     gsi1 = SCHEDULED / {seller} when not manual
 *   payout           pk = PAYOUT#{id}       sk = PAYOUT       gsi1 = OPEN / {next_check_at}#{id} while open,
 *                                                            gsi2 = SELLER#{seller} / {created_at}#{id}
 *   history          pk = PAYOUT#{id}       sk = H#{version}
 * Payouts are few (a seller is paid at most daily), so one OPEN partition is far below a partition's limits.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Guard, LedgerContext, TransactItem } from '../ledger';
import { type CurrencyCode, isCurrencyCode } from '../money';
import { PayoutError } from './errors';
import {
  type Destination,
  DestinationStatus,
  isOpen,
  type Payout,
  type PayoutHistoryEntry,
  type PayoutStatus,
  type Schedule,
  type SellerPayoutSettings,
} from './model';

export interface PayoutsContext {
  readonly db: DynamoDBDocumentClient;
  readonly tables: { readonly payouts: string; readonly ledger: string; readonly wallets: string };
  readonly clock?: () => Date;
}

export const nowOf = (ctx: PayoutsContext): Date => (ctx.clock ? ctx.clock() : new Date());

export const ledgerOf = (ctx: PayoutsContext): LedgerContext => ({
  db: ctx.db,
  tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets },
  ...(ctx.clock ? { clock: ctx.clock } : {}),
});

export const OPEN_INDEX = 'gsi1';
export const SELLER_INDEX = 'gsi2';
const OPEN_PARTITION = 'OPEN';
const SCHEDULED_PARTITION = 'SCHEDULED';

const sellerKey = (sellerId: string) => ({ pk: `SELLER#${sellerId}`, sk: 'SETTINGS' });
const payoutKey = (payoutId: string) => ({ pk: `PAYOUT#${payoutId}`, sk: 'PAYOUT' });
const historyKey = (payoutId: string, version: number) => ({
  pk: `PAYOUT#${payoutId}`,
  sk: `H#${String(version).padStart(6, '0')}`,
});

// ------------------------------------------------------------------------------------------- sellers

function readSettings(item: Record<string, unknown>): SellerPayoutSettings {
  const minimums: Partial<Record<CurrencyCode, bigint>> = {};
  for (const [currency, minor] of Object.entries((item.minimums ?? {}) as Record<string, string>)) {
    if (isCurrencyCode(currency)) minimums[currency] = BigInt(minor);
  }
  return {
    sellerId: String(item.seller_id),
    destination: item.destination as Destination,
    destinationStatus: item.destination_status === 'errored' ? 'errored' : 'ok',
    ...(typeof item.destination_error === 'string' ? { destinationError: item.destination_error } : {}),
    schedule: item.schedule as Schedule,
    minimums,
    holdDays: Number(item.hold_days ?? 0),
    paused: item.paused === true,
    version: Number(item.version ?? 0),
    updatedAt: String(item.updated_at),
  };
}

export async function getSeller(
  ctx: PayoutsContext,
  sellerId: string,
): Promise<SellerPayoutSettings | undefined> {
  const { Item } = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payouts, Key: sellerKey(sellerId), ConsistentRead: true }),
  );
  return Item ? readSettings(Item) : undefined;
}

export interface SellerSettingsInput {
  readonly sellerId: string;
  readonly destination: Destination;
  readonly schedule: Schedule;
  readonly minimums: Readonly<Partial<Record<CurrencyCode, bigint>>>;
  readonly holdDays: number;
}

/**
 * Registers or updates a seller's settings. A new destination (or the same one registered again after its
 * bank details were fixed) clears the errored mark: that is how a seller "updates" a destination.
 */
export async function putSeller(
  ctx: PayoutsContext,
  input: SellerSettingsInput,
): Promise<{ settings: SellerPayoutSettings; created: boolean }> {
  const at = nowOf(ctx).toISOString();
  const minimums = Object.fromEntries(
    Object.entries(input.minimums).map(([currency, minor]) => [currency, String(minor)]),
  );
  const { Attributes } = await ctx.db.send(
    new UpdateCommand({
      TableName: ctx.tables.payouts,
      Key: sellerKey(input.sellerId),
      UpdateExpression:
        'SET seller_id = :seller, destination = :destination, destination_status = :ok, schedule = :schedule, ' +
        'minimums = :minimums, hold_days = :hold, updated_at = :at, created_at = if_not_exists(created_at, :at), ' +
        'paused = if_not_exists(paused, :false), version = if_not_exists(version, :zero) + :one' +
        (input.schedule === 'manual'
          ? ' REMOVE gsi1pk, gsi1sk, destination_error'
          : ', gsi1pk = :scheduled, gsi1sk = :seller REMOVE destination_error'),
      ExpressionAttributeValues: {
        ':seller': input.sellerId,
        ':destination': input.destination,
        ':ok': DestinationStatus.Ok,
        ':schedule': input.schedule,
        ':minimums': minimums,
        ':hold': input.holdDays,
        ':at': at,
        ':false': false,
        ':zero': 0,
        ':one': 1,
        ...(input.schedule === 'manual' ? {} : { ':scheduled': SCHEDULED_PARTITION }),
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const settings = readSettings(Attributes ?? {});
  return { settings, created: settings.version === 1 };
}

export async function setPaused(
  ctx: PayoutsContext,
  sellerId: string,
  paused: boolean,
): Promise<SellerPayoutSettings> {
  try {
    const { Attributes } = await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payouts,
        Key: sellerKey(sellerId),
        UpdateExpression: 'SET paused = :paused, updated_at = :at ADD version :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':paused': paused, ':at': nowOf(ctx).toISOString(), ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return readSettings(Attributes ?? {});
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new PayoutError('seller_not_found', `seller ${sellerId} has no payout settings`, {
        seller_account: sellerId,
      });
    }
    throw error;
  }
}

/** Stops payouts to a destination the provider reported broken, until the seller registers it again. */
export async function markDestinationErrored(
  ctx: PayoutsContext,
  sellerId: string,
  account: string,
  code: string,
): Promise<void> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payouts,
        Key: sellerKey(sellerId),
        UpdateExpression:
          'SET destination_status = :errored, destination_error = :code, updated_at = :at ADD version :one',
        // Only the destination that failed: a seller who already moved to another one is not blocked.
        ConditionExpression: 'destination.account = :account',
        ExpressionAttributeValues: {
          ':errored': DestinationStatus.Errored,
          ':code': code,
          ':at': nowOf(ctx).toISOString(),
          ':account': account,
          ':one': 1,
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Sellers on a daily or weekly schedule. */
export async function scheduledSellers(ctx: PayoutsContext): Promise<SellerPayoutSettings[]> {
  return (await wholePartition(ctx, SCHEDULED_PARTITION)).map(readSettings);
}

/** Every item of one partition of the open/scheduled index, all its pages (these partitions hold few). */
async function wholePartition(ctx: PayoutsContext, partition: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.tables.payouts,
        IndexName: OPEN_INDEX,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': partition },
        ExclusiveStartKey: start,
      }),
    );
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** The seller's version bump that serializes payout creation for one seller (optimistic concurrency). */
export function sellerVersionGuard(ctx: PayoutsContext, seller: SellerPayoutSettings): Guard {
  return {
    item: {
      Update: {
        TableName: ctx.tables.payouts,
        Key: sellerKey(seller.sellerId),
        UpdateExpression: 'SET version = :next',
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': seller.version, ':next': seller.version + 1 },
      },
    },
    onConditionFailed: () => new SellerChangedError(seller.sellerId),
  };
}

/** Another payout (or a settings change) of the seller committed since we read: read again and retry. */
export class SellerChangedError extends Error {
  constructor(readonly sellerId: string) {
    super(`seller ${sellerId} changed while a payout was being created`);
    this.name = 'SellerChangedError';
  }
}

// ------------------------------------------------------------------------------------------- payouts

const PAYOUT_FIELDS = [
  'payout_id',
  'seller_id',
  'currency',
  'amount',
  'status',
  'provider',
  'destination_account',
  'origin',
  'created_at',
  'updated_at',
  'hold_expires_at',
  'next_check_at',
  'failed_lookups',
  'provider_reference',
  'bank_payout_id',
  'failure_code',
  'failure_message',
  'task_token',
  'lookups',
  'version',
] as const;

function readPayout(item: Record<string, unknown>): Payout {
  const out: Record<string, unknown> = {};
  for (const field of PAYOUT_FIELDS) if (item[field] !== undefined) out[field] = item[field];
  return out as unknown as Payout;
}

export async function getPayout(ctx: PayoutsContext, payoutId: string): Promise<Payout | undefined> {
  const { Item } = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payouts, Key: payoutKey(payoutId), ConsistentRead: true }),
  );
  return Item ? readPayout(Item) : undefined;
}

export async function requirePayout(ctx: PayoutsContext, payoutId: string): Promise<Payout> {
  const payout = await getPayout(ctx, payoutId);
  if (!payout) throw new PayoutError('not_found', `payout ${payoutId} not found`, { payout_id: payoutId });
  return payout;
}

export async function payoutHistory(ctx: PayoutsContext, payoutId: string): Promise<PayoutHistoryEntry[]> {
  const { Items } = await ctx.db.send(
    new QueryCommand({
      TableName: ctx.tables.payouts,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': payoutKey(payoutId).pk, ':h': 'H#' },
      ConsistentRead: true,
    }),
  );
  return (Items ?? []).map((item) => ({
    at: String(item.at),
    from: (item.from ?? null) as PayoutStatus | null,
    to: item.to as PayoutStatus,
    by: String(item.by),
    ...(item.reason ? { reason: String(item.reason) } : {}),
  }));
}

export interface PayoutPage {
  readonly payouts: readonly Payout[];
  readonly cursor?: string;
}

/** A seller's payouts, newest first (the index is eventually consistent: a payout just made may lag). */
export async function listSellerPayouts(
  ctx: PayoutsContext,
  sellerId: string,
  options: { limit: number; cursor?: string },
): Promise<PayoutPage> {
  let start: Record<string, unknown> | undefined;
  if (options.cursor !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(options.cursor, 'base64url').toString('utf8')) as Record<
        string,
        unknown
      >;
      if (parsed.gsi2pk !== `SELLER#${sellerId}` || typeof parsed.pk !== 'string')
        throw new Error('foreign cursor');
      start = parsed;
    } catch {
      throw new PayoutError('validation_error', 'invalid cursor', { parameter: 'starting_after' });
    }
  }
  const page = await ctx.db.send(
    new QueryCommand({
      TableName: ctx.tables.payouts,
      IndexName: SELLER_INDEX,
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': `SELLER#${sellerId}` },
      ScanIndexForward: false,
      Limit: options.limit,
      ExclusiveStartKey: start,
    }),
  );
  const last = page.LastEvaluatedKey;
  return {
    payouts: (page.Items ?? []).map(readPayout),
    ...(last ? { cursor: Buffer.from(JSON.stringify(last)).toString('base64url') } : {}),
  };
}

/** One page of open payouts due a check, oldest check first, and where the next page starts. */
export interface DuePayoutsPage {
  readonly payouts: Payout[];
  readonly next?: Record<string, unknown>;
}

/** Open payouts whose next check is due (the sweeper's work list), a page at a time. */
export async function duePayouts(
  ctx: PayoutsContext,
  now: Date,
  page: { readonly limit?: number; readonly start?: Record<string, unknown> } = {},
): Promise<DuePayoutsPage> {
  const { Items, LastEvaluatedKey } = await ctx.db.send(
    new QueryCommand({
      TableName: ctx.tables.payouts,
      IndexName: OPEN_INDEX,
      KeyConditionExpression: 'gsi1pk = :p AND gsi1sk <= :now',
      ExpressionAttributeValues: { ':p': OPEN_PARTITION, ':now': `${now.toISOString()}~` },
      Limit: page.limit ?? 100,
      ExclusiveStartKey: page.start,
    }),
  );
  return { payouts: (Items ?? []).map(readPayout), ...(LastEvaluatedKey ? { next: LastEvaluatedKey } : {}) };
}

/** Every open payout (the holds still reserved), oldest check first: few, so one partition's pages. */
export async function openPayouts(ctx: PayoutsContext): Promise<Payout[]> {
  return (await wholePartition(ctx, OPEN_PARTITION)).map(readPayout);
}

function openIndex(status: PayoutStatus, nextCheckAt: string, payoutId: string): Record<string, string> {
  return isOpen(status) ? { gsi1pk: OPEN_PARTITION, gsi1sk: `${nextCheckAt}#${payoutId}` } : {};
}

/** The new payout and its first history entry, as guards of the hold's reservation. */
export function newPayoutGuards(ctx: PayoutsContext, payout: Payout, by: string): Guard[] {
  const item = {
    ...payoutKey(payout.payout_id),
    ...payout,
    ...openIndex(payout.status, payout.next_check_at ?? payout.hold_expires_at, payout.payout_id),
    gsi2pk: `SELLER#${payout.seller_id}`,
    gsi2sk: `${payout.created_at}#${payout.payout_id}`,
  };
  const history: PayoutHistoryEntry = { at: payout.created_at, from: null, to: payout.status, by };
  return [
    {
      item: {
        Put: { TableName: ctx.tables.payouts, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
      },
      onConditionFailed: () => new PayoutExistsError(payout.payout_id),
    },
    {
      item: {
        Put: {
          TableName: ctx.tables.payouts,
          Item: { ...historyKey(payout.payout_id, payout.version), ...history },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      onConditionFailed: () => new PayoutExistsError(payout.payout_id),
    },
  ];
}

export class PayoutExistsError extends Error {
  constructor(readonly payoutId: string) {
    super(`payout ${payoutId} already exists`);
    this.name = 'PayoutExistsError';
  }
}

/** The payout moved since we read it: read again (another run, the webhook or the sweeper got there first). */
export class PayoutChangedError extends Error {
  constructor(readonly payoutId: string) {
    super(`payout ${payoutId} changed concurrently`);
    this.name = 'PayoutChangedError';
  }
}

export interface PayoutChange {
  readonly to: PayoutStatus;
  readonly by: string;
  readonly reason?: string;
  readonly set?: Readonly<Record<string, string | number>>;
  /** When the sweeper should next look at it (open statuses only). */
  readonly nextCheckAt?: string;
}

/** A status change (and history entry) conditioned on the version we read, as ledger guards. */
export function changeGuards(ctx: PayoutsContext, payout: Payout, change: PayoutChange): Guard[] {
  return changeItems(ctx, payout, change).map((item) => ({
    item,
    onConditionFailed: () => new PayoutChangedError(payout.payout_id),
  }));
}

function changeItems(ctx: PayoutsContext, payout: Payout, change: PayoutChange): TransactItem[] {
  const at = nowOf(ctx).toISOString();
  const version = payout.version + 1;
  const values: Record<string, unknown> = {
    ':to': change.to,
    ':at': at,
    ':v': payout.version,
    ':next': version,
  };
  const names: Record<string, string> = { '#status': 'status' };
  const sets = ['#status = :to', 'updated_at = :at', 'version = :next'];
  for (const [i, [field, value]] of Object.entries(change.set ?? {}).entries()) {
    names[`#f${i}`] = field;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = :f${i}`);
  }
  const removes: string[] = [];
  if (isOpen(change.to)) {
    const next = change.nextCheckAt ?? payout.next_check_at ?? payout.hold_expires_at;
    values[':gpk'] = OPEN_PARTITION;
    values[':gsk'] = `${next}#${payout.payout_id}`;
    values[':nca'] = next;
    sets.push('gsi1pk = :gpk', 'gsi1sk = :gsk', 'next_check_at = :nca');
  } else {
    // The task token stays: a workflow still waiting on it is answered after this commits.
    removes.push('gsi1pk', 'gsi1sk', 'next_check_at');
  }
  const history: PayoutHistoryEntry = {
    at,
    from: payout.status,
    to: change.to,
    by: change.by,
    ...(change.reason ? { reason: change.reason } : {}),
  };
  return [
    {
      Update: {
        TableName: ctx.tables.payouts,
        Key: payoutKey(payout.payout_id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'version = :v',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    },
    {
      Put: {
        TableName: ctx.tables.payouts,
        Item: { ...historyKey(payout.payout_id, version), ...history },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

/** A change that moves no money (CREATED -> SUBMITTED): its own small transaction. */
export async function changePayout(
  ctx: PayoutsContext,
  payout: Payout,
  change: PayoutChange,
): Promise<Payout> {
  try {
    await ctx.db.send(new TransactWriteCommand({ TransactItems: changeItems(ctx, payout, change) }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) throw new PayoutChangedError(payout.payout_id);
    throw error;
  }
  return requirePayout(ctx, payout.payout_id);
}

/**
 * Moves the payout's next check (the item and its due-index key) and sets `also` with it, conditioned on the
 * status read and the payout still being due-indexed. Answers the attributes it updated, or undefined when the
 * payout moved meanwhile (it is then left alone).
 */
async function moveNextCheck(
  ctx: PayoutsContext,
  payout: Payout,
  nextCheckAt: string,
  also: { readonly expression: string; readonly values: Record<string, unknown> },
): Promise<Record<string, unknown> | undefined> {
  try {
    const out = await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payouts,
        Key: payoutKey(payout.payout_id),
        UpdateExpression: `SET next_check_at = :n, gsi1sk = :gsk, ${also.expression}`,
        ConditionExpression: '#status = :status AND attribute_exists(gsi1pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':n': nextCheckAt,
          ':gsk': `${nextCheckAt}#${payout.payout_id}`,
          ':status': payout.status,
          ...also.values,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return out.Attributes ?? {};
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * Notes when the sweeper should look again (and how many lookups were made), without a status change or a
 * history entry. A payout that moved meanwhile is left alone.
 */
export async function scheduleCheck(
  ctx: PayoutsContext,
  payout: Payout,
  nextCheckAt: string,
  lookups: number,
): Promise<void> {
  // A lookup that went through ends a run of failed ones (deferAfterFailedLookup).
  await moveNextCheck(ctx, payout, nextCheckAt, {
    expression: 'lookups = :l REMOVE failed_lookups',
    values: { ':l': lookups },
  });
}

/**
 * A lookup that threw: the payout's next check moves back (so one payout that cannot be looked up does not
 * take every sweep's time) and the failures in a row are counted. Answers the count, or undefined when the
 * payout is no longer open in the status read (someone moved it meanwhile).
 */
export async function deferAfterFailedLookup(
  ctx: PayoutsContext,
  payout: Payout,
  nextCheckAt: string,
): Promise<number | undefined> {
  const updated = await moveNextCheck(ctx, payout, nextCheckAt, {
    expression: 'failed_lookups = if_not_exists(failed_lookups, :zero) + :one',
    values: { ':zero': 0, ':one': 1 },
  });
  return updated === undefined ? undefined : Number(updated.failed_lookups ?? 0);
}

/**
 * Stores the workflow's task token while the payout is open. False when it is no longer open: the result is
 * already known and the caller must answer the token itself.
 */
export async function storeTaskToken(ctx: PayoutsContext, payoutId: string, token: string): Promise<boolean> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payouts,
        Key: payoutKey(payoutId),
        UpdateExpression: 'SET task_token = :t',
        ConditionExpression: '#status IN (:created, :submitted)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':t': token, ':created': 'CREATED', ':submitted': 'SUBMITTED' },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * The right to ask the provider for this payout: a conditional write on the payout item (its own attributes,
 * not its version, so a webhook applying a result is never held up by it). Only the holder may look up and
 * then create; the provider's idempotency key alone cannot stop two runs that both looked up "nothing yet"
 * once its 24 h window has passed. The lease outlives any run that holds it (it is longer than the longest
 * function timeout), so a holder that crashed only delays the payout until the lease lapses. False when
 * another run holds it, or the payout is no longer open.
 */
export async function claimPayoutLease(
  ctx: PayoutsContext,
  payoutId: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const now = nowOf(ctx);
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payouts,
        Key: payoutKey(payoutId),
        UpdateExpression: 'SET lease_owner = :owner, lease_until = :until',
        ConditionExpression:
          'attribute_exists(pk) AND #status IN (:created, :submitted) AND ' +
          '(attribute_not_exists(lease_until) OR lease_until <= :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':until': new Date(now.getTime() + leaseMs).toISOString(),
          ':now': now.toISOString(),
          ':created': 'CREATED',
          ':submitted': 'SUBMITTED',
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** Gives the lease back (only our own: a lease that lapsed and was taken by another run is theirs). */
export async function releasePayoutLease(
  ctx: PayoutsContext,
  payoutId: string,
  owner: string,
): Promise<void> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payouts,
        Key: payoutKey(payoutId),
        UpdateExpression: 'REMOVE lease_owner, lease_until',
        ConditionExpression: 'lease_owner = :owner',
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
