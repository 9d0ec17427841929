/** GET /v1/payments/{payment_order_id}: an order's status and history (see lambdas/api/payments-api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { readOnlyPaymentsContext } from '../api/config';
import { getPaymentOrderHandler } from '../api/payments-api';
import { documentClient } from '../shared/aws-clients';

export const handler = getPaymentOrderHandler({
  payments: readOnlyPaymentsContext(documentClient()),
  logger: new Logger(),
});
