/**
 * The whole system as one stack, built from the manifest and the deployment configuration and nothing else:
 * tables (money tables with their own KMS keys and AWS Backup with a copy in a second region), queues and
 * their DLQs, buckets (evidence under Object Lock), secrets, topics, functions with their grants and
 * environment, the REST API behind WAF, event sources, schedules, state machines, alarms with runbooks, a
 * dashboard and outputs. The manifest is a prop so tests can hand in a fixture; `bin/app.ts` hands in the
 * real one. Resource names are left to CloudFormation, or made unique per stack creation, so a stack can be
 * deleted (its data retained) and created again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  BackupPlan,
  BackupPlanRule,
  BackupResource,
  BackupVault,
  type IBackupVault,
} from 'aws-cdk-lib/aws-backup';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  type IBucket,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { type CfnSecret, type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import {
  DefinitionBody,
  LogLevel,
  StateMachine,
  type StateMachineProps,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SUBSCRIBED_EVENT_TYPES } from '../lambdas/webhooks/subscribed-events';
import type { DeploymentConfig } from './config';
import { ManifestApi } from './constructs/manifest-api';
import { Operations } from './constructs/operations';
import { PaymentFunction, type StateMachineRef } from './constructs/payment-function';
import { ApiWebAcl } from './constructs/web-acl';
import { WebhookHttpApi } from './constructs/webhook-http-api';
import { apiOf, type KeyAttribute, type Manifest, pascalCase, type StateMachineSpec } from './manifest';
import { assertValidManifest, ManifestError } from './manifest-checks';
import { acknowledgeStackFindings } from './nag-acknowledgements';

export interface PaymentsStackProps extends StackProps {
  readonly manifest: Manifest;
  /** Repository root: function entries and ASL files in the manifest are relative to it. */
  readonly projectRoot: string;
  /**
   * Stage, alarm subscriber, storefront URLs, backup copy region, throttles, thresholds (lib/config.ts).
   * `ephemeral`: a throwaway stack (a developer's or CI's): tables, buckets, secrets and logs are destroyed with
   * it and tables lose deletion protection; never for an environment that holds real money.
   */
  readonly config: DeploymentConfig;
  /** Vault in `config.backupCopyRegion` receiving the backup copies (see BackupCopyStack). */
  readonly backupCopyVaultName?: string;
  readonly logRetention?: RetentionDays;
}

/** Name of the vault in the backup copy region (created by BackupCopyStack). */
export function backupCopyVaultName(stackName: string): string {
  return `${stackName}-money-copy`;
}

/** Every placeholder in an ASL document: `${Name}`. */
export function aslPlaceholders(definition: string): Set<string> {
  return new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] ?? ''));
}

export class PaymentsStack extends Stack {
  readonly manifest: Manifest;
  readonly tables = new Map<string, Table>();
  readonly queues = new Map<string, Queue>();
  readonly buckets = new Map<string, Bucket>();
  readonly secrets = new Map<string, ISecret>();
  readonly topics = new Map<string, Topic>();
  readonly functions = new Map<string, PaymentFunction>();
  readonly stateMachines = new Map<string, StateMachine>();
  readonly api?: ManifestApi;
  /** The HTTP API serving the manifest's `api: 'webhooks'` routes. */
  readonly webhookApi?: WebhookHttpApi;
  readonly alarmTopic: Topic;
  readonly operations: Operations;
  readonly tableKeys = new Map<string, Key>();
  readonly webAcl?: ApiWebAcl;
  readonly backupPlan?: BackupPlan;
  private readonly asyncFailures = new Map<string, Queue>();

