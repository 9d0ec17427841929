/**
 * Pay-in workflow step: assess the checkout's risk before any order is charged. The decision is stored on the
 * checkout (once), so the executor and the sweeper never charge a checkout that was not approved, and a
 * decline fails the orders that have not started.
 */

import { getCheckout } from '../payments/checkouts';
import { PaymentError } from '../payments/errors';
import { decideRisk } from '../payments/risk-gate';
import { logPayInIds } from '../shared/log-context';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { ordersContext, riskProvider } from '../shared/wiring';

async function handle(event: { checkout_id: string }): Promise<{ decision: string; reasons: string[] }> {
  const ctx = ordersContext();
  logPayInIds({ checkout_id: event.checkout_id });
  const checkout = await getCheckout(ctx, event.checkout_id);
  if (!checkout) throw new PaymentError('not_found', `checkout ${event.checkout_id} not found`);
  logPayInIds({ payment_order_ids: checkout.order_ids });
  const decision = await decideRisk(ctx, checkout, riskProvider(), 'pay-in-workflow');
  const reasons = [...((await getCheckout(ctx, event.checkout_id))?.risk_reasons ?? [])];
  logger.info('risk assessed', { checkout_id: checkout.checkout_id, decision, reasons });
  return { decision, reasons };
}

export const handler = instrumented(handle);
