/**
 * Scheduled: payouts that sellers' schedules and minimums call for, and open payouts due a lookup (a workflow
 * that never ran, no answer in the provider's usual time, a hold at its expiry). Holds past their expiry are
 * logged as an error with a metric (an alarm) while the lookups go on.
 */
import { sweepPayouts } from '../payouts/sweeper';
import { createTiming, executorDependencies, payoutsContext, payoutWorkflowStarter } from '../payouts/wiring';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';

const startWorkflow = payoutWorkflowStarter(resource('stateMachine', 'pay-out'));

export async function handler(): Promise<{
  created: number;
  examined: number;
  resolved: number;
  pastExpiry: number;
  errors: number;
}> {
  const report = await sweepPayouts(payoutsContext(), {
    ...(await executorDependencies()),
    startWorkflow,
    timing: createTiming(),
  });
  if (report.pastExpiry > 0)
    logger.error('payout holds past their expiry', {
      count: report.pastExpiry,
      alarm: 'PayoutHoldsPastExpiry',
    });
  if (report.errors.length) logger.warn('payout sweep left work for the next run', { errors: report.errors });
  logger.info('payout sweep done', {
    created: report.created.length,
    examined: report.examined,
    resolved: report.resolved,
  });
  return {
    created: report.created.length,
    examined: report.examined,
    resolved: report.resolved,
    pastExpiry: report.pastExpiry,
    errors: report.errors.length,
  };
}
