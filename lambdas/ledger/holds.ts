/**
 * Pay-out holds, two-phase: reserve moves money from a seller's available to reserved (seller_payable ->
 * payouts_in_transit); then either post (reserved -> paid_out, payouts_in_transit -> platform_cash) once the
 * provider confirms, or void (the reversal of the reserve: reserved -> available). The hold item changes
 * status in the same TransactWriteItems as the posting, conditioned on being `reserved`, so a hold is
 * posted or voided once, never both. Transaction ids derive from the payout id: retries replay.
 * A paid hold the provider later returns is first un-posted (`returnHold`: paid -> reserved, the reversal
 * of payout_paid) and then voided like any other. Callers may add their own items (the payout's status) to
 * each posting, so the status and the money move together.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { isCurrencyCode, isPositive, type Money } from '../money';
import type { LedgerContext } from './context';
import {
  HoldNotFoundError,
  HoldNotPendingError,
  InvalidTransactionError,
  LedgerIntegrityError,
} from './errors';
import { minorUnits, type TransactItem } from './items';
import { holdKey, ItemKind } from './keys';
import { Accounts, checkKeySafeId, checkSellerId, reversalOf, type TransactionInput } from './model';
import { type Guard, type PostingResult, postGuarded } from './posting';

export const HoldStatus = { Reserved: 'reserved', Paid: 'paid', Voided: 'voided' } as const;
export type HoldStatus = (typeof HoldStatus)[keyof typeof HoldStatus];

export interface Hold {
  readonly sellerId: string;
  readonly payoutId: string;
  readonly amount: Money;
  readonly status: HoldStatus;
  readonly reserveTxId: string;
  /** The payout_paid or payout_voided transaction that settled the hold. */
  readonly settledTxId?: string;
}

export interface HoldRef {
  readonly sellerId: string;
  readonly payoutId: string;
}

export const holdTransactionIds = (payoutId: string) => ({
  reserve: `payout:${payoutId}:reserved`,
  post: `payout:${payoutId}:paid`,
  void: `payout:${payoutId}:voided`,
  return: `payout:${payoutId}:returned`,
});

export interface HoldOptions {
  /** The caller's own writes (not to the ledger or wallets tables), committed with the posting. */
  readonly guards?: readonly Guard[];
}

function paidTransaction(ref: HoldRef, amount: Money): TransactionInput {
  const { currency, minor } = amount;
  return {
    id: holdTransactionIds(ref.payoutId).post,
    reason: 'payout_paid',
    refs: { payoutId: ref.payoutId },
    entries: [
      { account: Accounts.payoutsInTransit(ref.sellerId), amount: { currency, minor } },
      { account: Accounts.platformCash, amount: { currency, minor: -minor } },
    ],
  };
}

function reserveTransaction(hold: HoldRef & { amount: Money }): TransactionInput {
  const { minor, currency } = hold.amount;
  return {
    id: holdTransactionIds(hold.payoutId).reserve,
    reason: 'payout_reserved',
    refs: { payoutId: hold.payoutId },
    entries: [
      { account: Accounts.sellerPayable(hold.sellerId), amount: { currency, minor } },
      { account: Accounts.payoutsInTransit(hold.sellerId), amount: { currency, minor: -minor } },
    ],
  };
}

