/**
 * One manifest function as a Lambda with the project's defaults (Node.js 24 on arm64, X-Ray, its own log group
 * with retention, minified ESM bundle with source maps, built by the local esbuild and never by Docker), and
 * the `use*` methods that grant access to a resource AND set the environment variable naming it in one call,
 * so a permission can never exist without its configuration or the other way round. The variable names come
 * from `envVarFor`: they are the contract with the handlers and the local runtime.
 */
import { join } from 'node:path';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { envVarFor, type FunctionAccess, type FunctionSpec, memoryOf } from '../manifest';
import { METRICS_NAMESPACE } from '../manifest/metrics';
import { acknowledgeWildcardAction, acknowledgeWildcardResource } from '../nag-acknowledgements';

export type TableAccess = NonNullable<FunctionAccess['tables']>[string];
export type QueueAccess = NonNullable<FunctionAccess['queues']>[string];
export type BucketAccess = NonNullable<FunctionAccess['buckets']>[string];
export type StateMachineAccess = NonNullable<FunctionAccess['stateMachines']>[string];

/**
 * `append` is the ledger's immutability in IAM: items can be created (PutItem conditioned on
 * attribute_not_exists, inside TransactWriteItems too), checked and read, never changed or removed.
 * BatchWriteItem is left out on purpose: the one action covers DeleteRequest as well as PutRequest.
 */
/** Settlement files and reports are evidence: functions read and write objects, never delete them. */
export const BUCKET_OBJECT_ACTIONS: Record<BucketAccess, readonly string[]> = {
  read: ['s3:GetObject'],
  readWrite: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
};

/** Everything `readWrite` allows except removing an item: no DeleteItem, no BatchWriteItem (DeleteRequest). */
export const NO_DELETE_TABLE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:DescribeTable',
] as const;

export const APPEND_ONLY_TABLE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:DescribeTable',
] as const;

/** A state machine known by ARN and name, so functions can reference one whose definition references them. */
export interface StateMachineRef {
  readonly arn: string;
  /** `arn:...:execution:<name>:*`: the executions DescribeExecution is allowed on. */
  readonly executionsArn: string;
}

