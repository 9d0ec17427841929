/**
 * Meters every billable AWS call the local system makes, so that a run can be priced (bench/cost.ts with the
 * price table in bench/prices.ts): API Gateway requests, Lambda invocations and their duration at each
 * function's configured memory, Step Functions executions and their duration, DynamoDB read and write units
 * (asked of DynamoDB itself with `ReturnConsumedCapacity: TOTAL`, added by a middleware), SQS, SNS and S3
 * requests, and the bytes the functions log. Counts only; prices live with the price table.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  HandlerExecutionContext,
  InitializeHandler,
  InitializeHandlerArguments,
  MetadataBearer,
} from '@smithy/types';
import { apiOf, type Manifest, memoryOf } from '../lib/manifest';
import { type LambdaHost, runningFunctionId } from './lambda-host';
import type { LocalStepFunctions } from './step-functions/service';

/** A history event as CloudWatch Logs stores it for a state machine logging ALL with execution data. */
const HISTORY_EVENT_OVERHEAD_BYTES = 220;

export interface FunctionUsage {
  invocations: number;
  /** Sum of each invocation's duration rounded up to 1 ms (Lambda bills per ms). */
  billedMs: number;
  memoryMb: number;
  /** Calls this function's invocations made (what its time waited on, for the modelled duration). */
  dynamoCalls: number;
  messagingCalls: number;
  pspCalls: number;
}

export interface Usage {
  /** Requests to the storefront's REST API (routes with `api: 'rest'`, the default). */
  restApiRequests: number;
  /** Requests to the webhooks HTTP API (routes with `api: 'webhooks'`): billed at the HTTP API's price. */
  httpApiRequests: number;
  functions: Record<string, FunctionUsage>;
  dynamo: {
    readUnits: number;
    writeUnits: number;
    calls: Record<string, number>;
    unmetered: number;
    /** Write units per table and operation (`<table> <operation>`), to see where a payment's writes go. */
    writeUnitsBy: Record<string, number>;
  };
  sqs: Record<string, number>;
  sns: Record<string, number>;
  s3: Record<string, number>;
  /** Queue event source mappings: one ReceiveMessage and one DeleteMessageBatch per batch handed over. */
  sqsPollBatches: number;
  /** Per state machine: executions, states entered (transitions) and the history CloudWatch would log. */
  stepFunctions: Record<string, { executions: number; transitions: number; historyBytes: number }>;
  logBytes: number;
  logLines: number;
  /** Requests the functions sent to the PSP, by `METHOD /path` with ids as `:id`. */
  psp: Record<string, number>;
}

const emptyUsage = (): Usage => ({
  restApiRequests: 0,
  httpApiRequests: 0,
  functions: {},
  dynamo: { readUnits: 0, writeUnits: 0, calls: {}, unmetered: 0, writeUnitsBy: {} },
  sqs: {},
  sns: {},
  s3: {},
  sqsPollBatches: 0,
  stepFunctions: {},
  logBytes: 0,
  logLines: 0,
  psp: {},
});

/** Stripe's id prefixes of what the functions call (pi_, cs_, re_, ...): an all-letter id is an id too. */
const ID_PREFIXES = 'pi|cs|re|tr|trr|po|acct|ch|evt|seti|pm|du|txn|pyr|cus';
const ID_SEGMENT = new RegExp(
  `/(?:(?:${ID_PREFIXES})_[A-Za-z0-9_]+|[a-z]+_(?=[A-Za-z_]*[0-9])[A-Za-z0-9_]+)`,
  'g',
);

/** `POST /v1/payment_intents/pi_123/confirm?x=1` -> `POST /v1/payment_intents/:id/confirm`. */
export const pspEndpointOf = (method: string, path: string): string =>
  // An id is a known prefix and an underscore, or any prefix followed by characters with a digit among them;
  // a resource name (payment_intents, balance_transactions) is neither.
  `${method} ${path.split('?')[0]?.replace(ID_SEGMENT, '/:id')}`;

