/**
 * What the reconciliation handlers share, built once per container from the environment the manifest sets:
 * tables, queues, the payments context for repairs, the PSP (to confirm a payment, and its balance API).
 */

import { StripePaymentProvider, stripeClientFromEnv } from '../psp/stripe-provider';
import { moneyBackDependencies } from '../refunds/wiring';
import { documentClient, s3Client, sqsClient } from '../shared/aws-clients';
import { optionalEnv, resource } from '../shared/config';
import { logger } from '../shared/logger';
import { rebuiltOnRotation } from '../shared/secrets';
import { paymentsContext } from '../shared/wiring';
import { StripeBalanceSource } from './psp-balance';
import type { FeeSchedule, RunContext } from './run';

function feeSchedule(): FeeSchedule | undefined {
  const text = optionalEnv('PSP_FEE_SCHEDULE', '');
  if (!text) return undefined;
  const parsed = JSON.parse(text) as { basis_points?: unknown; fixed_minor?: unknown };
  const basisPoints = Number(parsed.basis_points);
  const fixedMinor = Number(parsed.fixed_minor);
  if (!Number.isInteger(basisPoints) || !Number.isInteger(fixedMinor)) {
    throw new Error('PSP_FEE_SCHEDULE must be {"basis_points": int, "fixed_minor": int}');
  }
  return { basisPoints, fixedMinor };
}

/** What a run needs, with the current Stripe key (rebuilt after a rotation). */
export const runContext: () => Promise<RunContext> = rebuiltOnRotation('stripe-api-key', (apiKey) => {
  const stripe = stripeClientFromEnv(apiKey, 'RECON_PSP_TIMEOUT_MS', 10_000, { maxNetworkRetries: 3 });
  const fees = feeSchedule();
  const payments = paymentsContext();
  return {
    db: documentClient(),
    s3: s3Client(),
    sqs: sqsClient(),
    tables: {
      payments: payments.tables.payments,
      ledger: payments.tables.ledger,
      wallets: payments.tables.wallets,
      reconciliation: resource('table', 'reconciliation'),
      payouts: resource('table', 'payouts'),
    },
    queues: {
      finance: resource('queue', 'reconciliation-breaks'),
      investigation: resource('queue', 'reconciliation-investigation'),
    },
    payments,
    psp: new StripePaymentProvider(stripe),
    moneyBack: moneyBackDependencies((message, data) => logger.info(message, data)),
    balance: new StripeBalanceSource(stripe),
    settlementWindowMs: Number(optionalEnv('SETTLEMENT_WINDOW_HOURS', '48')) * 3_600_000,
    ...(fees ? { fees } : {}),
    internalChecks: optionalEnv('RECONCILE_INTERNAL_CHECKS', 'true') === 'true',
  };
});