export interface PaymentFunctionProps {
  readonly spec: FunctionSpec;
  readonly service: string;
  /** Repository root: `spec.entry` is relative to it, and it holds package-lock.json. */
  readonly projectRoot: string;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

export class PaymentFunction extends Construct {
  readonly spec: FunctionSpec;
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: PaymentFunctionProps) {
    super(scope, id);
    const { spec } = props;
    this.spec = spec;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole, whose logs permissions cover every log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.service} ${spec.id}`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      role: this.role,
      description: spec.description,
      entry: join(props.projectRoot, spec.entry),
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      timeout: Duration.seconds(spec.timeoutSeconds),
      memorySize: memoryOf(spec),
      logGroup: this.logGroup,
      ...(spec.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: spec.reservedConcurrency }),
      environment: {
        SERVICE_NAME: props.service,
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Stack traces through the bundle's source map point at the TypeScript.
        NODE_OPTIONS: '--enable-source-maps',
        ...spec.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // Bundled CommonJS dependencies call require(); an ESM module has none unless we make one.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The AWS SDK is bundled too, though the Node.js 24 runtime ships one: the minified, tree-shaken
        // clients load faster than the runtime's copy (module load 0.49-0.75 of it, median 0.66, over eight
        // functions measured side by side: `npm run bench`), and the SDK version tested is the one that runs.
        externalModules: [],
        forceDockerBundling: false,
      },
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions. ' +
        'test/infra checks that X-Ray actions are the only ones on Resource * in function policies.',
    });
  }

  setEnv(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }

  /**
   * `money`: a money table, on which `readWrite` is granted without deletes. A table with a customer-managed key
   * also gets the key: decrypt to read, encrypt and decrypt to write.
   */
  useTable(
    id: string,
    table: ITable,
    access: TableAccess,
    options: { money?: boolean; hasIndexes?: boolean } = {},
  ): void {
    const resources = options.hasIndexes ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn];
    const granted: TableAccess = access === 'readWrite' && options.money ? 'readWriteNoDelete' : access;
    switch (granted) {
      case 'read':
        table.grantReadData(this.function);
        break;
      case 'readWrite':
        table.grantReadWriteData(this.function);
        break;
      case 'readWriteNoDelete':
        this.function.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: [...NO_DELETE_TABLE_ACTIONS],
            resources,
          }),
        );
        table.encryptionKey?.grantEncryptDecrypt(this.function);
        break;
      case 'append':
        this.function.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: [...APPEND_ONLY_TABLE_ACTIONS],
            resources,
          }),
        );
        table.encryptionKey?.grantEncryptDecrypt(this.function);
        break;
      default:
        throw new Error(`function ${this.spec.id}: unknown table access '${String(access)}' for ${id}`);
    }
    if (options.hasIndexes) {
      acknowledgeWildcardResource(
        this.role,
        `${table.tableArn}/index/*`,
        `Queries on the indexes of table ${id} (granted ${granted}); index names are part of the table's design.`,
      );
    }
    if (table.encryptionKey && granted !== 'read') {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledgeWildcardAction(
          this.role,
          action,
          `Writing table ${id}, encrypted with its own customer-managed key: the grant names that key only.`,
        );
      }
    }
    this.setEnv(envVarFor('table', id), table.tableName);
  }

  useQueue(id: string, queue: IQueue, access: QueueAccess): void {
    if (access === 'send' || access === 'sendAndConsume') queue.grantSendMessages(this.function);
    if (access === 'consume' || access === 'sendAndConsume') queue.grantConsumeMessages(this.function);
    this.setEnv(envVarFor('queue', id), queue.queueUrl);
  }

  useBucket(id: string, bucket: IBucket, access: BucketAccess): void {
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: [...BUCKET_OBJECT_ACTIONS[access]],
        resources: [bucket.arnForObjects('*')],
      }),
    );
    acknowledgeWildcardResource(
      this.role,
      bucket.arnForObjects('*'),
      `Objects of bucket ${id} (granted ${access}): file names are dates and PSP batch ids, unknown in advance.`,
    );
    this.setEnv(envVarFor('bucket', id), bucket.bucketName);
  }

  useStateMachine(id: string, machine: StateMachineRef, access: StateMachineAccess): void {
    if (access === 'start' || access === 'startAndCallback') {
      this.function.addToRolePolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [machine.arn] }),
      );
      this.function.addToRolePolicy(
        new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [machine.executionsArn] }),
      );
      acknowledgeWildcardResource(
        this.role,
        machine.executionsArn,
        `DescribeExecution on the executions of state machine ${id}, whose names are minted per payment.`,
      );
    }
    if (access === 'callback' || access === 'startAndCallback') {
      this.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: [machine.arn],
        }),
      );
    }
    this.setEnv(envVarFor('stateMachine', id), machine.arn);
  }

  useSecret(id: string, secret: ISecret): void {
    secret.grantRead(this.function);
    this.setEnv(envVarFor('secret', id), secret.secretArn);
  }

  useTopic(id: string, topic: ITopic): void {
    topic.grantPublish(this.function);
    if (topic.masterKey) {
      acknowledgeWildcardAction(
        this.role,
        'kms:GenerateDataKey*',
        `Publishing to topic ${id}, encrypted with a customer key: CDK grants GenerateDataKey* on that key only.`,
      );
    }
    this.setEnv(envVarFor('topic', id), topic.topicArn);
  }

  /**
   * For functions AWS invokes asynchronously (S3 notifications, schedules): retry twice, then park the event in
   * `failures` instead of dropping it after the default retries.
   */
  sendAsyncFailuresTo(failures: IQueue, retryAttempts = 2): void {
    this.function.configureAsyncInvoke({
      retryAttempts,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(failures),
    });
  }
}
