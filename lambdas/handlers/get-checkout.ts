/** GET /v1/checkouts/{checkout_id}: a checkout, is_payment_done and its orders (see lambdas/api/payment-reads.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { readOnlyPaymentsContext } from '../api/config';
import { getCheckoutHandler } from '../api/payment-reads';
import { documentClient } from '../shared/aws-clients';
import { instrumented } from '../shared/observability';

const handle = getCheckoutHandler({
  payments: readOnlyPaymentsContext(documentClient()),
  logger: new Logger(),
});

export const handler = instrumented(handle);
