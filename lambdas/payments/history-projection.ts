/**
 * An order's history, appended from the payments table's stream (its consumer, publish-domain-events), off the
 * write path: each move writes only the order item, carrying the move as `last_transition`; the committed
 * change whose version is new appends that entry as the history item (order, version). The Put is conditioned
 * on the item not existing, so a replayed record is a no-op, and records of different versions, in whatever
 * order they come, write different items. History lags the order by the stream's delay (about a second).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemChange } from '../events/derive';
import { MalformedChangeError } from '../events/errors';
import { historyKey, orderIdOfKey } from './keys';
import type { OrderHistoryEntry } from './model';

export interface HistoryProjectionContext {
  readonly db: DynamoDBDocumentClient;
  readonly tables: { readonly payments: string };
}

/** The history entry a committed change of an order item appends, if any (pure: no I/O). */
export function historyEntryOfChange(
  change: ItemChange,
): { orderId: string; entry: OrderHistoryEntry } | undefined {
  const after = change.newImage;
  const orderId = orderIdOfKey(change);
  if (change.eventName === 'REMOVE' || !after || orderId === undefined) return undefined;
  // Writes that keep the version (a PSP id attached, a deadline pushed, a decline noted) are not moves.
  if (change.eventName === 'MODIFY' && after.version === change.oldImage?.version) return undefined;
  const entry = after.last_transition as OrderHistoryEntry | undefined;
  // An order written before moves carried themselves wrote its history in the same transaction.
  if (entry === undefined || entry.version !== after.version) return undefined;
  if (
    typeof entry.to !== 'string' ||
    typeof entry.at !== 'string' ||
    typeof entry.actor !== 'string' ||
    typeof entry.reason !== 'string'
  )
    throw new MalformedChangeError(`${change.pk}: last_transition is malformed`, {
      pk: change.pk,
      sk: change.sk,
      sequenceNumber: change.sequenceNumber,
    });
  return {
    orderId,
    entry: {
      version: entry.version,
      from: entry.from ?? null,
      to: entry.to,
      at: entry.at,
      actor: entry.actor,
      reason: entry.reason,
    },
  };
}

/** Appends the history entry of a committed change, once per (order, version). Answers whether it wrote. */
export async function projectOrderHistory(
  ctx: HistoryProjectionContext,
  change: ItemChange,
): Promise<boolean> {
  const found = historyEntryOfChange(change);
  if (!found) return false;
  try {
    await ctx.db.send(
      new PutCommand({
        TableName: ctx.tables.payments,
        Item: { ...historyKey(found.orderId, found.entry.version), ...found.entry },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    // Already appended (a replayed record): the entry of a version never changes.
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
