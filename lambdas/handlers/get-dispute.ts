/** GET /v1/disputes/{dispute_id} (see lambdas/refunds/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { getDisputeHandler } from '../refunds/api';
import { readOnlyMoneyBack } from '../refunds/read-wiring';

export const handler = getDisputeHandler({ refunds: readOnlyMoneyBack(), logger: new Logger() });
