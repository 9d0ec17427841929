/**
 * PSP events about money going back, dispatched here from the webhook consumer. The event body is only a
 * pointer: the refund or dispute is retrieved from the PSP before anything is posted, so a late or reordered
 * event acts on the object as it is now. `charge.refunded` does not say which refund happened: every refund of
 * the charge is applied (each once), which also catches a refund whose own events were lost.
 */
import type Stripe from 'stripe';
import { MONEY_BACK_EVENT_TYPES } from '../webhooks/subscribed-events';
import { applyPspDispute } from './disputes';
import { applyPspRefund, type RefundDependencies } from './service';

const REFUND_EVENTS: ReadonlySet<string> = new Set(
  MONEY_BACK_EVENT_TYPES.filter((t) => t.startsWith('refund.')),
);

export function isMoneyBackEvent(type: string): boolean {
  return REFUND_EVENTS.has(type) || type === 'charge.refunded' || type.startsWith('charge.dispute.');
}

export type MoneyBackOutcome =
  | 'applied'
  | 'no_change'
  | 'unknown_order'
  /** A refund or dispute no single order can bear (a multi-order hosted page): a person decides. */
  | 'needs_attention'
  | 'ignored_type';

export async function applyMoneyBackEvent(
  deps: RefundDependencies,
  event: Stripe.Event,
): Promise<MoneyBackOutcome> {
  const id = (event.data.object as { id?: string }).id;
  if (!id) return 'ignored_type';
  const psp = await deps.psp();
  if (REFUND_EVENTS.has(event.type)) return applyPspRefund(deps, await psp.retrieveRefund(id));
  if (event.type === 'charge.refunded') {
    let outcome: MoneyBackOutcome = 'no_change';
    for (const refund of await psp.refundsOfCharge(id)) {
      const applied = await applyPspRefund(deps, refund);
      if (applied === 'applied') outcome = 'applied';
      else if (applied === 'needs_attention' && outcome !== 'applied') outcome = 'needs_attention';
      else if (applied === 'unknown_order' && outcome === 'no_change') outcome = 'unknown_order';
    }
    return outcome;
  }
  if (event.type.startsWith('charge.dispute.')) return applyPspDispute(deps, await psp.retrieveDispute(id));
  return 'ignored_type';
}
