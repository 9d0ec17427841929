/**
 * The shape of the manifest: the one declaration of what the system is made of (tables, queues, buckets,
 * functions, routes, event sources, schedules, state machines). The CDK stack (`lib/`) and the local runtime
 * (`sandbox/`) both read it, so the two cannot drift apart. Pure data: nothing here imports aws-cdk-lib.
 */

/** Logical ids are kebab-case; physical names and environment variable names are derived from them. */
export type LogicalId = string;

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  readonly id: LogicalId;
  readonly description: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes?: readonly {
    readonly name: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey?: KeyAttribute;
    /**
     * What the index copies of each item (default `ALL`). `KEYS_ONLY`: the table's and the index's keys only, so
     * a write that changes no index key writes nothing to the index and an item's index copy is one unit at
     * most; a reader fetches the items it needs from the table.
     */
    readonly projection?: 'ALL' | 'KEYS_ONLY';
  }[];
  /** Attribute holding an epoch-seconds expiry, if items expire. */
  readonly ttlAttribute?: string;
  /** Emit a change stream (new images) for the transactional outbox. */
  readonly stream?: boolean;
  /**
   * Holds money or the records that move it (orders, ledger, wallets): encrypted with its own customer-managed
   * KMS key, backed up by AWS Backup with a copy in a second region, and `readWrite` on it never includes a
   * delete (DeleteItem, BatchWriteItem): no function may remove a money record.
   */
  readonly money?: boolean;
  /**
   * Items are written once and never changed (the ledger): IAM allows only `append` on it, and because IAM cannot
   * require `attribute_not_exists`, its stream is watched and any MODIFY or REMOVE raises an alarm. Needs
   * `stream: true`.
   */
  readonly appendOnly?: boolean;
}

export interface QueueSpec {
  readonly id: LogicalId;
  readonly description: string;
  /** Must be at least 6x the timeout of the function that consumes it (AWS guidance). */
  readonly visibilityTimeoutSeconds: number;
  /** Dead-letter queue (another queue's id) and how many receives before a message moves there. */
  readonly deadLetter?: { readonly queue: LogicalId; readonly maxReceiveCount: number };
  readonly retentionDays?: number;
}

export interface BucketSpec {
  readonly id: LogicalId;
  readonly description: string;
  /**
   * Evidence (settlement files, reconciliation reports): versioned, with S3 Object Lock retaining every version
   * this many days (COMPLIANCE mode on a stack that holds money: not even the account root can shorten it).
   */
  readonly objectLockDays?: number;
  /** Function invoked (asynchronously, as S3 does) when an object is created under `prefix`. */
  readonly onObjectCreated?: {
    readonly function: LogicalId;
    readonly prefix?: string;
    readonly suffix?: string;
  };
}

/**
 * What a function may touch. Each grant also sets the environment variable that names the resource
 * (see `envVarFor`), so access and configuration are declared in one place.
 */
export interface FunctionAccess {
  /**
   * `append`: put + condition checks + reads, never update or delete (the ledger's immutability).
   * `readWriteNoDelete`: put, update, condition checks and reads, never DeleteItem or BatchWriteItem (whose
   * DeleteRequest would delete). On a `money` table, `readWrite` is granted as `readWriteNoDelete`.
   */
  readonly tables?: Readonly<Record<LogicalId, 'read' | 'readWrite' | 'readWriteNoDelete' | 'append'>>;
  readonly queues?: Readonly<Record<LogicalId, 'send' | 'consume' | 'sendAndConsume'>>;
  readonly buckets?: Readonly<Record<LogicalId, 'read' | 'readWrite'>>;
  /** `start`: StartExecution/DescribeExecution; `callback`: SendTaskSuccess/SendTaskFailure/Heartbeat. */
  readonly stateMachines?: Readonly<Record<LogicalId, 'start' | 'callback' | 'startAndCallback'>>;
  /** Secrets Manager secrets the function reads (by logical id). */
  readonly secrets?: readonly LogicalId[];
  /** SNS topics the function publishes to. */
  readonly topics?: readonly LogicalId[];
}

export interface FunctionSpec {
  readonly id: LogicalId;
  readonly description: string;
  /** Path from the repository root to the handler module; the export is `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  /** Default DEFAULT_MEMORY_MB; read it through memoryOf. */
  readonly memoryMb?: number;
  readonly access?: FunctionAccess;
  /** Plain configuration (never a secret). */
  readonly environment?: Readonly<Record<string, string>>;
  /** Caps concurrency, e.g. to protect the PSP's rate limit. */
  readonly reservedConcurrency?: number;
  /**
   * Variables whose deployed value is a deployment setting (CDK context, validated at synth), not the local
   * value in `environment`: e.g. the storefront's URLs, which differ per marketplace and stage.
   */
  readonly deploymentSettings?: Readonly<Record<string, DeploymentSetting>>;
}

/** Settings a deployment must provide (see lib/config.ts and docs/deploy.md). */
export type DeploymentSetting = 'storefrontSuccessUrl' | 'storefrontCancelUrl' | 'payeeApiBase';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * Who may call a route without the storefront's API key, and why. Every route that does not require the API key
 * must say so (a synth-time check): a public route is a decision, never a default.
 */
export interface PublicRouteAuthorization {
  /**
   * `pspSignature`: the handler verifies the PSP's signature on the raw body first; `none`: anyone (health);
   * `operatorKey`: the operator's own key, which the handler compares with the `operator-api-key` secret before
   * anything else (API Gateway accepts any of a stage's keys on every keyed route, so it cannot keep the
   * storefront's key off the operator's routes).
   */
  readonly by: 'pspSignature' | 'none' | 'operatorKey';
  readonly reason: string;
}

