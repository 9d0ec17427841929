/** POST /v1/sellers/{seller_account}/payouts/pause and /resume (see lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { pauseSellerHandler } from '../payouts/read-api';
import { payoutsTableContext } from '../payouts/table-wiring';

export const handler = pauseSellerHandler({ payouts: payoutsTableContext(), logger: new Logger() });
