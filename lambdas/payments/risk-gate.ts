/**
 * The risk gate: a checkout is assessed once, before any of its money can move; the decision is stored on the
 * checkout so it cannot change, and a decline fails the orders that have not started. Every mode passes here:
 * card checkouts in the workflow (or the sweeper/executor), hosted ones before their page is registered.
 */
import type { RiskProvider } from '../risk/rules';
import { recordRiskDecision } from './checkouts';
import type { PaymentsContext } from './context';
import type { Actor, Checkout, OrderStatus } from './model';
import { transitionOrder } from './order-transitions';

/**
 * The checkout's risk decision: the stored one, or (first time) the provider's, stored so it cannot change.
 * A decline fails the orders that have not started; an order already charging is left to finish.
 */
export async function decideRisk(
  ctx: PaymentsContext,
  checkout: Checkout,
  risk: RiskProvider,
  actor: Actor,
): Promise<'approve' | 'decline'> {
  let decision = checkout.risk_decision;
  let reasons = checkout.risk_reasons ?? [];
  if (!decision) {
    const assessed = await risk.assess({
      checkoutId: checkout.checkout_id,
      buyerId: checkout.buyer.buyer_id,
      ...(checkout.buyer.email ? { buyerEmail: checkout.buyer.email } : {}),
      currency: checkout.currency,
      totalMinor: BigInt(checkout.total_minor),
    });
    ({ decision, reasons } = await recordRiskDecision(ctx, checkout.checkout_id, assessed));
  }
  if (decision === 'decline') {
    const why = reasons.join(',') || 'declined';
    // Card orders that have not started; hosted orders while no page exists (they wait PENDING for one).
    const failable: OrderStatus[] =
      checkout.mode === 'hosted' && !checkout.psp_session_id ? ['NOT_STARTED', 'PENDING'] : ['NOT_STARTED'];
    for (const orderId of checkout.order_ids) {
      await transitionOrder(ctx, orderId, {
        to: 'FAILED',
        actor,
        reason: `risk check declined the checkout (${why})`,
        set: { failure_code: 'risk_declined', failure_reason: `declined by risk rules: ${why}` },
        onlyFrom: failable,
      });
    }
  }
  return decision;
}
