/**
 * Pay-in workflow step: charge one payment order at the PSP (keyed by its id) and record the outcome.
 * ONE attempt per invocation: a transient PSP failure is thrown as PspTransientError, which the state machine
 * (the one layer that owns retries) retries with backoff, or as PspInFlightError (our timeout, a key in use),
 * which it retries only after the slow request can have finished; the Stripe client makes no retries of its own
 * (lambdas/shared/charging.ts). While the PSP's circuit is open the order waits for the sweeper instead.
 */
import { executeOrder } from '../payments/executor';
import { chargingProvider, pspCircuit } from '../shared/charging';
import { logPayInIds } from '../shared/log-context';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { paymentsContext, paymentTiming, riskProvider } from '../shared/wiring';

async function handle(event: {
  payment_order_id: string;
  checkout_id?: string;
}): Promise<{ payment_order_id: string; status: string }> {
  // The workflow passes both ids, so even the first line of this invocation carries them.
  logPayInIds({ checkout_id: event.checkout_id, payment_order_id: event.payment_order_id });
  const order = await executeOrder(
    paymentsContext(),
    { psp: await chargingProvider(), risk: riskProvider(), timing: paymentTiming(), circuit: pspCircuit() },
    event.payment_order_id,
    'pay-in-workflow',
  );
  logger.info('payment order executed', {
    payment_order_id: order.payment_order_id,
    status: order.status,
    ...(order.pending_reason ? { pending_reason: order.pending_reason } : {}),
  });
  return { payment_order_id: order.payment_order_id, status: order.status };
}

export const handler = instrumented(handle);
