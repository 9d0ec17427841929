/** GET /v1/payments/{payment_order_id}/refunds (see lambdas/refunds/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { listRefundsHandler } from '../refunds/api';
import { readOnlyMoneyBack } from '../refunds/read-wiring';

export const handler = listRefundsHandler({ refunds: readOnlyMoneyBack(), logger: new Logger() });
