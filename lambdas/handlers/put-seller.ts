/** PUT /v1/sellers/{seller_account}: a seller's payout settings (see lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { putSellerHandler } from '../payouts/api';
import { payoutsTableContext } from '../payouts/table-wiring';

export const handler = putSellerHandler({ payouts: payoutsTableContext(), logger: new Logger() });
