/**
 * Driving a payout with its provider, the one path shared by the workflow, the webhook consumer and the
 * sweeper: ask the provider (look up first, create only what is missing), then apply what it said, forward
 * only, with the money moving in the same transaction as the status:
 *   in flight -> SUBMITTED (provider references kept);
 *   paid      -> PAID: the hold is posted (seller payable -> in transit -> platform cash);
 *   failed    -> FAILED: the hold is voided (back to available); the destination is marked errored;
 *   failed after PAID (a bank return) -> the money is recovered from the destination, the posting reversed
 *                and the hold voided: RETURNED, and payouts to that destination stop until it is updated.
 * A workflow waiting on the result (its task token is on the payout) is answered once a result is final.
 */
import { randomUUID } from 'node:crypto';
import { AttentionKind, type AttentionSink, AttentionSubjectType } from '../attention/model';
import { HoldNotPendingError, postHold, returnHold, voidHold } from '../ledger';
import { type CurrencyCode, money } from '../money';
import { crashPoint } from '../shared/crash-point';
import { PayoutProviderPermanentError } from './errors';
import { isOpen, type Payout, type PayoutStatus, type ProviderKind, sellerFailureMessage } from './model';
import type { PayoutInstruction, PayoutProvider, ProviderPayout } from './port';
import {
  changeGuards,
  changePayout,
  claimPayoutLease,
  getPayout,
  ledgerOf,
  markDestinationErrored,
  nowOf,
  PayoutChangedError,
  type PayoutsContext,
  releasePayoutLease,
  requirePayout,
  scheduleCheck,
} from './store';

export interface ExecutorDependencies {
  /** Stripe Connect (also the provider of payouts stored before destinations named one). */
  readonly provider: PayoutProvider;
  /** Every other provider a seller's destination may name (the payee network). */
  readonly providers?: Readonly<Partial<Record<ProviderKind, PayoutProvider>>>;
  /** Answers a waiting workflow (SendTaskSuccess); a token that is gone already is not an error. */
  readonly notifyWorkflow?: (
    token: string,
    output: { payout_id: string; status: PayoutStatus },
  ) => Promise<void>;
  /** Domain events and alarms hooks (metrics, logs). */
  readonly log?: (message: string, data: Record<string, unknown>) => void;
  /** How long after a submission the sweeper looks again if no answer came (the provider's usual time). */
  readonly recheckMs?: number;
  /** How long a run holds the right to create at the provider (longer than any function that holds it). */
  readonly leaseMs?: number;
  /** Where what a person must act on is recorded (needs-attention, alarmed); absent: logged only. */
  readonly attention?: AttentionSink;
}

export const DEFAULT_RECHECK_MS = 24 * 60 * 60_000;

/** Lambda's longest timeout: no run that took the lease can still be running when it lapses. */
export const DEFAULT_LEASE_MS = 15 * 60_000;

/** The provider the payout's destination names; one that is not configured here is a person's problem. */
export function providerFor(deps: ExecutorDependencies, payout: Payout): PayoutProvider {
  const named = deps.providers?.[payout.provider];
  if (named) return named;
  if (payout.provider === undefined || payout.provider === 'stripe_connect') return deps.provider;
  throw new PayoutProviderPermanentError(
    `payout ${payout.payout_id}: provider ${payout.provider} is not configured`,
    'provider_not_configured',
  );
}

export function instructionOf(payout: Payout): PayoutInstruction {
  return {
    payoutId: payout.payout_id,
    sellerId: payout.seller_id,
    amount: money(payout.currency as CurrencyCode, payout.amount),
    destination: payout.destination_account,
  };
}

