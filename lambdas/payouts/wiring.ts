/**
 * Builds what the pay-out handlers share, once per container: the payouts context (tables from the
 * manifest's variables), the provider (Stripe Connect, or the local simulator when PSP_API_BASE is set), the
 * workflow callbacks, and (re-exported from ./workflow-wiring.ts) the starter and the timings, shortened by
 * environment in local runs and tests.
 */
import { SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { stripeClientFromEnv } from '../psp/stripe-provider';
import { attentionIfGranted } from '../shared/attention-wiring';
import { sfnClient } from '../shared/aws-clients';
import { optionalEnv } from '../shared/config';
import { logger } from '../shared/logger';
import { businessMetrics } from '../shared/metrics';
import { rebuiltOnRotation } from '../shared/secrets';
import { DEFAULT_LEASE_MS, DEFAULT_RECHECK_MS, type ExecutorDependencies } from './executor';
import { PayeeNetworkProvider } from './payee-network';
import type { PayoutProvider } from './port';
import { StripeConnectProvider } from './stripe-connect';

let payeeProvider: (() => Promise<PayoutProvider>) | undefined;

// The table-only contexts and the workflow starter live apart (./table-wiring.ts, ./workflow-wiring.ts):
// importing this module loads the Stripe SDK.
export { payoutsContext, payoutsTableContext } from './table-wiring';
export { awaitSecondsFor, createTiming, payoutWorkflowStarter } from './workflow-wiring';

/** Stripe Connect, with the current Stripe key (rebuilt after a rotation). */
export const payoutProvider: () => Promise<PayoutProvider> = rebuiltOnRotation(
  'stripe-api-key',
  (apiKey) => new StripeConnectProvider(stripeClientFromEnv(apiKey, 'PSP_TIMEOUT_MS', 5_000)),
);

/**
 * The payee network (the asynchronous provider), when its API base is configured (`PAYEE_API_BASE`; locally
 * the simulator's `/payee`). Without it, a payout to a payee fails loudly as `provider_not_configured` (its
 * hold stays reserved and the execution alarms) instead of being sent anywhere else.
 */
export function payeeNetworkProvider(): Promise<PayoutProvider | undefined> {
  const apiBase = process.env.PAYEE_API_BASE;
  if (!apiBase) return Promise.resolve(undefined);
  payeeProvider ??= rebuiltOnRotation(
    'payee-api-key',
    (apiKey) =>
      new PayeeNetworkProvider({
        apiBase,
        apiKey,
        timeoutMs: Number(optionalEnv('PSP_TIMEOUT_MS', '5000')),
      }),
  );
  return payeeProvider();
}

/** Answers a waiting pay-out workflow; a token already answered or timed out is fine (the lookup path runs). */
async function notifyWorkflow(token: string, output: { payout_id: string; status: string }): Promise<void> {
  try {
    await sfnClient().send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  } catch (error) {
    if (error instanceof TaskDoesNotExist || error instanceof TaskTimedOut) return;
    if ((error as { name?: string }).name === 'TaskDoesNotExist') return;
    throw error;
  }
}

export async function executorDependencies(): Promise<ExecutorDependencies> {
  const payees = await payeeNetworkProvider();
  return {
    provider: await payoutProvider(),
    ...(payees ? { providers: { payee_network: payees } } : {}),
    notifyWorkflow,
    log: (message, data) => {
      if (data.alarm) logger.error(message, data);
      else logger.info(message, data);
      // The business metrics of the outcomes (the dashboard, and the unhandled-event alarm).
      if (data.event === 'payout.paid')
        businessMetrics.payoutSucceeded(Number(data.amount_minor ?? 0), String(data.currency ?? ''));
      else if (data.event === 'payout.failed' || data.event === 'payout.returned')
        businessMetrics.payoutFailed();
      if (data.alarm === 'UnhandledProviderEvent') businessMetrics.unhandledPayoutProviderEvent();
    },
    recheckMs: Number(optionalEnv('PAYOUT_RECHECK_MS', String(DEFAULT_RECHECK_MS))),
    // How long a run's claim on a payout holds when its holder died without releasing it (15 min on AWS).
    leaseMs: Number(optionalEnv('PAYOUT_LEASE_MS', String(DEFAULT_LEASE_MS))),
    // Functions granted the attention table record what a person must act on (a stuck payout).
    ...attentionIfGranted(),
  };
}
