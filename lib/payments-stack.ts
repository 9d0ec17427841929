/**
 * The whole system as one stack, built from the manifest and nothing else: tables, queues and their DLQs,
 * buckets, secrets, topics, functions with their grants and environment, the REST API, event sources,
 * schedules, state machines, alarms, a dashboard and outputs. The manifest is a prop so tests can hand in a
 * fixture; `bin/app.ts` hands in the real one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  type IBucket,
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
import { ManifestApi, type Throttle } from './constructs/manifest-api';
import { Operations } from './constructs/operations';
import { PaymentFunction, type StateMachineRef } from './constructs/payment-function';
import { type KeyAttribute, type Manifest, pascalCase, type StateMachineSpec } from './manifest';
import { assertValidManifest } from './manifest-checks';
import { acknowledgeStackFindings } from './nag-acknowledgements';

export interface PaymentsStackProps extends StackProps {
  readonly manifest: Manifest;
  /** Repository root: function entries and ASL files in the manifest are relative to it. */
  readonly projectRoot: string;
  /** API Gateway stage. Routes already carry their version (`/v1/...`). Default `prod`. */
  readonly apiStageName?: string;
  /**
   * A throwaway stack (a developer's or CI's): tables, buckets, secrets and logs are destroyed with it and
   * tables lose deletion protection. Never for an environment that holds real money. Default false.
   */
  readonly ephemeral?: boolean;
  /** Email subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  readonly stageThrottle?: Throttle;
  readonly storefrontThrottle?: Throttle;
  /** Alarm when the oldest message in a consumed queue is older than this. Default 600 s. */
  readonly queueAgeAlarmSeconds?: number;
  readonly logRetention?: RetentionDays;
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
  readonly alarmTopic: Topic;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: PaymentsStackProps) {
    super(scope, id, props);
    const { manifest } = props;
    assertValidManifest(manifest);
    this.manifest = manifest;

    const ephemeral = props.ephemeral ?? false;
    const keep = ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.THREE_MONTHS;

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
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.operations = new Operations(this, 'Operations', {
      service: manifest.service,
      alarmTopic: this.alarmTopic,
    });

    // --- tables -------------------------------------------------------------------------------------------
    const tableScope = new Construct(this, 'Tables');
    const attribute = (key: KeyAttribute) => ({
      name: key.name,
      type: key.type === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
    });
    for (const spec of manifest.tables) {
      const table = new Table(tableScope, pascalCase(spec.id), {
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
        });
      }
      this.tables.set(spec.id, table);
    }

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
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself: logging it into itself would loop.',
    });
    const bucketScope = new Construct(this, 'Buckets');
    for (const spec of manifest.buckets) {
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
        }),
      );
    }

    // --- secrets: created empty; an operator puts the value (see bin/app.ts) ---------------------------
    const secretScope = new Construct(this, 'Secrets');
    for (const spec of manifest.secrets) {
      const secret = new Secret(secretScope, pascalCase(spec.id), {
        secretName: `${this.stackName}/${spec.id}`,
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
        topic.addSubscription(new SqsSubscription(this.queue(subscriber), { rawMessageDelivery: true }));
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
      this.operations.watchFunction(pascalCase(spec.id), fn.function);
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
      for (const [id, level] of Object.entries(access.tables ?? {})) fn.useTable(id, this.table(id), level);
      for (const [id, level] of Object.entries(access.queues ?? {})) fn.useQueue(id, this.queue(id), level);
      for (const [id, level] of Object.entries(access.buckets ?? {}))
        fn.useBucket(id, this.bucket(id), level);
      for (const [id, level] of Object.entries(access.stateMachines ?? {})) {
        const ref = machineRefs.get(id);
        if (!ref) throw new Error(`function ${spec.id}: state machine ${id} is not declared`);
        fn.useStateMachine(id, ref, level);
      }
      for (const id of access.secrets ?? []) fn.useSecret(id, this.secret(id));
      for (const id of access.topics ?? []) fn.useTopic(id, this.topic(id));
    }

    // --- state machines -----------------------------------------------------------------------------------
    const machineScope = new Construct(this, 'StateMachines');
    for (const spec of manifest.stateMachines) {
      const ref = machineRefs.get(spec.id);
      if (!ref) throw new Error(`state machine ${spec.id} has no name`);
      this.stateMachines.set(
        spec.id,
        this.buildStateMachine(machineScope, spec, ref.name, props, logRetention, keep),
      );
    }

    // --- API ----------------------------------------------------------------------------------------------
    if (manifest.routes.length > 0) {
      this.api = new ManifestApi(this, 'Http', {
        service: manifest.service,
        routes: manifest.routes,
        functionFor: (fnId) => this.fn(fnId),
        stageName: props.apiStageName ?? 'prod',
        stageThrottle: props.stageThrottle ?? { rateLimit: 1000, burstLimit: 2000 },
        storefrontThrottle: props.storefrontThrottle ?? { rateLimit: 500, burstLimit: 1000 },
        logRetention,
        removalPolicy: keep,
      });
      this.operations.watchApi(this.api.api);
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
      this.operations.watchConsumedQueue(pascalCase(source.queue), queue, props.queueAgeAlarmSeconds ?? 600);
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
      Validations.of(failures).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter sink: the on-failure destination of asynchronous invocations.',
      });
      this.fn(fnId).sendAsyncFailuresTo(failures);
      this.operations.watchDeadLetterQueue(`${pascalCase(fnId)}AsyncFailures`, failures);
    }

    for (const spec of manifest.metricAlarms ?? []) {
      this.operations.watchMetric(pascalCase(spec.id), spec, manifest.service);
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
        targets: [new LambdaFunction(this.fn(spec.function).function, { retryAttempts: 2 })],
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

    acknowledgeStackFindings(this);
  }

  private buildStateMachine(
    scope: Construct,
    spec: StateMachineSpec,
    name: string,
    props: PaymentsStackProps,
    logRetention: RetentionDays,
    removalPolicy: RemovalPolicy,
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
      logGroupName: `/aws/vendedlogs/states/${name}`,
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
      // Standard workflows keep their history in the service; Express ones only have these logs, so they
      // include the execution data (payloads carry ids and tokens, never card numbers).
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: express },
    };
    const machine = new StateMachine(scope, pascalCase(spec.id), machineProps);
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
