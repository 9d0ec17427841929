/** The operator's reads (see lambdas/operator/api.ts): payments and timelines, sellers, webhook events, audit. */
import { Logger } from '@aws-lambda-powertools/logger';
import { readOnlyPaymentsContext } from '../api/config';
import { operatorReadHandler } from '../operator/api';
import { documentClient } from '../shared/aws-clients';
import { resource, secretValue } from '../shared/config';

const db = documentClient();

export const handler = operatorReadHandler({
  payments: readOnlyPaymentsContext(db),
  ledger: { db, tables: { ledger: resource('table', 'ledger'), wallets: resource('table', 'wallets') } },
  inbox: { db, table: resource('table', 'webhook-events') },
  audit: { db, table: resource('table', 'operator-audit') },
  operatorKey: () => secretValue('operator-api-key'),
  logger: new Logger(),
});
