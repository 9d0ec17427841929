/** POST /v1/payouts: reserve and start a payout (see lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { IdempotencyStore } from '../api/idempotency';
import { createPayoutHandler } from '../payouts/api';
import { payoutsContext } from '../payouts/table-wiring';
import { createTiming, payoutWorkflowStarter } from '../payouts/workflow-wiring';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';

export const handler = createPayoutHandler({
  payouts: payoutsContext(),
  logger: new Logger(),
  idempotency: new IdempotencyStore(documentClient(), resource('table', 'idempotency')),
  startWorkflow: payoutWorkflowStarter(resource('stateMachine', 'pay-out')),
  timing: createTiming(),
});
