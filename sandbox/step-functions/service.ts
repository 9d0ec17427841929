/**
 * Step Functions, locally: state machines from the manifest's ASL files run on `aws-local-stepfunctions`, with
 * Task states bound to the handler modules. What the runner lacks is added here: executions that can be
 * described later, execution names that deduplicate as on AWS, and `.waitForTaskToken` (a token registry that
 * SendTaskSuccess / SendTaskFailure resolve).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Manifest, StateMachineSpec } from '../../lib/manifest';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../engines/local-aws';
import type { LambdaHost } from '../lambda-host';
import { type PreparedDefinition, prepareDefinition, replaceMarker, TIMEOUT_SECONDS_KEY } from './definition';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  readonly done: Promise<void>;
}

/** An error with an AWS error code, answered by the local API as `{ __type, message }`. */
export class StepFunctionsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** The error a task fails with when SendTaskFailure names one: Retry and Catch match on its name. */
class TaskFailure extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface PendingToken {
  readonly executionArn: string;
  resolve(output: unknown): void;
  reject(error: Error): void;
}

interface RegisteredMachine {
  readonly spec: StateMachineSpec;
  readonly arn: string;
  readonly prepared: PreparedDefinition;
  readonly machine: StateMachine;
}

export interface LocalStepFunctionsOptions {
  readonly rootDir: string;
  readonly nameOf: (id: string) => string;
  readonly queues: Readonly<Record<string, { url: string }>>;
  readonly sqs: SQSClient;
  /**
   * Overrides every Retry interval (ms), to make tests fast, except a retrier that waits in real time (see
   * REAL_TIME_RETRY_ERRORS); default: the ASL's own backoff.
   */
  readonly retryIntervalMs?: number;
  /** Overrides every Wait state (ms); default: the ASL's own durations. */
  readonly waitMs?: number;
}

export class LocalStepFunctions {
  private readonly machines = new Map<string, RegisteredMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new Map<string, PendingToken>();
  private readonly aborts = new Map<string, () => void>();
  /** Execution history listeners (metering: state transitions and the bytes CloudWatch would log). */
  private readonly eventListeners: ((stateMachineId: string, event: unknown) => void)[] = [];

  constructor(
    manifest: Manifest,
    private readonly host: LambdaHost,
    private readonly options: LocalStepFunctionsOptions,
  ) {
    const functionIdByArn = new Map(manifest.functions.map((fn) => [host.arnOf(fn.id), fn.id]));
    this.functionIdByArn = (arn: string) => {
      const byArn = functionIdByArn.get(arn);
      if (byArn) return byArn;
      // lambda:invoke also accepts a bare function name.
      const byName = manifest.functions.find((fn) => options.nameOf(fn.id) === arn);
      if (byName) return byName.id;
      throw new StepFunctionsError('Lambda.ResourceNotFoundException', `function ${arn} not found`);
    };
    for (const spec of manifest.stateMachines) this.register(spec);
  }

  private readonly functionIdByArn: (arn: string) => string;

  /** Hears every history event of executions started from now on (StateEntered, StateExited, ...). */
  onEvent(listener: (stateMachineId: string, event: unknown) => void): void {
    this.eventListeners.push(listener);
  }