/** Operations that accept ReturnConsumedCapacity. */
const CAPACITY_OPERATIONS = new Set([
  'GetCommand',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetCommand',
  'BatchWriteCommand',
  'TransactWriteCommand',
  'TransactGetCommand',
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'TransactGetItemsCommand',
]);

interface CapacityEntry {
  TableName?: string;
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READS = /^(Get|Query|Scan|BatchGet|TransactGet)/;

interface SdkClient {
  middlewareStack: { add: (...args: never[]) => void; remove: (name: string) => boolean };
}

export class Meter {
  /** What was metered since the start or the last `reset()`. */
  usage: Usage = emptyUsage();
  private enabled = true;
  private readonly memory: Map<string, number>;
  private readonly removals: (() => void)[] = [];

  constructor(
    private readonly manifest: Manifest,
    host: LambdaHost,
    stepFunctions: LocalStepFunctions,
  ) {
    stepFunctions.onEvent((id, event) => {
      if (!this.enabled) return;
      const machine = this.usage.stepFunctions[id] ?? { executions: 0, transitions: 0, historyBytes: 0 };
      this.usage.stepFunctions[id] = machine;
      const type = (event as { type?: string }).type ?? '';
      if (type === 'ExecutionStarted') machine.executions++;
      if (type === 'StateEntered') machine.transitions++;
      machine.historyBytes += JSON.stringify(event).length + HISTORY_EVENT_OVERHEAD_BYTES;
    });
    // A function serves routes of one API only (manifest-checks), so its invocations are that API's requests.
    const apiOfFunction = new Map(manifest.routes.map((r) => [r.function, apiOf(r)]));
    const polled = new Set(manifest.queueEventSources.map((s) => s.function));
    this.memory = new Map(manifest.functions.map((f) => [f.id, memoryOf(f)]));
    host.onInvocation((record) => {
      if (!this.enabled) return;
      const f = this.functionUsage(record.functionId);
      f.invocations++;
      f.billedMs += Math.max(1, Math.ceil(record.durationMs));
      const api = apiOfFunction.get(record.functionId);
      if (api === 'rest') this.usage.restApiRequests++;
      if (api === 'webhooks') this.usage.httpApiRequests++;
      if (polled.has(record.functionId)) this.usage.sqsPollBatches++;
    });
  }

  private functionUsage(functionId: string): FunctionUsage {
    let f = this.usage.functions[functionId];
    if (!f) {
      f = {
        invocations: 0,
        billedMs: 0,
        memoryMb: this.memory.get(functionId) ?? memoryOf({}),
        dynamoCalls: 0,
        messagingCalls: 0,
        pspCalls: 0,
      };
      this.usage.functions[functionId] = f;
    }
    return f;
  }

  /** A call made inside a function's invocation counts against that function. */
  private attribute(kind: 'dynamoCalls' | 'messagingCalls' | 'pspCalls'): void {
    const id = runningFunctionId();
    if (id) this.functionUsage(id)[kind]++;
  }

  /** Starts counting afresh (one phase of a run priced on its own). */
  reset(): void {
    this.usage = emptyUsage();
  }

  pause(): void {
    this.enabled = false;
  }

  resume(): void {
    this.enabled = true;
  }

