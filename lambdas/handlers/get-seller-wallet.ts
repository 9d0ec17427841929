/** GET /v1/sellers/{seller_account}/wallet (see lambdas/api/wallets-api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import { getWalletHandler } from '../api/wallets-api';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { instrumented } from '../shared/observability';

const handle = getWalletHandler({
  ledger: {
    db: documentClient(),
    tables: { ledger: resource('table', 'ledger'), wallets: resource('table', 'wallets') },
  },
  logger: new Logger(),
});

export const handler = instrumented(handle);
