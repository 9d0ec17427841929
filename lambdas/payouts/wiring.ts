/**
 * Builds what the pay-out handlers share, once per container: the payouts context (tables from the
 * manifest's variables), the provider (Stripe Connect, or the local simulator when PSP_API_BASE is set), the
 * workflow callbacks and starter, and the timings (shortened by environment in local runs and tests).
 */
import {
  ExecutionAlreadyExists,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { envVarFor } from '../../lib/manifest/naming';
import { powertoolsMetrics } from '../attention/metrics';
import { attentionSink } from '../attention/store';
import { stripeClientFromEnv } from '../psp/stripe-provider';
import { documentClient, sfnClient } from '../shared/aws-clients';
import { optionalEnv, resource } from '../shared/config';
import { logger } from '../shared/logger';
import { businessMetrics } from '../shared/metrics';
import { rebuiltOnRotation } from '../shared/secrets';
import { type CreateTiming, DEFAULT_CREATE_TIMING } from './create';
import { DEFAULT_LEASE_MS, DEFAULT_RECHECK_MS, type ExecutorDependencies } from './executor';
import type { Payout, ProviderKind } from './model';
import { PayeeNetworkProvider } from './payee-network';
import type { PayoutProvider } from './port';
import { StripeConnectProvider } from './stripe-connect';

let payeeProvider: (() => Promise<PayoutProvider>) | undefined;

// The table-only contexts live apart (./table-wiring.ts): importing this module loads the Stripe SDK.
export { payoutsContext, payoutsTableContext } from './table-wiring';

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

export function createTiming(): CreateTiming {
  return {
    holdTtlMs: Number(optionalEnv('PAYOUT_HOLD_TTL_MS', String(DEFAULT_CREATE_TIMING.holdTtlMs))),
    firstCheckMs: Number(optionalEnv('PAYOUT_FIRST_CHECK_MS', String(DEFAULT_CREATE_TIMING.firstCheckMs))),
  };
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
    ...(process.env[envVarFor('table', 'attention')]
      ? {
          attention: attentionSink({
            db: documentClient(),
            table: resource('table', 'attention'),
            metrics: powertoolsMetrics(),
          }),
        }
      : {}),
  };
}

const DEFAULT_AWAIT_SECONDS: Readonly<Record<ProviderKind, number>> = {
  stripe_connect: 2 * 86_400,
  payee_network: 5 * 86_400,
};

/**
 * How long the workflow waits for the provider's result before it looks the payout up: the provider's usual
 * time (`PAYOUT_AWAIT_SECONDS_<PROVIDER>`), read when the workflow starts.
 */
export function awaitSecondsFor(provider: ProviderKind): number {
  const fallback = DEFAULT_AWAIT_SECONDS[provider] ?? DEFAULT_AWAIT_SECONDS.stripe_connect;
  const configured = Number(process.env[`PAYOUT_AWAIT_SECONDS_${provider.toUpperCase()}`] ?? fallback);
  return Number.isInteger(configured) && configured >= 1 ? configured : fallback;
}

/** Starts the pay-out workflow, named after the payout (Standard: a second start of the same one is refused). */
export function payoutWorkflowStarter(stateMachineArn: string): (payout: Payout) => Promise<void> {
  return async (payout) => {
    try {
      await sfnClient().send(
        new StartExecutionCommand({
          stateMachineArn,
          name: payout.payout_id,
          input: JSON.stringify({
            payout_id: payout.payout_id,
            await_timeout_seconds: awaitSecondsFor(payout.provider ?? 'stripe_connect'),
          }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  };
}
