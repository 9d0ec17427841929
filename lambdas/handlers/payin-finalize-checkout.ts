/**
 * Pay-in workflow's last step: when risk declined the checkout, fail its orders; then set is_payment_done
 * if every order is terminal (orders still PENDING are finished later by the webhook or the sweeper).
 */

import { PaymentError } from '../payments/errors';
import { completeCheckoutIfDone, getCheckout, transitionOrder } from '../payments/store';
import { logger } from '../shared/logger';
import { paymentsContext } from '../shared/wiring';

export async function handler(event: {
  checkout_id: string;
  risk?: { decision: string; reasons: string[] };
}): Promise<{ checkout_id: string; is_payment_done: boolean }> {
  const ctx = paymentsContext();
  if (event.risk?.decision === 'decline') {
    const checkout = await getCheckout(ctx, event.checkout_id);
    if (!checkout) throw new PaymentError('not_found', `checkout ${event.checkout_id} not found`);
    const reasons = event.risk.reasons.join(',') || 'declined';
    for (const orderId of checkout.order_ids) {
      await transitionOrder(ctx, orderId, {
        to: 'FAILED',
        actor: 'pay-in-workflow',
        reason: `risk check declined the checkout (${reasons})`,
        set: { failure_code: 'risk_declined', failure_reason: `declined by risk rules: ${reasons}` },
      });
    }
  }
  const progress = await completeCheckoutIfDone(ctx, event.checkout_id);
  logger.info('checkout finalized', { checkout_id: event.checkout_id, is_payment_done: progress.done });
  return { checkout_id: event.checkout_id, is_payment_done: progress.done };
}
