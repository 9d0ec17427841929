/**
 * Pay-out workflow step (`.waitForTaskToken`): keep the task token on the payout; the webhook consumer (or the
 * sweeper) answers it with the final status. If the result came first, answer it now.
 */
import { awaitResult } from '../payouts/executor';
import { storeTaskToken } from '../payouts/store';
import { executorDependencies, payoutsContext } from '../payouts/wiring';
import { instrumented } from '../shared/observability';

async function handle(event: { payout_id: string; task_token: string }): Promise<void> {
  await awaitResult(
    payoutsContext(),
    await executorDependencies(),
    event.payout_id,
    event.task_token,
    storeTaskToken,
  );
}

export const handler = instrumented(handle);
