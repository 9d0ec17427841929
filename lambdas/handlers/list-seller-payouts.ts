/** GET /v1/sellers/{seller_account}/payouts (see lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { listSellerPayoutsHandler } from '../payouts/read-api';
import { payoutsTableContext } from '../payouts/table-wiring';

export const handler = listSellerPayoutsHandler({ payouts: payoutsTableContext(), logger: new Logger() });
