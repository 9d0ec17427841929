/**
 * Refunds and disputes live in the `payments` table (its stream publishes their domain events), beside the
 * orders they belong to:
 *   REFUND#{refund_id}      META              a refund (ours: rf_{ulid}; made elsewhere: the PSP's re_... id)
 *   ORDER#{order_id}        REFUND#{id}       pointer, for the order's list of refunds (immutable)
 *   ORDER#{order_id}        REFUNDED          the order's refund counter: captured and refunded (pending +
 *                                             succeeded) minor units; every refund moves it with a condition
 *   REFUNDS_DUE#{shard}     {refund_id}       a refund whose PSP answer was ambiguous, for the sweeper
 *   DISPUTE#{dispute_id}    META              a dispute
 *   ORDER#{order_id}        DISPUTE#{id}      pointer, for the order's list of disputes
 * and, in the `wallets` table (written off the pay-in path by the stream consumer, buyer-totals.ts):
 *   BUYER#{buyer_id}        ORDER#{order_id}[#REFUND#{id} | #DISPUTE#{id}]  what a buyer paid on one order, and
 *                                             each refund or lost dispute of it (buyer totals)
 */
import { createHash } from 'node:crypto';

export const DUE_SHARDS = 4;

export const refundKey = (refundId: string) => ({ pk: `REFUND#${refundId}`, sk: 'META' });
export const orderRefundKey = (orderId: string, refundId: string) => ({
  pk: `ORDER#${orderId}`,
  sk: `REFUND#${refundId}`,
});
export const refundCounterKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'REFUNDED' });
export const disputeKey = (disputeId: string) => ({ pk: `DISPUTE#${disputeId}`, sk: 'META' });
export const orderDisputeKey = (orderId: string, disputeId: string) => ({
  pk: `ORDER#${orderId}`,
  sk: `DISPUTE#${disputeId}`,
});
export const buyerOrderKey = (buyerId: string, orderId: string) => ({
  pk: `BUYER#${buyerId}`,
  sk: `ORDER#${orderId}`,
});

export function dueShard(refundId: string): number {
  return createHash('sha256').update(refundId).digest().readUInt32BE(0) % DUE_SHARDS;
}

export const refundDueKey = (refundId: string) => ({ pk: `REFUNDS_DUE#${dueShard(refundId)}`, sk: refundId });