  /** Asks DynamoDB for the units each call consumed, and adds them up. */
  meterDynamo(client: DynamoDBDocumentClient): void {
    const name = 'sandboxMeterDynamo';
    client.middlewareStack.add(
      (next: InitializeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
        async (args: InitializeHandlerArguments<object>) => {
          const operation = context.commandName ?? 'unknown';
          if (!this.enabled || !CAPACITY_OPERATIONS.has(operation)) return next(args);
          const input = args.input as Record<string, unknown>;
          const asked = input.ReturnConsumedCapacity === undefined;
          if (asked) input.ReturnConsumedCapacity = 'TOTAL';
          const result = await next(args);
          const output = result.output as { ConsumedCapacity?: CapacityEntry | CapacityEntry[] };
          const consumed = output.ConsumedCapacity;
          const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
          const calls = this.usage.dynamo.calls;
          calls[operation] = (calls[operation] ?? 0) + 1;
          this.attribute('dynamoCalls');
          if (entries.length === 0) this.usage.dynamo.unmetered++;
          for (const e of entries) {
            const read = e.ReadCapacityUnits ?? (READS.test(operation) ? (e.CapacityUnits ?? 0) : 0);
            const write = e.WriteCapacityUnits ?? (READS.test(operation) ? 0 : (e.CapacityUnits ?? 0));
            this.usage.dynamo.readUnits += read;
            this.usage.dynamo.writeUnits += write;
            if (write > 0) {
              const by = `${e.TableName ?? '?'} ${operation.replace(/Command$/, '')}`;
              this.usage.dynamo.writeUnitsBy[by] = (this.usage.dynamo.writeUnitsBy[by] ?? 0) + write;
            }
          }
          if (asked) delete output.ConsumedCapacity;
          return result;
        },
      { step: 'initialize', name, override: true },
    );
    this.removals.push(() => client.middlewareStack.remove(name));
  }

  /** Counts the requests a client sends (SQS, SNS, S3), by operation. */
  meterRequests(client: SdkClient, into: 'sqs' | 'sns' | 's3'): void {
    const name = `sandboxMeter-${into}`;
    const add = client.middlewareStack.add as unknown as (
      mw: (
        next: InitializeHandler<object, MetadataBearer>,
        context: HandlerExecutionContext,
      ) => InitializeHandler<object, MetadataBearer>,
      options: { step: 'initialize'; name: string; override: boolean },
    ) => void;
    add.call(
      client.middlewareStack,
      (next, context) => async (args) => {
        if (this.enabled) {
          const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
          this.usage[into][operation] = (this.usage[into][operation] ?? 0) + 1;
          this.attribute('messagingCalls');
        }
        return next(args);
      },
      { step: 'initialize', name, override: true },
    );
    this.removals.push(() => client.middlewareStack.remove(name));
  }

  /**
   * Counts what the functions log (JSON lines on stdout, as Lambda sends them to CloudWatch Logs) and keeps it
   * off the terminal; plus Lambda's own START/END/REPORT lines per invocation (about 260 bytes).
   */
  meterLogs(): void {
    const stdout = process.stdout;
    const original = stdout.write.bind(stdout);
    stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"level"') || text.startsWith('{"cold_start"') || text.includes('"_aws":')) {
        if (this.enabled) {
          this.usage.logBytes += Buffer.byteLength(text);
          this.usage.logLines += 1;
        }
        return true;
      }
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stdout.write;
    this.removals.push(() => {
      stdout.write = original;
    });
  }

  /**
   * Counts the functions' requests to the PSP, whichever of their Stripe clients sent them: requests to `host`
   * that carry the functions' `authorization` (a harness or test has its own key).
   */
  meterPsp(host: string, authorization: string): void {
    const listener = (message: unknown) => {
      const { request } = message as { request: ClientRequest };
      if (!this.enabled) return;
      if (request.getHeader('host') !== host || request.getHeader('authorization') !== authorization) return;
      const endpoint = pspEndpointOf(request.method, request.path);
      this.usage.psp[endpoint] = (this.usage.psp[endpoint] ?? 0) + 1;
      this.attribute('pspCalls');
    };
    subscribe('http.client.request.start', listener);
    this.removals.push(() => unsubscribe('http.client.request.start', listener));
  }

  remove(): void {
    for (const r of this.removals.splice(0)) r();
  }

  get functionIds(): string[] {
    return this.manifest.functions.map((f) => f.id);
  }
}

/** Lambda's platform lines (START, END, REPORT) per invocation, in bytes: measured from a real log stream. */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 260;
