/**
 * Scheduled: payouts that sellers' schedules and minimums call for, and open payouts due a lookup (a workflow
 * that never ran, no answer in the provider's usual time, a hold at its expiry). Every run emits the age of the
 * oldest payout hold still reserved and how many payouts are past their provider's usual time (both alarmed);
 * holds past their expiry are logged as an error while the lookups go on.
 */
import type { Context } from 'aws-lambda';
import { sweepPayouts } from '../payouts/sweeper';
import {
  awaitSecondsFor,
  createTiming,
  executorDependencies,
  payoutsContext,
  payoutWorkflowStarter,
} from '../payouts/wiring';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';
import { businessMetrics } from '../shared/metrics';
import { instrumented } from '../shared/observability';

const startWorkflow = payoutWorkflowStarter(resource('stateMachine', 'pay-out'));

async function handle(
  _event: unknown,
  context: Context,
): Promise<{
  created: number;
  examined: number;
  resolved: number;
  pastExpiry: number;
  pastUsualTime: number;
  errors: number;
  dueLeft: boolean;
}> {
  const report = await sweepPayouts(payoutsContext(), {
    ...(await executorDependencies()),
    startWorkflow,
    timing: createTiming(),
    usualSeconds: awaitSecondsFor,
    remainingMs: () => context.getRemainingTimeInMillis(),
  });
  businessMetrics.payoutHolds(report.oldestHoldAgeSeconds, report.pastUsualTime.length);
  if (report.pastExpiry > 0)
    logger.error('payout holds past their expiry', {
      count: report.pastExpiry,
      alarm: 'PayoutHoldsPastExpiry',
    });
  if (report.pastUsualTime.length > 0)
    logger.warn("payouts pending past their provider's usual time", {
      payout_ids: report.pastUsualTime.slice(0, 50),
      count: report.pastUsualTime.length,
    });
  if (report.dueLeft)
    logger.warn('payout sweep ran out of time with payouts still due; the next run goes on', {
      examined: report.examined,
    });
  if (report.errors.length) logger.warn('payout sweep left work for the next run', { errors: report.errors });
  logger.info('payout sweep done', {
    created: report.created.length,
    examined: report.examined,
    resolved: report.resolved,
    oldest_hold_age_seconds: report.oldestHoldAgeSeconds,
  });
  return {
    created: report.created.length,
    examined: report.examined,
    resolved: report.resolved,
    pastExpiry: report.pastExpiry,
    pastUsualTime: report.pastUsualTime.length,
    errors: report.errors.length,
    dueLeft: report.dueLeft,
  };
}

export const handler = instrumented(handle);