export interface RouteThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface RouteSpec {
  readonly method: HttpMethod;
  /** API Gateway resource path, e.g. `/v1/payments/{payment_order_id}`. */
  readonly path: string;
  readonly function: LogicalId;
  /** Storefront routes require the API key; the PSP's webhook is authenticated by its signature instead. */
  readonly apiKeyRequired: boolean;
  /**
   * Required when `apiKeyRequired` is false (and refused when it is true): what authenticates the route instead.
   * A public route also needs its own `throttle`, and its function a `reservedConcurrency`, so a flood on it can
   * neither use the stage's whole rate nor starve the account's concurrency (checkouts).
   */
  readonly authorization?: PublicRouteAuthorization;
  /** This method's own throttle (API Gateway method or route settings), below the stage's. */
  readonly throttle?: RouteThrottle;
  /**
   * Which API serves the route. `rest` (the default): the storefront's REST API (API key and usage plan, request
   * validation, WAF). `webhooks`: an HTTP API ($1.00 per million requests instead of $3.50) for the routes a
   * provider calls and its signature authenticates (`authorization.by: 'pspSignature'`): they need neither the
   * key nor the validator, and the signature, checked before anything else, is what stops a forged request.
   * The local runtime serves both on one port.
   */
  readonly api?: RouteApi;
}

export type RouteApi = 'rest' | 'webhooks';

export interface QueueEventSourceSpec {
  readonly queue: LogicalId;
  readonly function: LogicalId;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds?: number;
  /** Always true here: consumers report failures per record. */
  readonly reportBatchItemFailures: true;
}

/**
 * Lambda's DynamoDB stream event source: the function gets the table's changes in order per shard. Records that
 * still fail after `maxRetryAttempts` are skipped, and a description of them (shard and sequence numbers, not the
 * records) goes to the on-failure queue, so nothing is dropped silently.
 */
export interface TableStreamEventSourceSpec {
  /** A table declared with `stream: true`. */
  readonly table: LogicalId;
  readonly function: LogicalId;
  readonly batchSize: number;
  /** `TRIM_HORIZON`: everything still in the stream (24 h) when the mapping is created; `LATEST`: new changes. */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Retries of a failing batch before it is skipped (splitting a batch in two does not count). */
  readonly maxRetryAttempts: number;
  /** On a function error, split the batch in two and retry each half, to isolate a bad record. */
  readonly bisectBatchOnFunctionError: boolean;
  /** Queue (logical id) that receives the description of skipped records; the function needs `send` on it. */
  readonly onFailureQueue: LogicalId;
  /** Always true here: the function reports the first record it could not process. */
  readonly reportBatchItemFailures: true;
  /**
   * Only records matching this Lambda filter pattern invoke the function (the others are passed over, unbilled).
   * The subset both the stack and the sandbox read: nested objects, whose leaves list the values allowed, each
   * a string or `{ prefix }`.
   */
  readonly filter?: StreamFilterPattern;
}

/** A Lambda event filter pattern: a leaf lists the values a field may have. */
export interface StreamFilterPattern {
  readonly [field: string]: StreamFilterPattern | readonly (string | { readonly prefix: string })[];
}

export interface ScheduleSpec {
  readonly id: LogicalId;
  readonly function: LogicalId;
  readonly everyMinutes: number;
}

export interface StateMachineSpec {
  readonly id: LogicalId;
  readonly description: string;
  /** ASL file (JSONPath mode) with `${Placeholder}` substitutions. */
  readonly definitionFile: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  /** Placeholder name in the ASL -> function whose ARN replaces it. */
  readonly functionSubstitutions: Readonly<Record<string, LogicalId>>;
  /** Placeholder name -> queue whose URL replaces it (for `sqs:sendMessage` tasks). */
  readonly queueSubstitutions?: Readonly<Record<string, LogicalId>>;
}

/** A fan-out channel: an SNS topic whose subscribers are SQS queues (raw message delivery). */
export interface TopicSpec {
  readonly id: LogicalId;
  readonly description: string;
  readonly subscribers: readonly LogicalId[];
}

export interface SecretSpec {
  readonly id: LogicalId;
  readonly description: string;
  /** Environment variable the local runtime reads the value from (never committed). */
  readonly localEnvVar: string;
  /** Value used by the local runtime when the variable is unset: only for local simulators. */
  readonly localDefault: string;
}

export interface Manifest {
  readonly service: string;
  readonly tables: readonly TableSpec[];
  readonly queues: readonly QueueSpec[];
  readonly buckets: readonly BucketSpec[];
  readonly secrets: readonly SecretSpec[];
  readonly topics: readonly TopicSpec[];
  readonly functions: readonly FunctionSpec[];
  readonly routes: readonly RouteSpec[];
  readonly queueEventSources: readonly QueueEventSourceSpec[];
  readonly tableStreamEventSources: readonly TableStreamEventSourceSpec[];
  readonly schedules: readonly ScheduleSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
}

/** The API a route is served by (`rest` unless it says otherwise). */
export function apiOf(route: Pick<RouteSpec, 'api'>): RouteApi {
  return route.api ?? 'rest';
}

/**
 * A function's memory unless it says otherwise. Most functions spend their time waiting on DynamoDB and the PSP
 * (a charge waits ~0.7 s on create + confirm, its own work is ~10 ms): Lambda bills memory x time and, below
 * 1,769 MB, gives CPU in proportion to memory, so 256 MB doubles only the own work and halves the bill for the
 * waiting. 128 MB leaves too little room for the SDK clients and the Stripe client's heap.
 */
export const DEFAULT_MEMORY_MB = 256;

export const memoryOf = (spec: Pick<FunctionSpec, 'memoryMb'>): number => spec.memoryMb ?? DEFAULT_MEMORY_MB;
