/** GET /v1/payouts/{payout_id} (see lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { getPayoutHandler } from '../payouts/api';
import { payoutsContext } from '../payouts/wiring';

export const handler = getPayoutHandler({ payouts: payoutsContext(), logger: new Logger() });