  constructor(scope: Construct, id: string, props: PaymentsStackProps) {
    super(scope, id, props);
    assertValidManifest(props.manifest);
    const overrides = props.config.reservedConcurrency;
    const unknownOverrides = Object.keys(overrides).filter(
      (fnId) => !props.manifest.functions.some((f) => f.id === fnId),
    );
    if (unknownOverrides.length > 0)
      throw new ManifestError([
        `reservedConcurrency names undeclared functions: ${unknownOverrides.join(', ')}`,
      ]);
    // Deployment overrides of reserved concurrency (the PSP's limit differs per account) replace the manifest's.
    const manifest: Manifest = {
      ...props.manifest,
      functions: props.manifest.functions.map((f) => {
        const override = overrides[f.id];
        return override === undefined ? f : { ...f, reservedConcurrency: override };
      }),
    };
    this.manifest = manifest;

    const { config } = props;
    const ephemeral = config.ephemeral;
    const keep = ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention =
      props.logRetention ?? (ephemeral ? RetentionDays.TWO_WEEKS : RetentionDays.THIRTEEN_MONTHS);
    // Unique per creation of the stack: names that must be fixed (vaults, vended log groups, secrets) carry it,
    // so a retained resource of a deleted stack never blocks creating it again.
    const creationId = Fn.select(4, Fn.split('-', Fn.select(2, Fn.split('/', this.stackId))));
    this.checkConcurrency(config);

    // --- ops: the alarm topic first, every other part registers its alarms on it --------------------------
    const topicKey = new Key(this, 'TopicKey', {
      description: `${manifest.service}: encrypts SNS topics (alarms and fan-out)`,
      enableKeyRotation: true,
      removalPolicy: keep,
    });
    // CloudWatch publishes alarms to an encrypted topic only if the key lets it.
    topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: `${manifest.service} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    this.operations = new Operations(this, 'Operations', {
      service: manifest.service,
      alarmTopic: this.alarmTopic,
      thresholds: config.alarmThresholds,
      runbookBaseUrl: config.runbookBaseUrl,
    });
    // Required (lib/config.ts refuses a deployment without it): an alarm nobody receives is no alarm. A
    // notification SNS could not deliver is kept (14 days) instead of dropped, and alarms by itself.
    const undelivered = new Queue(this, 'UndeliveredAlarms', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(undelivered).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'Dead-letter queue of the alarm subscription: it is itself the last stop (alarmed when not empty).',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'Dead-letter queue of the alarm subscription: it is itself the last stop (alarmed when not empty).',
      },
    );
    this.alarmTopic.addSubscription(
      new EmailSubscription(config.alarmEmail, { deadLetterQueue: undelivered }),
    );
    this.operations.watchDeadLetterQueue('UndeliveredAlarms', undelivered);

    // --- tables -------------------------------------------------------------------------------------------
    const tableScope = new Construct(this, 'Tables');
    const attribute = (key: KeyAttribute) => ({
      name: key.name,
      type: key.type === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
    });
    for (const spec of manifest.tables) {
      // Money tables get their own key: its policy and CloudTrail record show every use of that table's data
      // apart from the others, and access can be cut (disable the key) for one table without touching the rest.
      const key = spec.money
        ? new Key(tableScope, `${pascalCase(spec.id)}Key`, {
            description: `${manifest.service}: encrypts the ${spec.id} table (money records)`,
            enableKeyRotation: true,
            removalPolicy: keep,
          })
        : undefined;
      if (key) this.tableKeys.set(spec.id, key);
      const table = new Table(tableScope, pascalCase(spec.id), {
        ...(key
          ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: key }
          : { encryption: TableEncryption.AWS_MANAGED }),
        partitionKey: attribute(spec.partitionKey),
        ...(spec.sortKey ? { sortKey: attribute(spec.sortKey) } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        // Every table holds money or the records that keep money moving exactly once: none is disposable.
        deletionProtection: !ephemeral,
        removalPolicy: keep,
        ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
        // Same view type as the local runtime's tables (sandbox/provision.ts).
        ...(spec.stream ? { stream: StreamViewType.NEW_AND_OLD_IMAGES } : {}),
      });
      for (const index of spec.globalIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
          projectionType: index.projection === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
        });
      }
      this.tables.set(spec.id, table);
      this.operations.watchTable(pascalCase(spec.id), table);
    }
    if (!ephemeral)
      this.backupPlan = this.backupMoneyTables(config, props.backupCopyVaultName, creationId, keep);

    // --- queues (dead-letter queues first: a redrive policy names its target) ------------------------------
    const queueScope = new Construct(this, 'Queues');
    const deadLetterIds = new Set(manifest.queues.flatMap((q) => (q.deadLetter ? [q.deadLetter.queue] : [])));
    // A stream's on-failure queue is a dead-letter sink too: it gets the same alarm.
    const streamFailureIds = new Set(manifest.tableStreamEventSources.map((s) => s.onFailureQueue));
    const ordered = [...manifest.queues].sort(
      (a, b) => Number(Boolean(a.deadLetter)) - Number(Boolean(b.deadLetter)),
    );
    for (const spec of ordered) {
      const deadLetter = spec.deadLetter;
      const queue = new Queue(queueScope, pascalCase(spec.id), {
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(spec.retentionDays ?? 4),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(deadLetter
          ? {
              deadLetterQueue: {
                queue: this.queue(deadLetter.queue),
                maxReceiveCount: deadLetter.maxReceiveCount,
              },
            }
          : {}),
      });
      this.queues.set(spec.id, queue);
      if (deadLetterIds.has(spec.id) || streamFailureIds.has(spec.id)) {
        this.operations.watchDeadLetterQueue(pascalCase(spec.id), queue);
        if (!deadLetter) {
          Validations.of(queue).acknowledge({
            id: 'Serverless-SQSRedrivePolicy',
            reason:
              'This queue is itself a dead-letter sink (alarmed when not empty): redriving it would only hide ' +
              'the failures from the person who must look at them.',
          });
        }
      }
      if (streamFailureIds.has(spec.id) && !deadLetter) {
        Validations.of(queue).acknowledge({
          id: 'AwsSolutions-SQS3',
          reason:
            'On-failure destination of a DynamoDB stream event source: it is itself a dead-letter sink.',
        });
      }
    }

    // --- buckets ------------------------------------------------------------------------------------------
    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(400) }],
      removalPolicy: keep,
      autoDeleteObjects: false,
    });
    const bucketScope = new Construct(this, 'Buckets');
    for (const spec of manifest.buckets) {
      const lock = spec.objectLockDays;
      this.buckets.set(
        spec.id,
        new Bucket(bucketScope, pascalCase(spec.id), {
          blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
          encryption: BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          versioned: true,
          objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
          serverAccessLogsBucket: accessLogs,
          serverAccessLogsPrefix: `${spec.id}/`,
          removalPolicy: keep,
          autoDeleteObjects: false,
          // COMPLIANCE: no one (not the account root) can delete or overwrite a locked version before its
          // date. A throwaway stack uses GOVERNANCE, which a permitted operator can bypass to tear it down.
          ...(lock
            ? {
                objectLockEnabled: true,
                objectLockDefaultRetention: ephemeral
                  ? ObjectLockRetention.governance(Duration.days(lock))
                  : ObjectLockRetention.compliance(Duration.days(lock)),
              }
            : {}),
        }),
      );
    }

    // --- secrets: created empty; an operator puts the value (see bin/app.ts) ---------------------------
    const secretScope = new Construct(this, 'Secrets');
    for (const spec of manifest.secrets) {
      const secret = new Secret(secretScope, pascalCase(spec.id), {
        secretName: Fn.join('', [this.stackName, '/', spec.id, '-', creationId]),
        description: spec.description,
        removalPolicy: keep,
      });
      // The L2 construct generates a random value by default; a random "API key" would only fail later and
      // more confusingly than a missing one. Without GenerateSecretString and SecretString, CloudFormation
      // creates the secret with no value.
      (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Third-party credential (PSP key or webhook signing secret): it is rolled in the PSP dashboard and ' +
          'put here by an operator; Secrets Manager cannot rotate it.',
      });
      this.secrets.set(spec.id, secret);
    }

    // --- topics -------------------------------------------------------------------------------------------
    const topicScope = new Construct(this, 'Topics');
    for (const spec of manifest.topics) {
      const topic = new Topic(topicScope, pascalCase(spec.id), {
        displayName: spec.description.slice(0, 100),
        masterKey: topicKey,
        enforceSSL: true,
      });
      for (const subscriber of spec.subscribers) {
        // A message SNS cannot deliver goes to the subscriber's own dead-letter queue (alarmed), not nowhere.
        const deadLetter = manifest.queues.find((q) => q.id === subscriber)?.deadLetter;
        topic.addSubscription(
          new SqsSubscription(this.queue(subscriber), {
            rawMessageDelivery: true,
            ...(deadLetter ? { deadLetterQueue: this.queue(deadLetter.queue) } : {}),
          }),
        );
      }
      this.topics.set(spec.id, topic);
    }

    // --- functions ----------------------------------------------------------------------------------------
    const functionScope = new Construct(this, 'Functions');
    for (const spec of manifest.functions) {
      const fn = new PaymentFunction(functionScope, pascalCase(spec.id), {
        spec,
        service: manifest.service,
        projectRoot: props.projectRoot,
        logRetention,
        logRemovalPolicy: keep,
      });
      this.functions.set(spec.id, fn);
      for (const [variable, setting] of Object.entries(spec.deploymentSettings ?? {})) {
        // An optional setting left out (the payee network on dev) leaves the variable unset, never empty.
        const value = config[setting];
        if (value !== undefined) fn.setEnv(variable, value);
      }
      this.operations.watchFunction(pascalCase(spec.id), fn.function, spec.reservedConcurrency);
      this.acknowledgeLambdaDlq(fn, manifest);
    }

    // State machines are referenced by functions (start, callback) and reference functions (tasks). Their
    // names are fixed so functions can use an ARN built from the name, not a reference: no dependency cycle
    // when one function is both a task of a workflow and the one that starts or calls it back.
    const machineRefs = new Map<string, StateMachineRef & { name: string }>();
    for (const spec of manifest.stateMachines) {
      const name = `${this.stackName}-${spec.id}`;
      if (name.length > 80) throw new Error(`state machine name ${name} is longer than 80 characters`);
      machineRefs.set(spec.id, {
        name,
        arn: this.formatArn({
          service: 'states',
          resource: 'stateMachine',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
        executionsArn: this.formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${name}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      });
    }

    // --- access: each grant also sets the variable that names the resource --------------------------------
    for (const spec of manifest.functions) {
      const fn = this.fn(spec.id);
      const access = spec.access ?? {};
      for (const [id, level] of Object.entries(access.tables ?? {})) {
        const spec = manifest.tables.find((t) => t.id === id);
        fn.useTable(id, this.table(id), level, {
          money: Boolean(spec?.money),
          hasIndexes: (spec?.globalIndexes?.length ?? 0) > 0,
        });
      }
      for (const [id, level] of Object.entries(access.queues ?? {})) fn.useQueue(id, this.queue(id), level);
      for (const [id, level] of Object.entries(access.buckets ?? {}))
        fn.useBucket(id, this.bucket(id), level);
      for (const [id, level] of Object.entries(access.stateMachines ?? {})) {
        const ref = machineRefs.get(id);
        if (!ref) throw new Error(`function ${spec.id}: state machine ${id} is not declared`);
        fn.useStateMachine(id, ref, level);
      }
      for (const id of access.secrets ?? []) fn.useSecret(id, this.secret(id));
      if ((access.secrets ?? []).length > 0) {
        // Secrets are re-read after this age (lambdas/shared/secrets.ts): rotation without a cold start.
        fn.setEnv('SECRETS_MAX_AGE_SECONDS', String(config.secretsMaxAgeSeconds));
        fn.setEnv('SECRET_ROTATION_WINDOW_HOURS', String(config.secretRotationWindowHours));
      }
      for (const id of access.topics ?? []) fn.useTopic(id, this.topic(id));
    }

    // --- state machines -----------------------------------------------------------------------------------
    const machineScope = new Construct(this, 'StateMachines');
    for (const spec of manifest.stateMachines) {
      const ref = machineRefs.get(spec.id);
      if (!ref) throw new Error(`state machine ${spec.id} has no name`);
      this.stateMachines.set(
        spec.id,
        this.buildStateMachine(machineScope, spec, ref.name, props, logRetention, keep, creationId),
      );
    }

    // --- API ----------------------------------------------------------------------------------------------
    const restRoutes = manifest.routes.filter((r) => apiOf(r) === 'rest');
    const webhookRoutes = manifest.routes.filter((r) => apiOf(r) === 'webhooks');
    if (restRoutes.length > 0) {
      this.api = new ManifestApi(this, 'Http', {
        service: manifest.service,
        routes: restRoutes,
        functionFor: (fnId) => this.fn(fnId),
        stageName: config.apiStageName,
        stageThrottle: config.stageThrottle,
        storefrontThrottle: config.storefrontThrottle,
        logRetention,
        removalPolicy: keep,
      });
      this.operations.watchApi(this.api.api);
      this.webAcl = new ApiWebAcl(this, 'Edge', {
        service: manifest.service,
        stageArn: this.api.api.deploymentStage.stageArn,
        stageName: config.apiStageName,
        rateLimitPer5Minutes: config.wafRateLimitPer5Minutes,
        signatureAuthenticatedPaths: restRoutes
          .filter((r) => r.authorization?.by === 'pspSignature')
          .map((r) => r.path),
        logRetention,
        removalPolicy: keep,
      });
    }

    if (webhookRoutes.length > 0) {
      this.webhookApi = new WebhookHttpApi(this, 'Webhooks', {
        service: manifest.service,
        routes: webhookRoutes,
        functionFor: (fnId) => this.fn(fnId),
        stageName: config.apiStageName,
        stageThrottle: config.stageThrottle,
        logRetention,
        removalPolicy: keep,
      });
    }

    // --- SQS event sources (visibility >= 6x timeout was checked with the manifest) -----------------------
    for (const source of manifest.queueEventSources) {
      const queue = this.queue(source.queue);
      this.fn(source.function).function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: source.batchSize,
          ...(source.maxBatchingWindowSeconds === undefined
            ? {}
            : { maxBatchingWindow: Duration.seconds(source.maxBatchingWindowSeconds) }),
          reportBatchItemFailures: source.reportBatchItemFailures,
        }),
      );
      this.operations.watchConsumedQueue(pascalCase(source.queue), queue);
      // Lambda has no on-failure destination for SQS sources: the queue's redrive policy is that destination.
      const redrive = manifest.queues.find((q) => q.id === source.queue)?.deadLetter;
      if (redrive) {
        Validations.of(this.fn(source.function).function).acknowledge({
          id: 'Serverless-LambdaEventSourceMappingDestination',
          reason: `SQS source ${source.queue}: after ${redrive.maxReceiveCount} receives its redrive policy moves the message to ${redrive.queue} (alarmed).`,
        });
      }
    }

    // --- DynamoDB stream event sources (the transactional outbox) ----------------------------------------
    for (const source of manifest.tableStreamEventSources) {
      const fn = this.fn(source.function).function;
      fn.addEventSource(
        new DynamoEventSource(this.table(source.table), {
          startingPosition:
            source.startingPosition === 'LATEST' ? StartingPosition.LATEST : StartingPosition.TRIM_HORIZON,
          batchSize: source.batchSize,
          retryAttempts: source.maxRetryAttempts,
          bisectBatchOnError: source.bisectBatchOnFunctionError,
          reportBatchItemFailures: source.reportBatchItemFailures,
          ...(source.filter ? { filters: [FilterCriteria.filter(source.filter)] } : {}),
          // SqsDlq also grants the function sqs:SendMessage on the queue.
          onFailure: new SqsDlq(this.queue(source.onFailureQueue)),
        }),
      );
      this.operations.watchStream(pascalCase(`${source.table}-${source.function}`), fn);
    }

    // --- asynchronous invocations (S3, EventBridge): retries, then an on-failure queue with an alarm ------
    const failureScope = new Construct(this, 'AsyncFailures');
    const asyncTargets = new Set([
      ...manifest.buckets.flatMap((b) => (b.onObjectCreated ? [b.onObjectCreated.function] : [])),
      ...manifest.schedules.map((s) => s.function),
    ]);
    for (const fnId of asyncTargets) {
      const failures = new Queue(failureScope, pascalCase(fnId), {
        retentionPeriod: Duration.days(14),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      Validations.of(failures).acknowledge(
        {
          id: 'AwsSolutions-SQS3',
          reason:
            'This queue is itself a dead-letter sink: the on-failure destination of asynchronous invocations.',
        },
        {
          id: 'Serverless-SQSRedrivePolicy',
          reason:
            'This queue is itself a dead-letter sink (alarmed when not empty): there is nowhere further.',
        },
      );
      this.asyncFailures.set(fnId, failures);
      this.fn(fnId).sendAsyncFailuresTo(failures);
      this.operations.watchDeadLetterQueue(`${pascalCase(fnId)}AsyncFailures`, failures);
    }

    for (const spec of manifest.buckets) {
      const trigger = spec.onObjectCreated;
      if (!trigger) continue;
      const filter = {
        ...(trigger.prefix ? { prefix: trigger.prefix } : {}),
        ...(trigger.suffix ? { suffix: trigger.suffix } : {}),
      };
      this.bucket(spec.id).addEventNotification(
        EventType.OBJECT_CREATED,
        new LambdaDestination(this.fn(trigger.function).function),
        filter,
      );
    }

    // --- schedules ----------------------------------------------------------------------------------------
    const scheduleScope = new Construct(this, 'Schedules');
    for (const spec of manifest.schedules) {
      new Rule(scheduleScope, pascalCase(spec.id), {
        description: `${spec.id}: every ${spec.everyMinutes} min -> ${spec.function}`,
        schedule: Schedule.rate(Duration.minutes(spec.everyMinutes)),
        targets: [
          new LambdaFunction(this.fn(spec.function).function, {
            retryAttempts: 2,
            // An invocation EventBridge could not make lands with the function's own async failures (alarmed).
            deadLetterQueue: this.asyncFailureQueue(spec.function),
          }),
        ],
      });
    }

    // --- outputs ------------------------------------------------------------------------------------------
    if (this.api) {
      new CfnOutput(this, 'ApiUrl', {
        value: this.api.api.url,
        description: 'REST API base URL (stage included)',
      });
      if (this.api.apiKey) {
        new CfnOutput(this, 'StorefrontApiKeyId', {
          value: this.api.apiKey.keyId,
          description: 'API key id: `aws apigateway get-api-key --include-value --api-key <id>`',
        });
      }
    }
    if (this.webhookApi) {
      // Each webhook's URL, to register at its provider (docs/deploy.md): `PspWebhookUrl`, `PayoutWebhookUrl`.
      for (const route of webhookRoutes) {
        new CfnOutput(this, `${pascalCase(route.function)}Url`, {
          value: this.webhookApi.urlOf(route),
          description: `${route.method} ${route.path} on the webhooks HTTP API`,
        });
      }
    }
    this.operations.finish();
    for (const [tableId, table] of this.tables) {
      new CfnOutput(this, `${pascalCase(tableId)}TableName`, { value: table.tableName });
    }
    for (const [bucketId, bucket] of this.buckets) {
      new CfnOutput(this, `${pascalCase(bucketId)}BucketName`, { value: bucket.bucketName });
    }
    for (const [machineId, machine] of this.stateMachines) {
      new CfnOutput(this, `${pascalCase(machineId)}StateMachineArn`, { value: machine.stateMachineArn });
    }
    for (const [secretId, secret] of this.secrets) {
      new CfnOutput(this, `${pascalCase(secretId)}SecretArn`, {
        value: secret.secretArn,
        description:
          'Put the value: `aws secretsmanager put-secret-value --secret-id <arn> --secret-string ...`',
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'WebhookEnabledEvents', {
      value: SUBSCRIBED_EVENT_TYPES.join(','),
      description: 'The event types to enable on the Stripe webhook endpoint (docs/deploy.md, step 5).',
    });

    acknowledgeStackFindings(this);
  }

  private buildStateMachine(
    scope: Construct,
    spec: StateMachineSpec,
    name: string,
    props: PaymentsStackProps,
    logRetention: RetentionDays,
    removalPolicy: RemovalPolicy,
    creationId: string,
  ): StateMachine {
    // fromString, not fromFile: the definition stays in the template, where assertions can read it.
    const definition = readFileSync(join(props.projectRoot, spec.definitionFile), 'utf8');
    const substitutions: Record<string, string> = {};
    for (const [placeholder, fnId] of Object.entries(spec.functionSubstitutions)) {
      substitutions[placeholder] = this.fn(fnId).function.functionArn;
    }
    for (const [placeholder, queueId] of Object.entries(spec.queueSubstitutions ?? {})) {
      substitutions[placeholder] = this.queue(queueId).queueUrl;
    }
    const used = aslPlaceholders(definition);
    const missing = [...used].filter((p) => !(p in substitutions));
    const unused = Object.keys(substitutions).filter((p) => !used.has(p));
    if (missing.length > 0 || unused.length > 0) {
      throw new Error(
        `state machine ${spec.id} (${spec.definitionFile}): ` +
          [
            missing.length > 0 ? `placeholders without a substitution: ${missing.join(', ')}` : '',
            unused.length > 0 ? `substitutions the ASL never uses: ${unused.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
      );
    }

