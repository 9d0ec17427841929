/**
 * Pay-in workflow's last step: set is_payment_done if every order is terminal (orders still PENDING are
 * finished later by the webhook or the sweeper, which set it then).
 */
import { completeCheckoutIfDone } from '../payments/checkouts';
import { logPayInIds } from '../shared/log-context';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { ordersContext } from '../shared/wiring';

async function handle(event: {
  checkout_id: string;
}): Promise<{ checkout_id: string; is_payment_done: boolean }> {
  logPayInIds({ checkout_id: event.checkout_id });
  const progress = await completeCheckoutIfDone(ordersContext(), event.checkout_id);
  logPayInIds({ payment_order_ids: progress.checkout.order_ids });
  logger.info('checkout finalized', { checkout_id: event.checkout_id, is_payment_done: progress.done });
  return { checkout_id: event.checkout_id, is_payment_done: progress.done };
}

export const handler = instrumented(handle);