/** Submits (or, on a retry, finds and continues) the payout at the provider and applies the answer. */
export async function advancePayout(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  payoutId: string,
  by: string,
): Promise<Payout> {
  const payout = await requirePayout(ctx, payoutId);
  if (!isOpen(payout.status)) return payout;
  const provider = providerFor(deps, payout);
  const owner = randomUUID();
  if (!(await claimPayoutLease(ctx, payoutId, owner, deps.leaseMs ?? DEFAULT_LEASE_MS))) {
    // Another run (a workflow retry, the sweeper, a redriven execution) is between its lookup and its create.
    // Creating too could send a second transfer once the key window has passed: only look, and apply what
    // is there. Nothing yet: the payout stays as it is; the holder's result reaches the workflow's wait (its
    // task token) and the sweeper looks again at the next check.
    const found = await provider.lookup(instructionOf(payout));
    const now = await requirePayout(ctx, payoutId);
    return found && isOpen(now.status) ? applyProviderResult(ctx, deps, now, found, by) : now;
  }
  try {
    const result = await provider.advance(instructionOf(payout));
    // The provider moved the money and nothing is written yet: a crash here leaves the payout for a retry.
    crashPoint('payout.advanced', payoutId);
    return await applyProviderResult(ctx, deps, payout, result, by);
  } finally {
    await releasePayoutLease(ctx, payoutId, owner).catch((error: unknown) => {
      // It lapses on its own; the payout is only delayed until then.
      deps.log?.('payout lease not released', { payout_id: payoutId, error: String(error) });
    });
  }
}

/** Applies the provider's answer, forward only; safe to repeat and to race (conditional on the version). */
export async function applyProviderResult(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  read: Payout,
  result: ProviderPayout,
  by: string,
): Promise<Payout> {
  let payout = read;
  for (let attempt = 1; attempt <= 5; attempt++) {
    try {
      const moved = await applyOnce(ctx, deps, payout, result, by);
      if (!isOpen(moved.status) && moved.status !== payout.status) await notify(ctx, deps, moved.payout_id);
      return moved;
    } catch (error) {
      // Someone else moved it (webhook, sweeper, workflow): read again and decide on what is there now.
      if (!(error instanceof PayoutChangedError) && !(error instanceof HoldNotPendingError)) throw error;
      payout = await requirePayout(ctx, payout.payout_id);
    }
  }
  throw new PayoutChangedError(payout.payout_id);
}

function refsOf(result: ProviderPayout): Record<string, string> {
  return {
    ...(result.reference ? { provider_reference: result.reference } : {}),
    ...(result.bankPayoutId ? { bank_payout_id: result.bankPayoutId } : {}),
  };
}

async function applyOnce(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  payout: Payout,
  result: ProviderPayout,
  by: string,
): Promise<Payout> {
  const ledger = ledgerOf(ctx);
  const ref = { sellerId: payout.seller_id, payoutId: payout.payout_id };
  switch (result.state) {
    case 'in_flight': {
      if (result.stuck) await tellStuck(deps, payout, result);
      if (payout.status !== 'CREATED') {
        const refs = refsOf(result);
        if (!payout.bank_payout_id && refs.bank_payout_id) {
          // Same status, new reference: no history entry needed, but keep it for lookups.
          return changePayout(ctx, payout, {
            to: payout.status,
            by,
            reason: 'provider reference',
            set: refs,
          });
        }
        return payout;
      }
      const next = new Date(nowOf(ctx).getTime() + (deps.recheckMs ?? DEFAULT_RECHECK_MS)).toISOString();
      const due = next < payout.hold_expires_at ? next : payout.hold_expires_at;
      return changePayout(ctx, payout, {
        to: 'SUBMITTED',
        by,
        reason: 'sent to the provider',
        set: refsOf(result),
        nextCheckAt: due,
      });
    }
    case 'paid': {
      if (payout.status !== 'CREATED' && payout.status !== 'SUBMITTED') return payout;
      await postHold(ledger, ref, {
        guards: changeGuards(ctx, payout, {
          to: 'PAID',
          by,
          reason: 'provider reported paid',
          set: refsOf(result),
        }),
      });
      deps.log?.('payout paid', {
        payout_id: payout.payout_id,
        event: 'payout.paid',
        amount_minor: payout.amount,
        currency: payout.currency,
      });
      return requirePayout(ctx, payout.payout_id);
    }
    case 'failed': {
      const code = result.failureCode ?? 'could_not_process';
      const failure = { failure_code: code, failure_message: sellerFailureMessage(code), ...refsOf(result) };
      if (payout.status === 'CREATED' || payout.status === 'SUBMITTED') {
        if (result.reference)
          await providerFor(deps, payout).recover(instructionOf(payout), result.reference);
        await voidHold(ledger, ref, {
          guards: changeGuards(ctx, payout, { to: 'FAILED', by, reason: `provider: ${code}`, set: failure }),
        });
        if (result.bankPayoutId || result.destinationFailed)
          await markDestinationErrored(ctx, payout.seller_id, payout.destination_account, code);
        deps.log?.('payout failed', {
          payout_id: payout.payout_id,
          event: 'payout.failed',
          failure_code: code,
        });
        return requirePayout(ctx, payout.payout_id);
      }
      if (payout.status === 'PAID') {
        // Reported paid, then returned by the bank: take the money back from the destination first, so the
        // ledger says "available again" only once the platform really has it.
        const reference = result.reference ?? payout.provider_reference;
        if (reference) await providerFor(deps, payout).recover(instructionOf(payout), reference);
        await returnHold(ledger, ref).catch((error: unknown) => {
          // Already un-posted by an earlier attempt that stopped before the void: go on to the void.
          if (!(error instanceof HoldNotPendingError)) throw error;
        });
        await voidHold(ledger, ref, {
          guards: changeGuards(ctx, payout, {
            to: 'RETURNED',
            by,
            reason: `returned by the bank: ${code}`,
            set: failure,
          }),
        });
        await markDestinationErrored(ctx, payout.seller_id, payout.destination_account, code);
        deps.log?.('payout returned', {
          payout_id: payout.payout_id,
          event: 'payout.returned',
          failure_code: code,
        });
        return requirePayout(ctx, payout.payout_id);
      }
      return payout;
    }
    default:
      return payout;
  }
}