    const express = spec.type === 'EXPRESS';
    const logGroup = new LogGroup(scope, `${pascalCase(spec.id)}Logs`, {
      // The /aws/vendedlogs/ prefix keeps CloudWatch's log resource policy from growing with every workflow.
      logGroupName: Fn.join('', ['/aws/vendedlogs/states/', name, '-', creationId]),
      retention: logRetention,
      removalPolicy,
    });
    const machineProps: StateMachineProps = {
      stateMachineName: name,
      comment: spec.description,
      stateMachineType: express ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      // Standard workflows keep their history in the service and log every event. Express ones log errors
      // only and without execution data: at a million pay-ins a day, every event with its payload would cost
      // about five times the executions (docs/deploy.md); what happened to an order is in its history and in
      // the functions' logs, which carry its ids.
      logs: express
        ? { destination: logGroup, level: LogLevel.ERROR, includeExecutionData: false }
        : { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    };
    const machine = new StateMachine(scope, pascalCase(spec.id), machineProps);
    if (express) {
      Validations.of(machine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'Express pay-in workflow: ERROR-level logs without execution data. Logging ALL events with data costs ' +
          'about 5x the executions at a million pay-ins a day (docs/deploy.md); each step is a function whose ' +
          'own logs (with the order ids) and X-Ray traces show what ran, and every order keeps its history.',
      });
    }
    // The ASL names each function by its unqualified ARN: that ARN alone, not grantInvoke's `:*` versions.
    for (const fnId of new Set(Object.values(spec.functionSubstitutions))) {
      machine.addToRolePolicy(
        new PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [this.fn(fnId).function.functionArn],
        }),
      );
    }
    for (const queueId of new Set(Object.values(spec.queueSubstitutions ?? {}))) {
      this.queue(queueId).grantSendMessages(machine);
    }
    Validations.of(machine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray (PutTraceSegments, GetSamplingRules...) and CloudWatch Logs delivery (CreateLogDelivery...) ' +
        'have no resource-level permissions. test/infra checks these are the only actions on Resource *.',
    });
    this.operations.watchStateMachine(pascalCase(spec.id), machine);
    return machine;
  }

  /** Reserved concurrency must leave Lambda's minimum of 100 unreserved in the account's quota. */
  private checkConcurrency(config: DeploymentConfig): void {
    const reserved = this.manifest.functions.reduce((sum, f) => sum + (f.reservedConcurrency ?? 0), 0);
    const available = config.lambdaConcurrencyQuota - 100;
    if (reserved > available) {
      throw new ManifestError([
        `functions reserve ${reserved} concurrent executions; the account quota ${config.lambdaConcurrencyQuota} ` +
          `leaves ${available} to reserve (Lambda keeps 100 unreserved). Request a higher quota ` +
          '(docs/deploy.md) and set -c lambdaConcurrencyQuota=<granted>.',
      ]);
    }
  }

  /**
   * AWS Backup beyond PITR's 35 days: a daily backup of every money table kept `backupRetentionDays`, copied
   * to a vault in a second region (a region-wide outage or a compromised primary vault leaves the copy).
   */
  private backupMoneyTables(
    config: DeploymentConfig,
    copyVaultName: string | undefined,
    creationId: string,
    removalPolicy: RemovalPolicy,
  ): BackupPlan | undefined {
    const money = this.manifest.tables.filter((t) => t.money);
    if (money.length === 0) return undefined;
    const scope = new Construct(this, 'Backup');
    const key = new Key(scope, 'VaultKey', {
      description: `${this.manifest.service}: encrypts the backup vault of the money tables`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const vault = new BackupVault(scope, 'Vault', {
      backupVaultName: Fn.join('', [this.stackName, '-money-', creationId]),
      encryptionKey: key,
      removalPolicy,
    });
    const retention = Duration.days(config.backupRetentionDays);
    let copyTo: IBackupVault | undefined;
    if (config.backupCopyRegion) {
      if (config.backupCopyRegion === this.region)
        throw new ManifestError([`backupCopyRegion must differ from the stack's region ${this.region}`]);
      copyTo = BackupVault.fromBackupVaultArn(
        scope,
        'CopyVault',
        this.formatArn({
          service: 'backup',
          region: config.backupCopyRegion,
          resource: 'backup-vault',
          resourceName: copyVaultName ?? backupCopyVaultName(this.stackName),
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
    }
    const plan = new BackupPlan(scope, 'Plan', {
      backupVault: vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'DailyMoneyTables',
          // 03:00 UTC, after the nightly reconciliation's writes.
          scheduleExpression: Schedule.cron({ hour: '3', minute: '0' }),
          deleteAfter: retention,
          ...(copyTo ? { copyActions: [{ destinationBackupVault: copyTo, deleteAfter: retention }] } : {}),
        }),
      ],
    });
    plan.addSelection('MoneyTables', {
      resources: money.map((t) => BackupResource.fromDynamoDbTable(this.table(t.id))),
    });
    Validations.of(plan).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "AWS Backup's own service role policy, maintained by AWS for exactly this: it lets AWS Backup (and no " +
        'one else: the role trusts backup.amazonaws.com only) create and copy recovery points.',
    });
    return plan;
  }

  /** Serverless-LambdaDLQ: a DLQ applies to asynchronous invocations only; say how each function is invoked. */
  private acknowledgeLambdaDlq(fn: PaymentFunction, manifest: Manifest): void {
    const id = fn.spec.id;
    const how = [
      ...manifest.routes
        .filter((r) => r.function === id)
        .map((r) => `API ${r.method} ${r.path} (synchronous)`),
      ...manifest.stateMachines
        .filter((m) => Object.values(m.functionSubstitutions).includes(id))
        .map((m) => `a task of workflow ${m.id} (synchronous, retried by the workflow)`),
      ...manifest.queueEventSources
        .filter((q) => q.function === id)
        .map((q) => `SQS ${q.queue} (its redrive policy is the DLQ)`),
      ...manifest.tableStreamEventSources
        .filter((t) => t.function === id)
        .map((t) => `the ${t.table} stream (on-failure queue ${t.onFailureQueue})`),
      ...manifest.schedules
        .filter((sch) => sch.function === id)
        .map((sch) => `schedule ${sch.id} (asynchronous: on-failure destination queue, alarmed)`),
      ...manifest.buckets
        .filter((b) => b.onObjectCreated?.function === id)
        .map((b) => `bucket ${b.id} notifications (asynchronous: on-failure destination queue, alarmed)`),
    ];
    Validations.of(fn.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        `Invoked by ${how.length > 0 ? how.join('; ') : 'nothing asynchronous'}. A Lambda DLQ only catches ` +
        'asynchronous invocations; those use an on-failure destination instead, which also keeps the error.',
    });
  }

  private asyncFailureQueue(fnId: string): Queue {
    return this.lookup(this.asyncFailures, 'async failure queue of function', fnId);
  }

  private lookup<T>(map: Map<string, T>, kind: string, id: string): T {
    const found = map.get(id);
    if (!found) throw new Error(`${kind} ${id} is not declared in the manifest`);
    return found;
  }
  fn(id: string): PaymentFunction {
    return this.lookup(this.functions, 'function', id);
  }
  table(id: string): Table {
    return this.lookup(this.tables, 'table', id);
  }
  queue(id: string): IQueue {
    return this.lookup(this.queues, 'queue', id);
  }
  bucket(id: string): IBucket {
    return this.lookup(this.buckets, 'bucket', id);
  }
  secret(id: string): ISecret {
    return this.lookup(this.secrets, 'secret', id);
  }
  stateMachine(id: string): StateMachine {
    return this.lookup(this.stateMachines, 'state machine', id);
  }
  topic(id: string): ITopic {
    return this.lookup(this.topics, 'topic', id);
  }
}
