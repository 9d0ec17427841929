/**
 * Key design of the `payments` table (pk, sk):
 *   CHECKOUT#{checkout_id}  META          the payment event
 *   ORDER#{order_id}        META          a payment order
 *   ORDER#{order_id}        HIST#{v:06}   its history, one item per transition (append-only)
 * A sparse index (gsi1) holds only orders that are not terminal: gsi1pk = DUE#{shard}, gsi1sk =
 * {deadline}#{order_id}. The shard spreads the index's writes over SWEEP_SHARDS partitions so that no single
 * partition takes every payment's writes; the sweeper reads all shards.
 */
import { createHash } from 'node:crypto';

export const SWEEP_SHARDS = 8;
export const DUE_INDEX = 'gsi1';

export const checkoutKey = (checkoutId: string) => ({ pk: `CHECKOUT#${checkoutId}`, sk: 'META' });
export const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'META' });
/** The order whose current-state item these keys are (not its history), else undefined. */
export const orderIdOfKey = (key: { readonly pk: string; readonly sk: string }): string | undefined =>
  key.pk.startsWith('ORDER#') && key.sk === 'META' ? key.pk.slice('ORDER#'.length) : undefined;
export const historyKey = (orderId: string, version: number) => ({
  pk: `ORDER#${orderId}`,
  sk: `HIST#${String(version).padStart(6, '0')}`,
});

export function dueShard(orderId: string): number {
  return createHash('sha256').update(orderId).digest().readUInt32BE(0) % SWEEP_SHARDS;
}

/** The due-index query of one shard: its orders whose deadline is at or before `now`, oldest first. */
export function dueQuery(shard: number, now: Date) {
  return {
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :now',
    ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':now': `${now.toISOString()}#~` },
  };
}

export function dueIndexKeys(orderId: string, deadline: string): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: `DUE#${dueShard(orderId)}`, gsi1sk: `${deadline}#${orderId}` };
}
