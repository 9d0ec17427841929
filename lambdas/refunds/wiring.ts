/** Builds what the refund and dispute handlers share, once per container, from the function's environment. */

import { envVarFor } from '../../lib/manifest/naming';
import { stripeClientFromEnv } from '../psp/stripe-provider';
import { attentionIfGranted } from '../shared/attention-wiring';
import { documentClient } from '../shared/aws-clients';
import { optionalEnv, resource } from '../shared/config';
import { rebuiltOnRotation } from '../shared/secrets';
import { policyFromEnv } from './config';
import { refundMetrics } from './metrics';
import { type MoneyBackProvider, StripeMoneyBackProvider } from './psp';
import type { RefundDependencies } from './service';

let deps: RefundDependencies | undefined;

const granted = (kind: 'table', id: string) => Boolean(process.env[envVarFor(kind, id)]);
/** Refunds and reversals at the PSP, with the current Stripe key (rebuilt after a rotation). */
const moneyBackProvider: () => Promise<MoneyBackProvider> = rebuiltOnRotation(
  'stripe-api-key',
  (apiKey) => new StripeMoneyBackProvider(stripeClientFromEnv(apiKey, 'PSP_TIMEOUT_MS', 5_000)),
);

export function moneyBackDependencies(
  log?: (message: string, data: Record<string, unknown>) => void,
): RefundDependencies {
  deps ??= {
    ctx: {
      db: documentClient(),
      tables: {
        payments: resource('table', 'payments'),
        ledger: resource('table', 'ledger'),
        wallets: resource('table', 'wallets'),
        // Granted where a paid-out seller's transfer is reversed for a refund (reversals.ts).
        ...(granted('table', 'payouts') ? { payouts: resource('table', 'payouts') } : {}),
      },
      policy: policyFromEnv(process.env),
      commissionBps: Number(optionalEnv('PLATFORM_COMMISSION_BPS', '0')),
      metrics: refundMetrics(),
      ...attentionIfGranted(),
    },
    attentionAfterHours: Number(optionalEnv('REFUND_ATTENTION_AFTER_HOURS', '24')),
    psp: moneyBackProvider,
    ...(log ? { log } : {}),
  };
  return deps;
}

// The read-only functions' dependencies live apart (./read-wiring.ts): importing this module loads the SDK.
export { readOnlyMoneyBack } from './read-wiring';
