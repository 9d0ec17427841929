/** Pause or resume a seller's payouts for the operator (see lambdas/operator/api.ts), audited. */
import { Logger } from '@aws-lambda-powertools/logger';
import { IdempotencyStore } from '../api/idempotency';
import { operatorPayoutsHandler } from '../operator/api';
import { payoutsTableContext } from '../payouts/table-wiring';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { secretValue } from '../shared/secrets';

const db = documentClient();

export const handler = operatorPayoutsHandler({
  payouts: payoutsTableContext(),
  audit: { db, table: resource('table', 'operator-audit') },
  idempotency: new IdempotencyStore(db, resource('table', 'idempotency')),
  operatorKey: () => secretValue('operator-api-key'),
  logger: new Logger(),
});
