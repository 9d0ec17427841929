/** Pay-in workflow step: assess the checkout's risk before any order is charged. */

import { PaymentError } from '../payments/errors';
import { getCheckout } from '../payments/store';
import type { RiskAssessment } from '../risk/rules';
import { logger } from '../shared/logger';
import { paymentsContext, riskProvider } from '../shared/wiring';

export async function handler(event: { checkout_id: string }): Promise<RiskAssessment> {
  const ctx = paymentsContext();
  const checkout = await getCheckout(ctx, event.checkout_id);
  if (!checkout) throw new PaymentError('not_found', `checkout ${event.checkout_id} not found`);
  const assessment = await riskProvider().assess({
    checkoutId: checkout.checkout_id,
    buyerId: checkout.buyer.buyer_id,
    ...(checkout.buyer.email ? { buyerEmail: checkout.buyer.email } : {}),
    currency: checkout.currency,
    totalMinor: BigInt(checkout.total_minor),
    orderAmountsMinor: [],
  });
  logger.info('risk assessed', { checkout_id: checkout.checkout_id, ...assessment });
  return assessment;
}
