/**
 * What starting a payout needs, without the providers (./wiring.ts, which loads the Stripe SDK): the timings
 * of a new payout and the pay-out workflow's starter, with the provider's usual time as its wait. So the
 * function that creates payouts loads no payout provider.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from '../shared/aws-clients';
import { optionalEnv } from '../shared/config';
import { type CreateTiming, DEFAULT_CREATE_TIMING } from './create';
import type { Payout, ProviderKind } from './model';

export function createTiming(): CreateTiming {
  return {
    holdTtlMs: Number(optionalEnv('PAYOUT_HOLD_TTL_MS', String(DEFAULT_CREATE_TIMING.holdTtlMs))),
    firstCheckMs: Number(optionalEnv('PAYOUT_FIRST_CHECK_MS', String(DEFAULT_CREATE_TIMING.firstCheckMs))),
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
