/**
 * The scheduled sweep, two jobs:
 *  1. payouts that schedules and minimums call for: for every seller on a daily or weekly schedule, each
 *     currency whose payable amount reaches the minimum gets one payout for the period. Its id derives from
 *     (seller, currency, period), so a sweep that runs twice, or crashes half way, creates it once;
 *  2. open payouts due a check (never submitted because their workflow did not run, or no answer in the
 *     provider's usual time, or a hold near or past its expiry): looked up at the provider and driven
 *     through the same code as the workflow and the webhook, never resolved by guessing.
 */
import { createHash } from 'node:crypto';
import { AttentionKind, AttentionSubjectType } from '../attention/model';
import type { CurrencyCode } from '../money';
import { type CreateTiming, createPayout } from './create';
import { PayoutError } from './errors';
import { type ExecutorDependencies, lookUpPayout } from './executor';
import type { Payout, ProviderKind, Schedule } from './model';
import { payabilityOf } from './payability';
import {
  deferAfterFailedLookup,
  duePayouts,
  getPayout,
  nowOf,
  openPayouts,
  type PayoutsContext,
  scheduledSellers,
} from './store';

/** The schedule's period an instant falls in: a UTC day, or an ISO week. */
export function periodOf(schedule: Exclude<Schedule, 'manual'>, at: Date): string {
  if (schedule === 'daily') return at.toISOString().slice(0, 10);
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const day = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export function scheduledPayoutId(sellerId: string, currency: CurrencyCode, period: string): string {
  return `sched-${createHash('sha256').update(`${sellerId}\u0000${currency}\u0000${period}`).digest('hex').slice(0, 32)}`;
}

export interface SweepReport {
  readonly created: string[];
  readonly skipped: { seller: string; currency: string; reasons: string[] }[];
  examined: number;
  resolved: number;
  pastExpiry: number;
  /** Age of the oldest hold still reserved (an open payout), 0 when none: alarmed past N days. */
  oldestHoldAgeSeconds: number;
  /** Open payouts older than their provider's usual time: alarmed. */
  readonly pastUsualTime: string[];
  readonly errors: { id: string; error: string }[];
  /** The run's time was spent with payouts still due: the next run goes on with them. */
  dueLeft: boolean;
}

/** Lookups of one payout that may fail in a row before a person is told (its hold stays reserved). */
export const ATTENTION_AFTER_FAILED_LOOKUPS = 5;

/** Time kept back from the invocation's timeout for the lookups in flight and the report. */
export const DEFAULT_SWEEP_MARGIN_MS = 20_000;

/** Stripe's bank payouts take about 2 days; the payee network clears in up to 5 (overridden by the handler). */
const DEFAULT_USUAL_SECONDS: Readonly<Record<ProviderKind, number>> = {
  stripe_connect: 2 * 86_400,
  payee_network: 5 * 86_400,
};

/**
 * A payout whose lookup threw: looked at again later (1, 2, 4 ... minutes, up to the provider's recheck), and
 * after ATTENTION_AFTER_FAILED_LOOKUPS failures in a row a person is told, with the last error.
 */
async function deferFailedLookup(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  payout: Payout,
  error: string,
): Promise<void> {
  // The due index does not carry the count: the item does.
  const current = (await getPayout(ctx, payout.payout_id)) ?? payout;
  const failures = (current.failed_lookups ?? 0) + 1;
  const delay = Math.min(deps.recheckMs ?? 86_400_000, 60_000 * 2 ** Math.min(failures - 1, 20));
  const count = await deferAfterFailedLookup(
    ctx,
    current,
    new Date(nowOf(ctx).getTime() + delay).toISOString(),
  );
  if (count === undefined || count < ATTENTION_AFTER_FAILED_LOOKUPS) return;
  await deps.attention?.record({
    kind: AttentionKind.PayoutUnresolvedAfterLookups,
    subjectType: AttentionSubjectType.Payout,
    subjectId: payout.payout_id,
    summary: `Payout ${payout.payout_id} (${payout.status}): ${count} lookups in a row failed`,
    details: {
      payout_id: payout.payout_id,
      seller_id: payout.seller_id,
      status: payout.status,
      amount_minor: payout.amount,
      currency: payout.currency,
      failed_lookups: count,
      last_error: error.slice(0, 500),
    },
  });
}

export async function sweepPayouts(
  ctx: PayoutsContext,
  deps: ExecutorDependencies & {
    readonly startWorkflow: (payout: Payout) => Promise<void>;
    readonly timing?: CreateTiming;
    /** The provider's usual time to a final answer, in seconds. */
    readonly usualSeconds?: (provider: ProviderKind) => number;
    /** The invocation's time left (Lambda's context); unbounded when absent. */
    readonly remainingMs?: () => number;
    readonly marginMs?: number;
  },
): Promise<SweepReport> {
  const report: SweepReport = {
    created: [],
    skipped: [],
    examined: 0,
    resolved: 0,
    pastExpiry: 0,
    oldestHoldAgeSeconds: 0,
    pastUsualTime: [],
    errors: [],
    dueLeft: false,
  };
  const now = nowOf(ctx);
  for (const seller of await scheduledSellers(ctx)) {
    if (seller.schedule === 'manual') continue;
    try {
      for (const p of await payabilityOf(ctx, seller.sellerId, seller)) {
        if (p.reasons.length > 0) {
          report.skipped.push({ seller: seller.sellerId, currency: p.currency, reasons: [...p.reasons] });
          continue;
        }
        const payoutId = scheduledPayoutId(seller.sellerId, p.currency, periodOf(seller.schedule, now));
        try {
          const { payout, created } = await createPayout(
            ctx,
            {
              payoutId,
              sellerId: seller.sellerId,
              currency: p.currency,
              origin: 'schedule',
              enforceMinimum: true,
            },
            deps.timing,
          );
          if (created) {
            report.created.push(payoutId);
            await deps.startWorkflow(payout).catch((error: unknown) => {
              // The payout is due a check: the next sweep drives it even without its workflow.
              report.errors.push({ id: payoutId, error: String(error) });
            });
          }
        } catch (error) {
          if (error instanceof PayoutError && error.code !== 'contention') {
            report.skipped.push({ seller: seller.sellerId, currency: p.currency, reasons: [error.code] });
          } else throw error;
        }
      }
    } catch (error) {
      report.errors.push({
        id: seller.sellerId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  // Every due payout, page after page, while the invocation has time: a backlog (thousands due after an
  // outage) is worked through in one run instead of 100 per 5 minutes; what is left waits for the next run.
  const margin = deps.marginMs ?? DEFAULT_SWEEP_MARGIN_MS;
  const hasTime = () => (deps.remainingMs?.() ?? Number.POSITIVE_INFINITY) > margin;
  let start: Record<string, unknown> | undefined;
  pages: do {
    const page = await duePayouts(ctx, now, { start });
    start = page.next;
    for (const payout of page.payouts) {
      if (!hasTime()) {
        report.dueLeft = true;
        break pages;
      }
      report.examined++;
      if (payout.hold_expires_at <= now.toISOString()) report.pastExpiry++;
      try {
        const after = await lookUpPayout(ctx, deps, payout.payout_id, 'sweeper');
        if (after.status !== payout.status) report.resolved++;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report.errors.push({ id: payout.payout_id, error: message });
        await deferFailedLookup(ctx, deps, payout, message).catch((deferError: unknown) => {
          // Still due as it was: the next sweep tries it (and this) again.
          report.errors.push({ id: payout.payout_id, error: String(deferError) });
        });
      }
    }
  } while (start);
  // What is still held after the lookups: the oldest hold, and the payouts later than their provider's usual.
  const usual = deps.usualSeconds ?? ((p: ProviderKind) => DEFAULT_USUAL_SECONDS[p] ?? 2 * 86_400);
  for (const payout of await openPayouts(ctx)) {
    const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(payout.created_at)) / 1000));
    report.oldestHoldAgeSeconds = Math.max(report.oldestHoldAgeSeconds, ageSeconds);
    if (ageSeconds > usual(payout.provider ?? 'stripe_connect')) report.pastUsualTime.push(payout.payout_id);
  }
  return report;
}