/** Available -> reserved. InsufficientFundsError when available does not cover the amount. */
export async function reserveHold(
  ctx: LedgerContext,
  input: HoldRef & { readonly amount: Money; readonly expiresAt?: string },
  options: HoldOptions = {},
): Promise<PostingResult> {
  checkSellerId(input.sellerId);
  checkKeySafeId('payoutId', input.payoutId);
  if (!isPositive(input.amount)) {
    throw new InvalidTransactionError('a hold is for a positive amount', { payoutId: input.payoutId });
  }
  const tx = reserveTransaction(input);
  const create: Guard = {
    item: {
      Put: {
        TableName: ctx.tables.wallets,
        Item: {
          ...holdKey(input.sellerId, input.payoutId),
          kind: ItemKind.Hold,
          seller_id: input.sellerId,
          payout_id: input.payoutId,
          currency: input.amount.currency,
          amount: input.amount.minor,
          status: HoldStatus.Reserved,
          reserve_tx_id: tx.id,
          ...(input.expiresAt ? { expires_at: input.expiresAt } : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    // The reserve's header did not exist (that would be a replay), yet the hold does: not ours to fix.
    onConditionFailed: () =>
      new LedgerIntegrityError(`hold ${input.payoutId} exists without its reserve transaction`, {
        payoutId: input.payoutId,
      }),
  };
  return postGuarded(ctx, tx, [create, ...(options.guards ?? [])]);
}

/** Reserved -> paid out, when the payout provider confirmed. */
export async function postHold(
  ctx: LedgerContext,
  ref: HoldRef,
  options: HoldOptions = {},
): Promise<PostingResult> {
  const hold = await requireHold(ctx, ref);
  const tx = paidTransaction(ref, hold.amount);
  return postGuarded(ctx, tx, [settle(ctx, ref, HoldStatus.Paid, tx.id), ...(options.guards ?? [])]);
}

/** Reserved -> available, when the payout failed or was cancelled: the reversal of the reserve. */
export async function voidHold(
  ctx: LedgerContext,
  ref: HoldRef,
  options: HoldOptions = {},
): Promise<PostingResult> {
  const hold = await requireHold(ctx, ref);
  const tx = reversalOf(reserveTransaction(hold), holdTransactionIds(ref.payoutId).void);
  return postGuarded(ctx, tx, [settle(ctx, ref, HoldStatus.Voided, tx.id), ...(options.guards ?? [])]);
}

/**
 * Paid -> reserved, when the provider returns a payout it had reported paid: the reversal of payout_paid
 * (paid_out goes down, reserved up). The caller then voids the hold to make the money available again.
 */
export async function returnHold(
  ctx: LedgerContext,
  ref: HoldRef,
  options: HoldOptions = {},
): Promise<PostingResult> {
  const hold = await requireHold(ctx, ref);
  const tx = reversalOf(paidTransaction(ref, hold.amount), holdTransactionIds(ref.payoutId).return);
  const reopen: Guard = {
    item: {
      Update: {
        TableName: ctx.tables.wallets,
        Key: holdKey(ref.sellerId, ref.payoutId),
        UpdateExpression: 'SET #status = :reserved, returned_tx_id = :tx REMOVE settled_tx_id',
        ConditionExpression: '#status = :paid',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':reserved': HoldStatus.Reserved,
          ':tx': tx.id,
          ':paid': HoldStatus.Paid,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    onConditionFailed: (current) => new HoldNotPendingError(ref.payoutId, current?.status?.S),
  };
  return postGuarded(ctx, tx, [reopen, ...(options.guards ?? [])]);
}

export async function getHold(ctx: LedgerContext, ref: HoldRef): Promise<Hold | undefined> {
  const { Item } = await ctx.db.send(
    new GetCommand({
      TableName: ctx.tables.wallets,
      Key: holdKey(checkSellerId(ref.sellerId), checkKeySafeId('payoutId', ref.payoutId)),
      ConsistentRead: true,
    }),
  );
  if (!Item) return undefined;
  const { currency, status } = Item;
  if (!isCurrencyCode(currency) || !Object.values(HoldStatus).includes(status)) {
    throw new LedgerIntegrityError(`hold ${ref.payoutId} is malformed`, { ...ref });
  }
  return {
    ...ref,
    amount: { currency, minor: minorUnits(Item.amount) },
    status,
    reserveTxId: String(Item.reserve_tx_id),
    ...(typeof Item.settled_tx_id === 'string' ? { settledTxId: Item.settled_tx_id } : {}),
  };
}

async function requireHold(ctx: LedgerContext, ref: HoldRef): Promise<Hold> {
  const hold = await getHold(ctx, ref);
  if (!hold) throw new HoldNotFoundError(`no hold for payout ${ref.payoutId}`, { ...ref });
  return hold;
}

function settle(ctx: LedgerContext, ref: HoldRef, status: HoldStatus, txId: string): Guard {
  const item: TransactItem = {
    Update: {
      TableName: ctx.tables.wallets,
      Key: holdKey(ref.sellerId, ref.payoutId),
      UpdateExpression: 'SET #status = :status, settled_tx_id = :tx',
      ConditionExpression: '#status = :reserved',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':tx': txId, ':reserved': HoldStatus.Reserved },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
  return { item, onConditionFailed: (current) => new HoldNotPendingError(ref.payoutId, current?.status?.S) };
}
