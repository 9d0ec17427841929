/**
 * PSP events about payouts (Stripe Connect: the connected account's bank payout), applied through the same
 * code as the workflow and the sweeper, forward only. Our payout is found by the bank payout's metadata.
 * Event types we do not know are reported as `unhandled_type`: logged as an error with a metric, which alarms.
 */
import type Stripe from 'stripe';
import { applyProviderResult, type ExecutorDependencies } from './executor';
import type { ProviderPayout } from './port';
import { getPayout, type PayoutsContext } from './store';

export type PayoutEventOutcome =
  | 'applied'
  | 'no_change'
  | 'unknown_payout'
  | 'ignored_type'
  | 'unhandled_type';

/** Connect and transfer events we receive and deliberately do nothing with (the result events carry it all). */
const KNOWN_QUIET = new Set([
  'payout.created',
  'payout.updated',
  'payout.reconciliation_completed',
  'transfer.created',
  'transfer.updated',
  'transfer.reversed',
]);

export function isPayoutEvent(type: string): boolean {
  return type.startsWith('payout.') || type.startsWith('transfer.');
}

export async function applyPayoutEvent(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  event: Stripe.Event,
): Promise<PayoutEventOutcome> {
  if (KNOWN_QUIET.has(event.type)) return 'ignored_type';
  if (event.type !== 'payout.paid' && event.type !== 'payout.failed' && event.type !== 'payout.canceled') {
    deps.log?.('unhandled payout provider event type', {
      type: event.type,
      event_id: event.id,
      alarm: 'UnhandledProviderEvent',
    });
    return 'unhandled_type';
  }
  const bank = event.data.object as Stripe.Payout;
  const payoutId = bank.metadata?.payout_id;
  if (!payoutId) return 'unknown_payout';
  const payout = await getPayout(ctx, payoutId);
  if (!payout) return 'unknown_payout';
  const result: ProviderPayout =
    event.type === 'payout.paid'
      ? {
          state: 'paid',
          bankPayoutId: bank.id,
          ...(payout.provider_reference ? { reference: payout.provider_reference } : {}),
        }
      : {
          state: 'failed',
          bankPayoutId: bank.id,
          failureCode:
            bank.failure_code ?? (event.type === 'payout.canceled' ? 'canceled' : 'could_not_process'),
          ...(payout.provider_reference ? { reference: payout.provider_reference } : {}),
        };
  const after = await applyProviderResult(ctx, deps, payout, result, 'psp-webhook');
  return after.version === payout.version ? 'no_change' : 'applied';
}
