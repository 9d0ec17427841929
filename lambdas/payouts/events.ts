/**
 * PSP events about payouts (Stripe Connect: the connected account's bank payout), applied through the same
 * code as the workflow and the sweeper, forward only. Our payout is found by the bank payout's metadata; what
 * happened to it is looked up at the PSP (the event body is only a hint, as for every event).
 * Event types we do not know are reported as `unhandled_type`: logged as an error with a metric, which alarms.
 */
import type Stripe from 'stripe';
import { PAYOUT_EVENT_TYPES } from '../webhooks/subscribed-events';
import { applyProviderResult, type ExecutorDependencies, instructionOf } from './executor';
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

/** The outcomes we act on: the same list the webhook endpoint subscribes to. */
const ACTED_ON: ReadonlySet<string> = new Set(PAYOUT_EVENT_TYPES);

export function isPayoutEvent(type: string): boolean {
  return type.startsWith('payout.') || type.startsWith('transfer.');
}

export async function applyPayoutEvent(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  event: Stripe.Event,
): Promise<PayoutEventOutcome> {
  if (KNOWN_QUIET.has(event.type)) return 'ignored_type';
  if (!ACTED_ON.has(event.type)) {
    deps.log?.('unhandled payout provider event type', {
      type: event.type,
      event_id: event.id,
      alarm: 'UnhandledProviderEvent',
    });
    return 'unhandled_type';
  }
  // The event only names the payout (its metadata); what happened is what the PSP says now.
  const hint = event.data.object as Partial<Stripe.Payout>;
  const payoutId = hint.metadata?.payout_id;
  if (!payoutId) return 'unknown_payout';
  const payout = await getPayout(ctx, payoutId);
  if (!payout) return 'unknown_payout';
  const result = await deps.provider.lookup(instructionOf(payout));
  // Nothing at the PSP for this payout: the event was not about a payout of ours.
  if (!result) return 'no_change';
  const after = await applyProviderResult(ctx, deps, payout, result, 'psp-webhook');
  return after.version === payout.version ? 'no_change' : 'applied';
}