  arnOf(id: string): string {
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${this.options.nameOf(id)}`;
  }

  private register(spec: StateMachineSpec): void {
    const substitutions: Record<string, string> = {};
    for (const [placeholder, fn] of Object.entries(spec.functionSubstitutions)) {
      substitutions[placeholder] = this.host.arnOf(fn);
    }
    for (const [placeholder, queue] of Object.entries(spec.queueSubstitutions ?? {})) {
      const url = this.options.queues[queue]?.url;
      if (!url) throw new Error(`state machine ${spec.id}: queue ${queue} is not provisioned`);
      substitutions[placeholder] = url;
    }
    const text = readFileSync(resolve(this.options.rootDir, spec.definitionFile), 'utf8');
    const prepared = prepareDefinition(text, substitutions);
    if (spec.type === 'EXPRESS' && prepared.usesTaskTokens) {
      throw new Error(`state machine ${spec.id}: Express workflows cannot wait for task tokens`);
    }
    const machine = new StateMachine(
      prepared.definition as unknown as ConstructorParameters<typeof StateMachine>[0],
      {
        validationOptions: { checkArn: false },
      },
    );
    this.machines.set(this.arnOf(spec.id), { spec, arn: this.arnOf(spec.id), prepared, machine });
  }

  startExecution(
    stateMachineArn: string,
    input: string | undefined,
    name: string | undefined,
  ): ExecutionRecord {
    const registered = this.machines.get(stateMachineArn);
    if (!registered)
      throw new StepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    const executionName = name ?? randomUUID();
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(executionName)) {
      throw new StepFunctionsError('InvalidName', `Invalid Name: '${executionName}'`);
    }
    const inputText = input ?? '{}';
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(inputText);
    } catch {
      throw new StepFunctionsError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: not JSON',
      );
    }
    const kind = registered.spec.type === 'EXPRESS' ? 'express' : 'execution';
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${kind}:${this.options.nameOf(registered.spec.id)}:${executionName}`;
    const existing = this.executions.get(executionArn);
    if (existing && registered.spec.type === 'STANDARD') {
      // As on AWS: the same name and input while running is idempotent; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === inputText) return existing;
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }

    const startDate = new Date();
    const execution = this.run(registered, executionArn, executionName, parsedInput, startDate);
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name: executionName,
      status: 'RUNNING',
      input: inputText,
      startDate,
      done: execution
        .then(
          (output) => {
            record.status = 'SUCCEEDED';
            record.output = JSON.stringify(output ?? null);
          },
          (error: unknown) => {
            const cause =
              error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
            record.status = cause?.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
            record.error = cause?.name ?? 'States.Runtime';
            record.cause = cause?.message ?? String(error);
          },
        )
        .finally(() => {
          record.stopDate = new Date();
          this.aborts.delete(executionArn);
          for (const [token, pending] of this.tokens)
            if (pending.executionArn === executionArn) this.tokens.delete(token);
        }),
    };
    this.executions.set(executionArn, record);
    return record;
  }

  private run(
    registered: RegisteredMachine,
    executionArn: string,
    name: string,
    input: unknown,
    startDate: Date,
  ): Promise<unknown> {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, integration] of registered.prepared.tasks) {
      handlers[stateName] = (taskInput) => this.runTask(executionArn, integration, taskInput);
    }
    const { retryIntervalMs, waitMs } = this.options;
    const prepared = registered.prepared;
    const retryOverrides =
      retryIntervalMs === undefined
        ? {}
        : Object.fromEntries(
            // Per retrier: a negative override keeps the ASL's own interval and backoff.
            [...prepared.retryingStates].map(([n, realTime]) => [
              n,
              realTime.map((keep) => (keep ? -1 : retryIntervalMs)),
            ]),
          );
    const waitOverrides =
      waitMs === undefined ? {} : Object.fromEntries(prepared.waitStates.map((n) => [n, waitMs]));
    const execution = registered.machine.run(input as Parameters<StateMachine['run']>[0], {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: retryOverrides,
        waitTimeOverrides: waitOverrides,
      },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: input as never,
          StartTime: startDate.toISOString(),
        },
        StateMachine: { Id: registered.arn, Name: this.options.nameOf(registered.spec.id) },
      },
    });
    this.aborts.set(executionArn, execution.abort);
    if (this.eventListeners.length) {
      const listeners = [...this.eventListeners];
      const id = registered.spec.id;
      void (async () => {
        for await (const event of execution.eventLogs) for (const listen of listeners) listen(id, event);
      })().catch(() => undefined);
    }
    return execution.result;
  }

  private async runTask(
    executionArn: string,
    integration: PreparedDefinition['tasks'] extends ReadonlyMap<string, infer T> ? T : never,
    input: unknown,
  ): Promise<unknown> {
    if (integration.kind === 'lambda') {
      return this.host.invoke(this.functionIdByArn(integration.functionArn), input);
    }
    const { [TIMEOUT_SECONDS_KEY]: _timeout, ...params } = (input ?? {}) as Record<string, unknown>;
    const waiting = integration.waitForTaskToken ? this.registerToken(executionArn) : undefined;
    const withToken = waiting ? (replaceMarker(params, waiting.token) as Record<string, unknown>) : params;
    try {
      if (integration.kind === 'lambda:invoke') {
        const functionId = this.functionIdByArn(String(withToken.FunctionName));
        const payload = await this.host.invoke(functionId, withToken.Payload ?? {});
        if (!waiting) return { ExecutedVersion: '$LATEST', Payload: payload ?? null, StatusCode: 200 };
      } else {
        const body = withToken.MessageBody;
        const sent = await this.options.sqs.send(
          new SendMessageCommand({
            QueueUrl: String(withToken.QueueUrl),
            MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
            ...(withToken.MessageGroupId ? { MessageGroupId: String(withToken.MessageGroupId) } : {}),
            ...(withToken.DelaySeconds !== undefined ? { DelaySeconds: Number(withToken.DelaySeconds) } : {}),
          }),
        );
        if (!waiting) return { MessageId: sent.MessageId, MD5OfMessageBody: sent.MD5OfMessageBody };
      }
    } catch (error) {
      if (waiting) this.tokens.delete(waiting.token);
      throw error;
    }
    return waiting?.result;
  }

  private registerToken(executionArn: string): { token: string; result: Promise<unknown> } {
    const token = randomBytes(48).toString('base64url');
    const result = new Promise<unknown>((resolve, reject) => {
      this.tokens.set(token, { executionArn, resolve, reject });
    });
    // The task may answer (SendTaskFailure) while the runner is still awaiting the call that handed out the
    // token, before anything awaits `result`: mark the rejection handled here; runTask still receives it.
    result.catch(() => undefined);
    return { token, result };
  }

  private takeToken(token: string): PendingToken {
    const pending = this.tokens.get(token);
    if (!pending) throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
    this.tokens.delete(token);
    return pending;
  }

  sendTaskSuccess(token: string, output: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new StepFunctionsError('InvalidOutput', 'Invalid Output: not JSON');
    }
    this.takeToken(token).resolve(parsed);
  }

  sendTaskFailure(token: string, error: string | undefined, cause: string | undefined): void {
    this.takeToken(token).reject(new TaskFailure(error ?? 'States.TaskFailed', cause ?? ''));
  }

  sendTaskHeartbeat(token: string): void {
    if (!this.tokens.has(token)) throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const record = this.executions.get(executionArn);
    if (!record)
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  stopExecution(executionArn: string): ExecutionRecord {
    const record = this.describeExecution(executionArn);
    this.aborts.get(executionArn)?.();
    return record;
  }

  listExecutions(stateMachineArn: string, status?: ExecutionStatus): ExecutionRecord[] {
    return [...this.executions.values()].filter(
      (e) => e.stateMachineArn === stateMachineArn && (status === undefined || e.status === status),
    );
  }

  /** Resolves when no execution is running (for tests and a clean stop). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0) return;
      await Promise.allSettled(running.map((e) => e.done));
    }
  }

  async stop(): Promise<void> {
    for (const abort of this.aborts.values()) abort();
    await Promise.allSettled([...this.executions.values()].map((e) => e.done));
  }
}
