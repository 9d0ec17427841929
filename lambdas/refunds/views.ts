/** How refunds and disputes look through the API: decimal strings for amounts, never internal fields. */
import { formatAmount, money } from '../money';
import type { DisputeRecord, RefundRecord } from './model';

export function refundView(r: RefundRecord) {
  return {
    refund_id: r.refund_id,
    payment_order_id: r.payment_order_id,
    amount: formatAmount(money(r.currency, r.amount_minor)),
    currency: r.currency,
    status: r.status,
    origin: r.origin,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.failure_reason ? { failure_reason: r.failure_reason } : {}),
    ...(r.psp_refund_id ? { psp_refund_id: r.psp_refund_id } : {}),
    borne_by: {
      seller: formatAmount(money(r.currency, r.seller_minor)),
      platform_commission_returned: formatAmount(money(r.currency, r.commission_minor)),
      platform: formatAmount(money(r.currency, r.platform_minor)),
    },
    ...(r.reversal
      ? {
          transfer_reversal: {
            status: r.reversal.status,
            payout_id: r.reversal.payout_id,
            transfer_id: r.reversal.transfer_id,
            amount: formatAmount(money(r.currency, r.reversal.amount_minor)),
            ...(r.reversal.psp_reversal_id ? { psp_reversal_id: r.reversal.psp_reversal_id } : {}),
            ...(r.reversal.failure_code ? { failure_code: r.reversal.failure_code } : {}),
          },
        }
      : {}),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function disputeView(d: DisputeRecord) {
  return {
    dispute_id: d.dispute_id,
    payment_order_id: d.payment_order_id,
    amount: formatAmount(money(d.currency, d.amount_minor)),
    fee: formatAmount(money(d.currency, d.fee_minor)),
    currency: d.currency,
    status: d.status,
    is_inquiry: d.is_inquiry,
    ...(d.reason ? { reason: d.reason } : {}),
    posted: d.steps,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}
