/** GET /v1/payouts/{payout_id} (see lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { getPayoutHandler } from '../payouts/read-api';
import { payoutsTableContext } from '../payouts/table-wiring';

export const handler = getPayoutHandler({ payouts: payoutsTableContext(), logger: new Logger() });
