/**
 * Functions that die at chosen points, for the chaos run: deterministic dice from a seed, drawn per (what
 * crashes, n-th pass through it). The seed fixes which passes through each point crash (the 3rd pass
 * through `payout.advanced`, say), whatever the run's ids are (they hold times and random parts); which
 * order or payout that pass is on depends on timing. So a point passed N times crashes the same number of
 * times in every run with the seed. Three kinds:
 * - `afterPsp`: at a `crashPoint(name, subject)` in the code (lambdas/shared/crash-point.ts), after the PSP
 *   answered and before anything of it is written. The process died: the invocation fails with
 *   `Runtime.ExitError` whatever its code did with the thrown crash (a catch, middy's error handlers: their
 *   answer never reaches the caller; an API route answers 502, as API Gateway does). The pay-in workflow
 *   leaves the order to the sweeper; the pay-out workflow retries its submit (which looks up before it
 *   creates); a storefront retries an API request under its Idempotency-Key. Code after the throw still runs
 *   here (a catch, a finally), but a dead process sends nothing: every AWS call it makes from then on (a
 *   catch's write, a lease's or an idempotency claim's release) fails unsent, and so does every request to a
 *   provider (the PSP through the Stripe SDK, the payee network: `outboundCall`), counted as `afterDeath`.
 * - `afterStep`: a workflow step's function did all its work, then its answer is lost: thrown after the
 *   handler's promise resolved, as `Lambda.ServiceException`, which the state machines retry.
 * - `midBatch`: a batch consumer (a table stream's, with two or more records) dies after handling part of its
 *   batch: the handler is called with the first records only, then the invocation fails (the whole batch is
 *   retried, as on AWS).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  MetadataBearer,
} from '@smithy/types';
import { setCrashHook, setOutboundHook } from '../lambdas/shared/crash-point';
import type { LambdaHost } from './lambda-host';
import { seededRng } from './psp/random';

export interface CrashOptions {
  readonly seed: string | number;
  /** Probability that one pass through a crash point crashes (0..1). */
  readonly afterPsp: number;
  /** Per crash point, instead of `afterPsp`. */
  readonly afterPspAt?: Readonly<Record<string, number>>;
  /** Probability that one invocation of `stepFunctions` loses its answer after the work (0..1). */
  readonly afterStep: number;
  readonly stepFunctions: readonly string[];
  /** Probability that one invocation of `batchFunctions` with 2+ records dies mid-batch (0..1). */
  readonly midBatch: number;
  readonly batchFunctions: readonly string[];
  /** The functions' AWS SDK clients: what a dead invocation sends through them is not sent. */
  readonly awsClients?: readonly SdkClient[];
}

/** Any AWS SDK v3 client (only its middleware stack is used). */
export interface SdkClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: InitializeHandler<object, MetadataBearer>,
        context: HandlerExecutionContext,
      ) => InitializeHandler<object, MetadataBearer>,
      options: { step: 'initialize'; name: string; override: boolean },
    ): void;
    remove(name: string): boolean;
  };
}

const DEAD_PROCESS_MIDDLEWARE = 'sandboxDeadProcessSendsNothing';

export interface CrashStats {
  /** Per kind, then per crash point or function: how many crashes were injected. */
  readonly afterPsp: Record<string, number>;
  readonly afterStep: Record<string, number>;
  readonly midBatch: Record<string, number>;
  /** Per SDK command: the calls a crashed invocation's remaining code tried, none of them sent. */
  readonly afterDeath: Record<string, number>;
}

export interface CrashInjection {
  readonly stats: CrashStats;
  disable(): void;
  remove(): void;
}

export class InjectedCrash extends Error {
  constructor(name: string, message: string) {
    super(`${message} (injected)`);
    this.name = name;
  }
}

export function installCrashInjection(host: LambdaHost, options: CrashOptions): CrashInjection {
  const stats: CrashStats = { afterPsp: {}, afterStep: {}, midBatch: {}, afterDeath: {} };
  const attempts = new Map<string, number>();
  let enabled = true;
  /**
   * One roll per (kind, what, n-th pass): the same seed crashes the same passes. Answers the dice when it
   * crashes (to draw more from), undefined when not.
   */
  const rolls = (what: string, probability: number) => {
    const attempt = (attempts.get(what) ?? 0) + 1;
    attempts.set(what, attempt);
    const dice = seededRng(options.seed, `${what}#${attempt}`);
    return enabled && dice() < probability ? dice : undefined;
  };
  const count = (kind: Record<string, number>, key: string) => {
    kind[key] = (kind[key] ?? 0) + 1;
  };
  const steps = new Set(options.stepFunctions);
  const batches = new Set(options.batchFunctions);

  // The invocation a crash point runs in: once it crashed there, the invocation is dead.
  const dying = new AsyncLocalStorage<{ crash?: InjectedCrash }>();
  setCrashHook((name, subject) => {
    if (!rolls(`point ${name}`, options.afterPspAt?.[name] ?? options.afterPsp)) return;
    count(stats.afterPsp, name);
    const crash = new InjectedCrash('Runtime.ExitError', `crashed at ${name} for ${subject}`);
    const invocation = dying.getStore();
    if (invocation) invocation.crash ??= crash;
    throw crash;
  });

  // A provider request (the PSP, the payee network) from a dead invocation is not sent either.
  setOutboundHook((target) => {
    const crash = dying.getStore()?.crash;
    if (!crash) return;
    count(stats.afterDeath, target);
    throw crash;
  });

  for (const client of options.awsClients ?? []) {
    client.middlewareStack.add(
      (next, context) => async (args: InitializeHandlerArguments<object>) => {
        const crash = dying.getStore()?.crash;
        if (!crash) return next(args);
        count(stats.afterDeath, context.commandName ?? 'call');
        throw crash;
      },
      { step: 'initialize', name: DEAD_PROCESS_MIDDLEWARE, override: true },
    );
  }

  /** Faults of a workflow step's answer and of a batch, around one invocation. */
  const invoke = async (functionId: string, event: unknown, call: (event: unknown) => Promise<unknown>) => {
    const records = (event as { Records?: unknown[] } | null)?.Records;
    if (batches.has(functionId) && Array.isArray(records) && records.length > 1) {
      const dice = rolls(`batch ${functionId}`, options.midBatch);
      if (dice) {
        const handled = 1 + Math.floor(dice() * (records.length - 1));
        await call({ ...(event as object), Records: records.slice(0, handled) });
        count(stats.midBatch, functionId);
        throw new InjectedCrash(
          'Runtime.ExitError',
          `${functionId} died after ${handled} of ${records.length} records`,
        );
      }
      return call(event);
    }
    if (!steps.has(functionId)) return call(event);
    const result = await call(event);
    if (rolls(`step ${functionId}`, options.afterStep)) {
      count(stats.afterStep, functionId);
      throw new InjectedCrash('Lambda.ServiceException', `${functionId} did its work, its answer was lost`);
    }
    return result;
  };

  host.wrapInvocations(async (functionId, event, call) => {
    const invocation: { crash?: InjectedCrash } = {};
    try {
      const result = await dying.run(invocation, () => invoke(functionId, event, call));
      if (invocation.crash) throw invocation.crash;
      return result;
    } catch (error) {
      throw invocation.crash ?? error;
    }
  });

  return {
    stats,
    disable: () => {
      enabled = false;
    },
    remove: () => {
      for (const client of options.awsClients ?? []) client.middlewareStack.remove(DEAD_PROCESS_MIDDLEWARE);
      setCrashHook(undefined);
      setOutboundHook(undefined);
      host.wrapInvocations(undefined);
    },
  };
}
