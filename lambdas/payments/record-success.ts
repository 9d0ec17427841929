/**
 * The money-moving success: the one place an order becomes SUCCESS, together with its ledger posting and the
 * seller's wallet credit, in ONE TransactWriteItems (the order's history item is appended from the stream, like
 * every other move's).
 */
import { CallerConditionFailedError, recordPayIn } from '../ledger';
import { basisPointsOf, money } from '../money';
import { businessMetrics } from '../shared/metrics';
import { ledgerContext, MAX_ATTEMPTS, nowIso, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import { type Actor, canTransition } from './model';
import { mustGetOrder, type TransitionResult, transitionUpdate } from './order-transitions';

/**
 * Records that the PSP captured the order's money: the order becomes SUCCESS with its wallet_updated and
 * ledger_updated flags, the pay-in is posted to the ledger and the seller's wallet is credited, in one
 * transaction. Recording it again changes nothing. An order already FAILED is not moved (answered with
 * changed=false): money captured for a failed order is a break for reconciliation, not a silent flip.
 */
export async function recordSuccess(
  ctx: PaymentsContext,
  orderId: string,
  details: { pspReference: string; actor: Actor; reason: string },
): Promise<TransitionResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const order = await mustGetOrder(ctx, orderId);
    if (!canTransition(order.status, 'SUCCESS')) return { order, changed: false };
    const at = nowIso(ctx);
    const gross = money(order.currency, order.amount_minor);
    // The rate fixed on the order when the buyer checked out, whatever the configuration says today.
    const commission = basisPointsOf(gross, order.commission_bps ?? ctx.commissionBps ?? 0, 'half_up');
    const extraItems = [
      {
        Update: transitionUpdate(
          ctx,
          order,
          {
            to: 'SUCCESS',
            actor: details.actor,
            reason: details.reason,
            set: { psp_reference: details.pspReference, wallet_updated: true, ledger_updated: true },
          },
          at,
        ),
      },
    ];
    try {
      const posted = await recordPayIn(
        ledgerContext(ctx),
        { paymentOrderId: orderId, sellerId: order.seller_account, gross, commission },
        { extraItems },
      );
      // A replayed posting wrote nothing now (the order moved with it the first time), and is not counted again.
      if (!posted.replayed) businessMetrics.payInSucceeded(order.amount_minor, order.currency);
      return { order: await mustGetOrder(ctx, orderId), changed: !posted.replayed };
    } catch (error) {
      if (!(error instanceof CallerConditionFailedError)) throw error;
    }
  }
  throw new PaymentError('contention', `payment order ${orderId} kept changing; try again`, {
    payment_order_id: orderId,
  });
}
