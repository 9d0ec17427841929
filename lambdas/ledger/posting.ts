/**
 * Posting: one ledger transaction = ONE TransactWriteItems holding the transaction header, its entries, the
 * wallet balances it moves and any items the caller adds (e.g. the payment order's status). All or nothing;
 * a retry of the same transaction id is answered from what was stored, without writing anything.
 *
 * Outcomes of a cancelled TransactWriteItems, in this order:
 *   - the header already exists: same content -> idempotent success (`replayed`), else a conflict error;
 *   - a wallet condition failed -> InsufficientFundsError (a balance would go negative);
 *   - one of the caller's items failed -> CallerConditionFailedError with its index;
 *   - only TransactionConflict / throttling -> retried here with backoff and jitter, a bounded number of
 *     times, then LedgerContentionError (nothing was written; the caller may try again later).
 */
import {
  type AttributeValue,
  type CancellationReason,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { backoffDelay, type LedgerContext, now, retryPolicy } from './context';
import {
  CallerConditionFailedError,
  ConflictingTransactionError,
  InsufficientFundsError,
  InvalidTransactionError,
  LedgerContentionError,
  LedgerIntegrityError,
  TooManyItemsError,
  type WalletBalanceName,
} from './errors';
import { entryItems, readTransaction, type TransactItem, transactionItem } from './items';
import { balanceKey, ItemKind, transactionKey } from './keys';
import {
  type LedgerTransaction,
  type TransactionInput,
  validateTransaction,
  type WalletDelta,
  walletDeltas,
} from './model';

/** DynamoDB's limit on the items of one TransactWriteItems. */
export const MAX_TRANSACT_ITEMS = 100;

export interface PostOptions {
  /**
   * The caller's own writes, committed in the same TransactWriteItems (e.g. the order's status and its
   * wallet_updated / ledger_updated flags, conditioned on the order not being terminal). They must not
   * touch the ledger's or the wallet's items. Set ReturnValuesOnConditionCheckFailure on them to receive
   * the current item in CallerConditionFailedError.
   */
  readonly extraItems?: readonly TransactItem[];
}

export interface PostingResult {
  readonly transaction: LedgerTransaction;
  /** True when the transaction had already been posted with the same content: nothing was written now. */
  readonly replayed: boolean;
}

/** An item added to a posting, with what its failed condition means. */
export interface Guard {
  readonly item: TransactItem;
  readonly onConditionFailed: (current: Record<string, AttributeValue> | undefined) => Error;
}

export async function postTransaction(
  ctx: LedgerContext,
  input: TransactionInput,
  options: PostOptions = {},
): Promise<PostingResult> {
  (options.extraItems ?? []).forEach((item, index) => {
    const write = item.Put ?? item.Update ?? item.Delete;
    // Entries and wallets change only through postings; a caller's write there would bypass every check.
    if (write && (write.TableName === ctx.tables.ledger || write.TableName === ctx.tables.wallets)) {
      throw new InvalidTransactionError(`extra item #${index} writes to the ledger or wallets table`, {
        id: input.id,
        itemIndex: index,
      });
    }
  });
  const guards = (options.extraItems ?? []).map(
    (item, index): Guard => ({
      item,
      onConditionFailed: (current) => new CallerConditionFailedError(index, current),
    }),
  );
  return postGuarded(ctx, input, guards);
}

/** How many TransactWriteItems items posting this transaction takes, before the caller's own. */
export function itemsNeeded(input: TransactionInput): number {
  return 1 + input.entries.length + walletDeltas(input).filter(moves).length;
}

export async function postGuarded(
  ctx: LedgerContext,
  input: TransactionInput,
  guards: readonly Guard[],
): Promise<PostingResult> {
  const hash = validateTransaction(input);
  const total = itemsNeeded(input) + guards.length;
  if (total > MAX_TRANSACT_ITEMS) {
    throw new TooManyItemsError(
      `posting ${input.id} needs ${total} items; a transaction holds ${MAX_TRANSACT_ITEMS}`,
      {
        id: input.id,
        items: total,
      },
    );
  }
  const postedAt = now(ctx).toISOString();
  const wallets = walletDeltas(input).filter(moves);
  const header = transactionItem(input, postedAt, hash);
  const items: TransactItem[] = [
    {
      Put: {
        TableName: ctx.tables.ledger,
        Item: header,
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    ...entryItems(input, postedAt).map(
      (Item): TransactItem => ({
        Put: { TableName: ctx.tables.ledger, Item, ConditionExpression: 'attribute_not_exists(pk)' },
      }),
    ),
    ...wallets.map((delta) => walletUpdate(ctx, delta, input.id, postedAt)),
    ...guards.map((g) => g.item),
  ];
  const firstWallet = 1 + input.entries.length;
  const firstGuard = firstWallet + wallets.length;

  const policy = retryPolicy(ctx);
  for (let attempt = 1; ; attempt++) {
    let retryable: unknown;
    try {
      const output = await ctx.db.send(
        new TransactWriteCommand({
          TransactItems: items,
          ...(ctx.onConsumedCapacity ? { ReturnConsumedCapacity: 'TOTAL' as const } : {}),
        }),
      );
      if (ctx.onConsumedCapacity) ctx.onConsumedCapacity(output.ConsumedCapacity ?? []);
      // Read back through the storage mapping, so a later replay answers with an identical value.
      return { transaction: readTransaction(header), replayed: false };
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
        if (failed >= 0) {
          const replay = await storedReplay(ctx, input.id, hash);
          if (replay) return replay;
          throw conditionFailure(error, input.id, { wallets, guards, firstWallet, firstGuard });
        }
        if (!reasons.some((r) => RETRYABLE_REASONS.has(r.Code ?? ''))) throw error;
        retryable = error;
      } else if (isRetryableError(error)) {
        // Includes an answer lost after DynamoDB committed: the retry then finds the header and replays.
        retryable = error;
      } else {
        throw error;
      }
    }
    if (attempt >= policy.maxAttempts) {
      throw new LedgerContentionError(
        `posting ${input.id} gave up after ${attempt} attempts`,
        { id: input.id, attempts: attempt },
        { cause: retryable },
      );
    }
    await sleep(backoffDelay(attempt, policy));
  }
}

/** Why a posting whose transaction was not already stored failed a condition, as a domain error. */
function conditionFailure(
  error: TransactionCanceledException,
  txId: string,
  layout: {
    wallets: readonly WalletDelta[];
    guards: readonly Guard[];
    firstWallet: number;
    firstGuard: number;
  },
): Error {
  const reasons = error.CancellationReasons ?? [];
  const failedAt = (from: number, to: number) =>
    reasons.findIndex((r, i) => i >= from && i < to && r.Code === 'ConditionalCheckFailed');
  if (failedAt(0, 1) >= 0) {
    return new LedgerIntegrityError(
      `header of ${txId} exists but cannot be read`,
      { txId },
      { cause: error },
    );
  }
  const entry = failedAt(1, layout.firstWallet);
  if (entry >= 0) {
    return new LedgerIntegrityError(
      `entry #${entry - 1} of ${txId} already exists`,
      { txId },
      { cause: error },
    );
  }
  // A failed precondition (the order is terminal, the hold is settled) explains a wallet shortfall that
  // follows from it, so it is reported first.
  const guardAt = failedAt(layout.firstGuard, reasons.length);
  const guard = layout.guards[guardAt - layout.firstGuard];
  if (guardAt >= 0 && guard) return guard.onConditionFailed(reasons[guardAt]?.Item);
  const walletAt = failedAt(layout.firstWallet, layout.firstGuard);
  const wallet = layout.wallets[walletAt - layout.firstWallet];
  if (walletAt >= 0 && wallet) return insufficientFunds(wallet, reasons[walletAt]);
  return error;
}

const RETRYABLE_REASONS: ReadonlySet<string> = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

function isRetryableError(error: unknown): boolean {
  return (
    error instanceof TransactionConflictException ||
    error instanceof TransactionInProgressException ||
    error instanceof ProvisionedThroughputExceededException ||
    error instanceof ThrottlingException ||
    error instanceof RequestLimitExceeded ||
    error instanceof InternalServerError
  );
}

function moves(delta: WalletDelta): boolean {
  return (
    delta.available !== 0n ||
    delta.reserved !== 0n ||
    delta.paidOut !== 0n ||
    delta.receivable !== 0n ||
    delta.disputeHeld !== 0n
  );
}

const BALANCES: readonly { name: WalletBalanceName; of: (d: WalletDelta) => bigint }[] = [
  { name: 'available', of: (d) => d.available },
  { name: 'reserved', of: (d) => d.reserved },
  { name: 'paid_out', of: (d) => d.paidOut },
  { name: 'receivable', of: (d) => d.receivable },
  { name: 'dispute_held', of: (d) => d.disputeHeld },
];

/**
 * ADD keeps concurrent postings to one wallet from overwriting each other; a decrease is conditioned on the
 * balance covering it, so no balance can ever go below zero (a missing item or attribute fails the check).
 */
function walletUpdate(ctx: LedgerContext, delta: WalletDelta, txId: string, postedAt: string): TransactItem {
  const conditions: string[] = [];
  const values: Record<string, unknown> = {
    ':available': delta.available,
    ':reserved': delta.reserved,
    ':paid_out': delta.paidOut,
    ':receivable': delta.receivable,
    ':dispute_held': delta.disputeHeld,
    ':kind': ItemKind.Balance,
    ':seller': delta.sellerId,
    ':currency': delta.currency,
    ':tx': txId,
    ':at': postedAt,
  };
  for (const { name, of } of BALANCES) {
    if (of(delta) < 0n) {
      conditions.push(`${name} >= :need_${name}`);
      values[`:need_${name}`] = -of(delta);
    }
  }
  return {
    Update: {
      TableName: ctx.tables.wallets,
      Key: balanceKey(delta.sellerId, delta.currency),
      UpdateExpression:
        'ADD available :available, reserved :reserved, paid_out :paid_out, ' +
        'receivable :receivable, dispute_held :dispute_held ' +
        'SET kind = :kind, seller_id = :seller, currency = :currency, last_tx_id = :tx, updated_at = :at',
      ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

function insufficientFunds(
  delta: WalletDelta,
  reason: CancellationReason | undefined,
): InsufficientFundsError {
  const current = (name: string) => {
    const value = reason?.Item?.[name]?.N;
    return value === undefined ? 0n : BigInt(value);
  };
  const short =
    BALANCES.find(({ name, of }) => of(delta) < 0n && current(name) < -of(delta)) ??
    BALANCES.find(({ of }) => of(delta) < 0n);
  const name = short?.name ?? 'available';
  const need = short ? -short.of(delta) : 0n;
  return new InsufficientFundsError(delta.sellerId, delta.currency, name, need, current(name));
}

async function storedReplay(
  ctx: LedgerContext,
  txId: string,
  hash: string,
): Promise<PostingResult | undefined> {
  const stored = await readTransactionById(ctx, txId);
  if (!stored) return undefined;
  if (stored.contentHash !== hash) throw new ConflictingTransactionError(txId);
  return { transaction: stored, replayed: true };
}

export async function readTransactionById(
  ctx: LedgerContext,
  txId: string,
): Promise<LedgerTransaction | undefined> {
  const { Item } = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.ledger, Key: transactionKey(txId), ConsistentRead: true }),
  );
  return Item ? readTransaction(Item) : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
