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
import { createStripeClient } from '../psp/stripe-provider';
import { documentClient, sfnClient } from '../shared/aws-clients';
import { optionalEnv, resource, secretValue } from '../shared/config';
import { logger } from '../shared/logger';
import { type CreateTiming, DEFAULT_CREATE_TIMING } from './create';
import { DEFAULT_RECHECK_MS, type ExecutorDependencies } from './executor';
import type { Payout } from './model';
import type { PayoutProvider } from './port';
import type { PayoutsContext } from './store';
import { StripeConnectProvider } from './stripe-connect';

let ctx: PayoutsContext | undefined;
let settingsCtx: PayoutsContext | undefined;
let provider: Promise<PayoutProvider> | undefined;

export function payoutsContext(): PayoutsContext {
  ctx ??= {
    db: documentClient(),
    tables: {
      payouts: resource('table', 'payouts'),
      ledger: resource('table', 'ledger'),
      wallets: resource('table', 'wallets'),
    },
  };
  return ctx;
}

/**
 * For functions granted only the payouts table (seller settings, pause, payout reads): no ledger or wallet
 * names, so a call that would move money fails loudly instead of reaching tables the function has no
 * permission on (like `ordersContext` in lambdas/shared/wiring.ts).
 */
export function payoutsTableContext(): PayoutsContext {
  settingsCtx ??= {
    db: documentClient(),
    tables: { payouts: resource('table', 'payouts'), ledger: '', wallets: '' },
  };
  return settingsCtx;
}

export function payoutProvider(): Promise<PayoutProvider> {
  provider ??= secretValue('stripe-api-key').then(
    (apiKey) =>
      new StripeConnectProvider(
        createStripeClient({
          apiKey,
          ...(process.env.PSP_API_BASE ? { apiBase: process.env.PSP_API_BASE } : {}),
          timeoutMs: Number(optionalEnv('PSP_TIMEOUT_MS', '5000')),
        }),
      ),
  );
  provider.catch(() => {
    provider = undefined;
  });
  return provider;
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
  return {
    provider: await payoutProvider(),
    notifyWorkflow,
    log: (message, data) => (data.alarm ? logger.error(message, data) : logger.info(message, data)),
    recheckMs: Number(optionalEnv('PAYOUT_RECHECK_MS', String(DEFAULT_RECHECK_MS))),
  };
}

/** Starts the pay-out workflow, named after the payout (Standard: a second start of the same one is refused). */
export function payoutWorkflowStarter(stateMachineArn: string): (payout: Payout) => Promise<void> {
  return async (payout) => {
    try {
      await sfnClient().send(
        new StartExecutionCommand({
          stateMachineArn,
          name: payout.payout_id,
          input: JSON.stringify({ payout_id: payout.payout_id }),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  };
}
