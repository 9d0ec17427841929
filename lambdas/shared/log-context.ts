/**
 * The ids of the pay-in on every log line of an invocation: the handler appends them to the logger's keys
 * as soon as it knows them (`instrumented` resets the keys after each invocation, so they never leak into the
 * next one). On Lambda one container runs one invocation at a time, so the keys are the invocation's own.
 */
import { logger } from './logger';

export interface PayInLogIds {
  readonly checkout_id?: string;
  readonly payment_order_id?: string;
  /** For a line about a whole checkout (risk, finalize): all its orders. */
  readonly payment_order_ids?: readonly string[];
}

export function logPayInIds(ids: PayInLogIds): void {
  const keys: Record<string, string | string[]> = {};
  if (ids.checkout_id) keys.checkout_id = ids.checkout_id;
  if (ids.payment_order_id) keys.payment_order_id = ids.payment_order_id;
  if (ids.payment_order_ids?.length) keys.payment_order_ids = [...ids.payment_order_ids];
  if (Object.keys(keys).length > 0) logger.appendKeys(keys);
}
