/**
 * Runs the manifest's functions in this process, the way Lambda would: the handler module is loaded once
 * (cold start), each invocation gets a context with a request id and a deadline, and an invocation that
 * outlives the function's timeout fails as "Task timed out".
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { type FunctionSpec, type Manifest, memoryOf } from '../lib/manifest';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './engines/local-aws';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Wraps each handler call (the chaos run's crash injection, sandbox/crash-injection.ts): it may call the
 * handler with part of the event, or throw after it resolved. None by default.
 */
export type InvocationWrapper = (
  functionId: string,
  event: unknown,
  call: (event: unknown) => Promise<unknown>,
) => Promise<unknown>;

/** Which function's invocation the current async context belongs to (the meter attributes calls by it). */
const invocationScope = new AsyncLocalStorage<string>();

/** The function whose invocation is running here (this call's async context), if any. */
export const runningFunctionId = (): string | undefined => invocationScope.getStore();

export class FunctionTimeoutError extends Error {
  constructor(functionId: string, seconds: number) {
    super(`${functionId}: Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

export interface InvocationRecord {
  readonly functionId: string;
  readonly requestId: string;
  readonly durationMs: number;
  readonly error?: string;
}

export class LambdaHost {
  private readonly specs: Map<string, FunctionSpec>;
  private readonly loaded = new Map<string, Promise<Handler>>();
  private readonly listeners: ((record: InvocationRecord) => void)[] = [];
  /** Invocations waiting for a slot, for functions with reserved concurrency. */
  private readonly slots = new Map<string, { running: number; waiting: (() => void)[] }>();
  private wrapper: InvocationWrapper | undefined;

  constructor(
    manifest: Manifest,
    private readonly rootDir: string,
    private readonly functionNameOf: (id: string) => string,
  ) {
    this.specs = new Map(manifest.functions.map((fn) => [fn.id, fn]));
  }

  spec(functionId: string): FunctionSpec {
    const spec = this.specs.get(functionId);
    if (!spec) throw new Error(`function ${functionId} is not declared in the manifest`);
    return spec;
  }

  onInvocation(listener: (record: InvocationRecord) => void): void {
    this.listeners.push(listener);
  }

  /** Sets (or, with undefined, removes) the wrapper of every handler call. */
  wrapInvocations(wrapper: InvocationWrapper | undefined): void {
    this.wrapper = wrapper;
  }

  arnOf(functionId: string): string {
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.functionNameOf(functionId)}`;
  }

  private load(functionId: string): Promise<Handler> {
    let handler = this.loaded.get(functionId);
    if (!handler) {
      const spec = this.spec(functionId);
      handler = import(pathToFileURL(resolve(this.rootDir, spec.entry)).href).then(
        (module: { handler?: unknown }) => {
          if (typeof module.handler !== 'function')
            throw new Error(`${spec.entry} does not export a handler`);
          return module.handler as Handler;
        },
      );
      this.loaded.set(functionId, handler);
    }
    return handler;
  }

  /** Loads every handler now, so a broken module fails the start rather than the first request. */
  async loadAll(): Promise<void> {
    await Promise.all([...this.specs.keys()].map((id) => this.load(id)));
  }

  /**
   * Invokes a function. The event and the result cross as JSON, as they do on Lambda (a bigint or a class
   * instance would not survive there either). Reserved concurrency is honoured by queueing (on AWS the excess
   * is throttled and retried by the caller).
   */
  async invoke(functionId: string, event: unknown): Promise<unknown> {
    const spec = this.spec(functionId);
    const release = await this.acquire(spec);
    try {
      const result = await this.run(spec, JSON.parse(JSON.stringify(event ?? null)));
      return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
    } finally {
      release();
    }
  }

  private async acquire(spec: FunctionSpec): Promise<() => void> {
    const limit = spec.reservedConcurrency;
    if (limit === undefined) return () => undefined;
    const slot = this.slots.get(spec.id) ?? { running: 0, waiting: [] };
    this.slots.set(spec.id, slot);
    while (slot.running >= limit) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    slot.running++;
    return () => {
      slot.running--;
      slot.waiting.shift()?.();
    };
  }

  private async run(spec: FunctionSpec, event: unknown): Promise<unknown> {
    const functionId = spec.id;
    const handler = await this.load(functionId);
    const requestId = randomUUID();
    const started = Date.now();
    const deadline = started + spec.timeoutSeconds * 1000;
    const name = this.functionNameOf(functionId);
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arnOf(functionId),
      memoryLimitInMB: String(memoryOf(spec)),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: `local/${requestId}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(functionId, spec.timeoutSeconds)),
        deadline - started,
      );
    });
    try {
      const call = (input: unknown) => handler(input, context);
      const wrapper = this.wrapper;
      const work = invocationScope.run(functionId, () =>
        wrapper ? wrapper(functionId, event, call) : call(event),
      );
      const result = await Promise.race([work, timeout]);
      this.emit({ functionId, requestId, durationMs: Date.now() - started });
      return result;
    } catch (error) {
      this.emit({ functionId, requestId, durationMs: Date.now() - started, error: describeError(error) });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private emit(record: InvocationRecord): void {
    for (const listener of this.listeners) listener(record);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
