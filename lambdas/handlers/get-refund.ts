/** GET /v1/refunds/{refund_id} (see lambdas/refunds/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { getRefundHandler } from '../refunds/api';
import { readOnlyMoneyBack } from '../refunds/read-wiring';

export const handler = getRefundHandler({ refunds: readOnlyMoneyBack(), logger: new Logger() });
