/**
 * Pay-in workflow step: charge one payment order at the PSP (keyed by its id) and record the outcome.
 * A transient PSP failure is thrown as PspTransientError, which the state machine retries with backoff.
 */
import { executeOrder } from '../payments/executor';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { paymentProvider, paymentsContext, paymentTiming, riskProvider } from '../shared/wiring';

async function handle(event: {
  payment_order_id: string;
}): Promise<{ payment_order_id: string; status: string }> {
  const order = await executeOrder(
    paymentsContext(),
    { psp: await paymentProvider(), risk: riskProvider(), timing: paymentTiming() },
    event.payment_order_id,
    'pay-in-workflow',
  );
  logger.info('payment order executed', { payment_order_id: order.payment_order_id, status: order.status });
  return { payment_order_id: order.payment_order_id, status: order.status };
}

export const handler = instrumented(handle);
