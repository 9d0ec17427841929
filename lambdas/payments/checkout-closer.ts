/**
 * The checkout's close, guaranteed: each committed change that moves an order into SUCCESS or FAILED (the
 * payments table's stream, its consumer close-finished-checkouts) asks whether its checkout is done. The paths
 * that move an order close the checkout at once too, but an invocation that dies between the move and the close
 * (a crash, a timeout, a throttle past the SDK's retries) left it open for good: a terminal order is no longer
 * due, so no sweep came back to it. A stream record is retried until its function succeeds, so the last order's
 * move always reaches a close. Replay-safe: the close is conditioned on the checkout not being closed yet.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ItemChange } from '../events/derive';
import { completeCheckoutIfDone } from './checkouts';
import type { PaymentsContext } from './context';
import { checkoutKey, orderIdOfKey } from './keys';
import { isTerminal, type OrderStatus } from './model';

/** The checkout to look at when a change moved an order into a terminal status (pure: no I/O). */
export function checkoutOfEndedOrder(change: ItemChange): string | undefined {
  if (change.eventName === 'REMOVE' || orderIdOfKey(change) === undefined) return undefined;
  // The event source passes only terminal order items (its filter, lib/manifest/index.ts); whether the status
  // has just changed is known only from both images.
  const after = change.newImage;
  const before = change.oldImage;
  if (!after || !isTerminal(after.status as OrderStatus)) return undefined;
  // Later writes of an ended order (refund counters, a dispute) are not its end.
  if (before && isTerminal(before.status as OrderStatus)) return undefined;
  return typeof after.checkout_id === 'string' ? after.checkout_id : undefined;
}

/** Closes the checkout of an order that has just ended, if every order of it is terminal. Answers what it did. */
export async function closeCheckoutOfEndedOrder(
  ctx: PaymentsContext,
  change: ItemChange,
): Promise<'closed' | 'open' | 'already_closed' | 'not_an_end'> {
  const checkoutId = checkoutOfEndedOrder(change);
  if (checkoutId === undefined) return 'not_an_end';
  // Usually the path that moved the order has closed it already: half a read unit says so, and a closed checkout
  // never reopens, so a stale read can only send us on to the consistent one.
  const seen = await ctx.db.send(
    new GetCommand({
      TableName: ctx.tables.payments,
      Key: checkoutKey(checkoutId),
      ProjectionExpression: 'is_payment_done',
    }),
  );
  if (seen.Item?.is_payment_done === true) return 'already_closed';
  const progress = await completeCheckoutIfDone(ctx, checkoutId);
  return progress.done ? 'closed' : 'open';
}
