/**
 * For read-only functions (granted only the payments table): nothing here can post or call the PSP. Apart from
 * ./wiring.ts, which builds the Stripe provider, so that these functions do not load the Stripe SDK.
 */
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { policyFromEnv } from './config';
import type { RefundDependencies } from './service';

export function readOnlyMoneyBack(): RefundDependencies {
  return {
    ctx: {
      db: documentClient(),
      tables: { payments: resource('table', 'payments'), ledger: '', wallets: '' },
      policy: policyFromEnv(process.env),
    },
    psp: () => Promise.reject(new Error('this function does not call the PSP')),
  };
}
