/** POST /v1/payments: validate, then submit the checkout (see lambdas/api/payments-api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DEFAULT_CANCEL_URL,
  DEFAULT_HOSTED_PAGE_TTL_MINUTES,
  DEFAULT_SUCCESS_URL,
  integerEnv,
  MIN_HOSTED_PAGE_TTL_MINUTES,
  urlTemplateEnv,
} from '../api/config';
import { IdempotencyStore } from '../api/idempotency';
import { payInWorkflowStarter } from '../api/pay-in-workflow';
import { createPaymentHandler } from '../api/payments-api';
import { documentClient, sfnClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { instrumented } from '../shared/observability';
import { paymentProvider } from '../shared/psp-wiring';
import { paymentsContext, paymentTiming, riskProvider } from '../shared/wiring';

const startWorkflow = payInWorkflowStarter(sfnClient(), resource('stateMachine', 'pay-in'));
const hostedPage = {
  successUrl: urlTemplateEnv('HOSTED_SUCCESS_URL', DEFAULT_SUCCESS_URL),
  cancelUrl: urlTemplateEnv('HOSTED_CANCEL_URL', DEFAULT_CANCEL_URL),
  ttlMs:
    integerEnv(
      'HOSTED_PAGE_TTL_MINUTES',
      DEFAULT_HOSTED_PAGE_TTL_MINUTES,
      MIN_HOSTED_PAGE_TTL_MINUTES,
      24 * 60 - 1,
    ) * 60_000,
};
const timing = paymentTiming();

const handle = createPaymentHandler({
  payments: paymentsContext(),
  logger: new Logger(),
  idempotency: new IdempotencyStore(documentClient(), resource('table', 'idempotency')),
  // The PSP client is built on first use (its key is a secret) and kept for the container's life.
  submit: async () => ({
    psp: await paymentProvider(),
    risk: riskProvider(),
    startWorkflow,
    hostedPage,
    timing,
  }),
});

export const handler = instrumented(handle);