/** A payout no retry can carry on or take back: one record for a person (repeats change nothing). */
async function tellStuck(deps: ExecutorDependencies, payout: Payout, result: ProviderPayout): Promise<void> {
  const details = {
    payout_id: payout.payout_id,
    seller_id: payout.seller_id,
    amount_minor: payout.amount,
    currency: payout.currency,
    destination: payout.destination_account,
    ...(result.reference ? { provider_reference: result.reference } : {}),
    refused: result.stuck ?? '',
  };
  deps.log?.('payout stuck at the provider', { ...details, event: 'payout.stuck' });
  await deps.attention?.record({
    kind: AttentionKind.PayoutStuckAtProvider,
    subjectType: AttentionSubjectType.Payout,
    subjectId: payout.payout_id,
    summary: `Payout ${payout.payout_id}: the money is at ${payout.destination_account}; ${result.stuck}`,
    details,
  });
}

async function notify(ctx: PayoutsContext, deps: ExecutorDependencies, payoutId: string): Promise<void> {
  const payout = await getPayout(ctx, payoutId);
  if (!payout?.task_token || !deps.notifyWorkflow) return;
  await deps.notifyWorkflow(payout.task_token, { payout_id: payoutId, status: payout.status });
}

/**
 * The workflow's wait: keep the task token on the payout for the webhook consumer to answer. When the
 * result is already known (it came first), answer now.
 */
export async function awaitResult(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  payoutId: string,
  token: string,
  storeToken: (ctx: PayoutsContext, payoutId: string, token: string) => Promise<boolean>,
): Promise<void> {
  if (await storeToken(ctx, payoutId, token)) return;
  const payout = await requirePayout(ctx, payoutId);
  await deps.notifyWorkflow?.(token, { payout_id: payoutId, status: payout.status });
}

/** A lookup (the workflow's timeout, the sweeper): same as advancing, and counts the lookups. */
export async function lookUpPayout(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  payoutId: string,
  by: string,
): Promise<Payout> {
  const payout = await advancePayout(ctx, deps, payoutId, by);
  if (!isOpen(payout.status)) return payout;
  const lookups = (payout.lookups ?? 0) + 1;
  // Exponential spacing up to the provider's usual time, never past the hold's expiry.
  const delay = Math.min(deps.recheckMs ?? DEFAULT_RECHECK_MS, 60_000 * 2 ** Math.min(lookups, 20));
  const next = new Date(nowOf(ctx).getTime() + delay).toISOString();
  await scheduleCheck(ctx, payout, next < payout.hold_expires_at ? next : payout.hold_expires_at, lookups);
  return { ...payout, lookups };
}
