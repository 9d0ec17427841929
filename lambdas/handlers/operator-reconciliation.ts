/**
 * Reconciliation for the operator (see lambdas/operator/api.ts): the days' reports and the resolution of a
 * break (accept, link, write off) through resolveBreak, the code the resolve-reconciliation-break function runs.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { IdempotencyStore } from '../api/idempotency';
import { operatorReconciliationHandler } from '../operator/api';
import { documentClient, s3Client } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { secretValue } from '../shared/secrets';

const db = documentClient();
const tables = {
  payments: resource('table', 'payments'),
  ledger: resource('table', 'ledger'),
  wallets: resource('table', 'wallets'),
  reconciliation: resource('table', 'reconciliation'),
  payouts: resource('table', 'payouts'),
};
const store = { db, table: tables.reconciliation };

export const handler = operatorReconciliationHandler({
  reads: { store, s3: s3Client(), bucket: resource('bucket', 'settlements') },
  resolve: {
    store,
    ledger: { db, tables: { ledger: tables.ledger, wallets: tables.wallets } },
    tables: { payments: tables.payments, ledger: tables.ledger, payouts: tables.payouts },
  },
  audit: { db, table: resource('table', 'operator-audit') },
  idempotency: new IdempotencyStore(db, resource('table', 'idempotency')),
  operatorKey: () => secretValue('operator-api-key'),
  logger: new Logger(),
});
