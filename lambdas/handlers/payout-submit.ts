/**
 * Pay-out workflow step: submit the payout to its provider, or (as the lookup after a timeout) find it there
 * and apply what the provider says. Look-up first, so a retry never sends twice. A transient provider failure
 * is thrown as PayoutProviderTransientError, which the state machine retries with backoff and jitter.
 */
import { advancePayout, lookUpPayout } from '../payouts/executor';
import { executorDependencies, payoutsContext } from '../payouts/wiring';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';

async function handle(event: { payout_id: string; mode?: 'submit' | 'lookup' }): Promise<{
  payout_id: string;
  status: string;
  lookups: number;
}> {
  const deps = await executorDependencies();
  const payout =
    event.mode === 'lookup'
      ? await lookUpPayout(payoutsContext(), deps, event.payout_id, 'pay-out-workflow')
      : await advancePayout(payoutsContext(), deps, event.payout_id, 'pay-out-workflow');
  logger.info('payout advanced', {
    payout_id: payout.payout_id,
    status: payout.status,
    mode: event.mode ?? 'submit',
  });
  return { payout_id: payout.payout_id, status: payout.status, lookups: payout.lookups ?? 0 };
}

export const handler = instrumented(handle);
