/** POST /v1/payments/{payment_order_id}/refunds (see lambdas/refunds/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { IdempotencyStore } from '../api/idempotency';
import { createRefundHandler } from '../refunds/api';
import { moneyBackDependencies } from '../refunds/wiring';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';

const logger = new Logger();

export const handler = createRefundHandler({
  refunds: moneyBackDependencies((message, data) => logger.warn(message, data)),
  idempotency: new IdempotencyStore(documentClient(), resource('table', 'idempotency')),
  logger,
});
