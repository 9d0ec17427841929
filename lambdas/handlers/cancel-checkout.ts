/** POST /v1/checkouts/{checkout_id}/cancel: cancel a checkout (see lambdas/api/payments-api.ts, payments/cancel.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { IdempotencyStore } from '../api/idempotency';
import { cancelCheckoutHandler } from '../api/payments-api';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { instrumented } from '../shared/observability';
import { paymentProvider } from '../shared/psp-wiring';
import { paymentsContext, paymentTiming } from '../shared/wiring';

const handle = cancelCheckoutHandler({
  payments: paymentsContext(),
  logger: new Logger(),
  idempotency: new IdempotencyStore(documentClient(), resource('table', 'idempotency')),
  // The PSP client is built on first use (its key is a secret) and kept for the container's life.
  psp: paymentProvider,
  timing: paymentTiming(),
});

export const handler = instrumented(handle);
