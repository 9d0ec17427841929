/**
 * The operator's reads (see lambdas/operator/api.ts): payments and timelines, sellers (with payouts, refunds,
 * disputes), webhook events, needs-attention records, audit.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { readOnlyPaymentsContext } from '../api/config';
import { operatorReadHandler } from '../operator/api';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { secretValue } from '../shared/secrets';

const db = documentClient();

export const handler = operatorReadHandler({
  payments: readOnlyPaymentsContext(db),
  ledger: { db, tables: { ledger: resource('table', 'ledger'), wallets: resource('table', 'wallets') } },
  inbox: { db, table: resource('table', 'webhook-events') },
  audit: { db, table: resource('table', 'operator-audit') },
  attention: { db, table: resource('table', 'attention') },
  // Granted the payouts table only (read): no ledger or wallet names here.
  payouts: { db, tables: { payouts: resource('table', 'payouts'), ledger: '', wallets: '' } },
  reconciliation: { db, table: resource('table', 'reconciliation') },
  operatorKey: () => secretValue('operator-api-key'),
  logger: new Logger(),
});
