/**
 * Feature by feature on the fixture manifest (the real one does not declare them all yet): SQS event source,
 * S3 notification with an on-failure destination, state machines with substitutions, schedule, topic fan-out,
 * secret, least-privilege grants, and the synth-time checks that reject a broken manifest.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPEND_ONLY_TABLE_ACTIONS } from '../../lib/constructs/payment-function';
import type { Manifest, QueueSpec } from '../../lib/manifest';
import { ManifestError } from '../../lib/manifest-checks';
import { fixtureManifest } from './fixture-manifest';
import { type Synthesized, synth } from './synth';
import { type Json, logicalId, mentions, propsOf, resources, statementsOfRole } from './template-helpers';

function withQueue(id: string, change: Partial<QueueSpec>): Manifest {
  return {
    ...fixtureManifest,
    queues: fixtureManifest.queues.map((q) => (q.id === id ? { ...q, ...change } : q)),
  };
}

describe('stack from the fixture manifest', () => {
  let built: Synthesized;
  let id: (construct: Parameters<typeof logicalId>[1]) => string;
  beforeAll(() => {
    built = synth(fixtureManifest);
    id = (construct) => logicalId(built.stack, construct);
  }, 120_000);

  it('feeds the worker from its queue with partial batch failures, batch size and batching window', () => {
    // Act
    const mappings = Object.values(built.template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => mentions(m.Properties, id(built.stack.fn('worker').function)),
    );

    // Assess
    expect(mappings.map((m) => m.Properties)).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': [id(built.stack.queue('work')), 'Arn'] },
        FunctionName: { Ref: id(built.stack.fn('worker').function) },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    ]);
  });

  it('feeds the publisher from the orders stream, bisecting and retrying, then describing skipped records in a queue', () => {
    // Prepare
    const { stack, template } = built;

    // Act
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
      .map((m) => m.Properties as Json)
      .find((p) => mentions(p.FunctionName, id(stack.fn('publisher').function)));

    // Assess
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [id(stack.table('orders')), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 50,
      MaximumRetryAttempts: 4,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id(stack.queue('outbox-failures')), 'Arn'] } },
      },
    });
  });

  it('rejects a stream event source on a table without a stream', () => {
    // Prepare
    const noStream: Manifest = {
      ...fixtureManifest,
      tables: fixtureManifest.tables.map((t) => (t.id === 'orders' ? { ...t, stream: false } : t)),
    };

    // Act
    const act = () => synth(noStream);

    // Assess
    expect(act).toThrow(/stream event source orders -> publisher: table orders has no stream/);
  });

  it('rejects at synth time a consumed queue whose visibility timeout is under 6x its consumer’s timeout', () => {
    // Prepare: worker's timeout is 10 s, so its queue needs at least 60 s.
    const tooShort = withQueue('work', { visibilityTimeoutSeconds: 59 });

    // Act
    const act = () => synth(tooShort);

    // Assess
    expect(act).toThrow(ManifestError);
    expect(act).toThrow(
      /queue work: visibility timeout 59 s is less than 6 x the 10 s timeout of its consumer worker/,
    );
  });

  it('accepts a visibility timeout of exactly 6x the consumer’s timeout', () => {
    // Prepare
    const exact = withQueue('work', { visibilityTimeoutSeconds: 60 });

    // Act
    const act = () => synth(exact);

    // Assess
    expect(act).not.toThrow();
  });

  it('lists every dangling reference in one error', () => {
    // Prepare
    const broken: Manifest = {
      ...fixtureManifest,
      routes: [
        ...fixtureManifest.routes,
        { method: 'GET', path: '/v1/nope', function: 'ghost', apiKeyRequired: true },
      ],
      schedules: [{ id: 'sweep', function: 'phantom', everyMinutes: 5 }],
    };

    // Act
    const act = () => synth(broken);

    // Assess
    expect(act).toThrow(
      /route GET \/v1\/nope: function ghost is not declared[\s\S]*schedule sweep: function phantom/,
    );
  });

  it('requires the API key on the storefront routes only, behind a throttled usage plan on the stage', () => {
    // Prepare
    const { template } = built;

    // Assess
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ApiKeyRequired: true });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: {
        RateLimit: built.config.storefrontThrottle.rateLimit,
        BurstLimit: built.config.storefrontThrottle.burstLimit,
      },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue() })],
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false }),
      ]),
    });
  });

  it('invokes the importer on objects created under its prefix, retrying then parking failures in a queue', () => {
    // Prepare
    const { stack, template } = built;
    const importer = id(stack.fn('importer').function);

    // Assess
    const notifications = Object.values(template.findResources('Custom::S3BucketNotifications')).map(
      (r) =>
        r.Properties as {
          BucketName: unknown;
          NotificationConfiguration: { LambdaFunctionConfigurations: Json[] };
        },
    );
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.BucketName).toEqual({ Ref: id(stack.bucket('inbox')) });
    expect(notifications[0]?.NotificationConfiguration.LambdaFunctionConfigurations).toEqual([
      {
        Events: ['s3:ObjectCreated:*'],
        LambdaFunctionArn: { 'Fn::GetAtt': [importer, 'Arn'] },
        Filter: {
          Key: {
            FilterRules: expect.arrayContaining([
              { Name: 'prefix', Value: 'incoming/' },
              { Name: 'suffix', Value: '.csv' },
            ]),
          },
        },
      },
    ]);
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map(
      (r) =>
        r.Properties as { FunctionName: unknown; MaximumRetryAttempts: number; DestinationConfig: unknown },
    );
    const importerConfig = configs.find((c) => mentions(c.FunctionName, importer));
    expect(importerConfig?.MaximumRetryAttempts).toBe(2);
    expect(JSON.stringify(importerConfig?.DestinationConfig)).toMatch(/OnFailure.*AsyncFailuresImporter/);
    expect(configs.some((c) => mentions(c.FunctionName, id(stack.fn('sweeper').function)))).toBe(true);
  });

  it('builds each state machine from its ASL with substitutions, tracing and logging', () => {
    // Prepare
    const { stack, template } = built;
    const flow = propsOf(template, id(stack.stateMachine('flow')));
    const quick = propsOf(template, id(stack.stateMachine('quick')));

    // Assess
    expect(flow.StateMachineType).toBe('STANDARD');
    expect(flow.StateMachineName).toBe('Payments-flow');
    expect(JSON.parse(String(flow.DefinitionString)).States.Work.Parameters.FunctionName).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a template literal
      '${TaskFunctionArn}',
    );
    expect(flow.DefinitionSubstitutions).toEqual({
      TaskFunctionArn: { 'Fn::GetAtt': [id(stack.fn('task').function), 'Arn'] },
      FinanceQueueUrl: { Ref: id(stack.queue('finance')) },
    });
    expect(flow.TracingConfiguration).toEqual({ Enabled: true });
    expect(flow.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(quick.StateMachineType).toBe('EXPRESS');
    expect(quick.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
  });

  it('lets a state machine invoke its task functions and send to its queues, nothing more specific', () => {
    // Prepare
    const { stack, template } = built;
    const machine = stack.stateMachine('flow');

    // Act
    const statements = statementsOfRole(template, id(machine.role));

    // Assess
    const invoke = statements.filter((s) => s.Action.includes('lambda:InvokeFunction'));
    expect(invoke.flatMap((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [id(stack.fn('task').function), 'Arn'] },
    ]);
    expect(
      statements.some(
        (s) => s.Action.includes('sqs:SendMessage') && mentions(s.Resource, id(stack.queue('finance'))),
      ),
    ).toBe(true);
  });

  it('rejects an ASL placeholder without a substitution, and a substitution the ASL never uses', () => {
    // Prepare
    const [flow, quick] = fixtureManifest.stateMachines;
    if (!flow || !quick) throw new Error('fixture changed');
    const missing: Manifest = {
      ...fixtureManifest,
      stateMachines: [{ ...flow, queueSubstitutions: {} }, quick],
    };
    const unused: Manifest = {
      ...fixtureManifest,
      stateMachines: [
        flow,
        { ...quick, functionSubstitutions: { ...quick.functionSubstitutions, Extra: 'task' } },
      ],
    };

    // Assess
    expect(() => synth(missing)).toThrow(/placeholders without a substitution: FinanceQueueUrl/);
    expect(() => synth(unused)).toThrow(/substitutions the ASL never uses: Extra/);
  });

  it('lets functions start or call back a state machine by its ARN, with the matching actions only', () => {
    // Prepare
    const { stack, template } = built;
    const actionsOn = (fnId: string) =>
      statementsOfRole(template, id(stack.fn(fnId).role))
        .filter((s) => JSON.stringify(s.Resource).includes(':states:'))
        .flatMap((s) => s.Action)
        .sort();

    // Assess
    expect(actionsOn('api')).toEqual(['states:DescribeExecution', 'states:StartExecution']);
    expect(actionsOn('task')).toEqual(
      [
        'states:DescribeExecution',
        'states:SendTaskFailure',
        'states:SendTaskFailure',
        'states:SendTaskHeartbeat',
        'states:SendTaskHeartbeat',
        'states:SendTaskSuccess',
        'states:SendTaskSuccess',
        'states:StartExecution',
      ].sort(),
    );
  });

  it('grants "append" as put, condition check and reads only, on the table and its indexes', () => {
    // Prepare
    const { stack, template } = built;
    const ledger = id(stack.table('ledger'));

    // Act
    const onLedger = statementsOfRole(template, id(stack.fn('worker').role)).filter((s) =>
      mentions(s.Resource, ledger),
    );

    // Assess
    expect(onLedger).toHaveLength(1);
    expect(onLedger[0]?.Action.sort()).toEqual([...APPEND_ONLY_TABLE_ACTIONS].sort());
    // The fixture ledger has no index: the table alone, no `/index/*`.
    expect(onLedger[0]?.Resource).toHaveLength(1);
  });

  it('grants "readWrite" on a bucket without any delete', () => {
    // Prepare
    const { stack, template } = built;

    // Act
    const actions = statementsOfRole(template, id(stack.fn('importer').role))
      .filter((s) => mentions(s.Resource, id(stack.bucket('inbox'))))
      .flatMap((s) => s.Action);

    // Assess
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 's3:ListBucket']));
    expect(actions.filter((a) => a.includes('Delete'))).toEqual([]);
  });

  it('runs the sweeper on its schedule', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id(built.stack.fn('sweeper').function), 'Arn'] } })],
    });
  });

  it('fans the topic out to its queue subscribers with raw delivery, encrypted and TLS only', () => {
    // Prepare
    const { stack, template } = built;

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      TopicArn: { Ref: id(stack.topic('events')) },
      Endpoint: { 'Fn::GetAtt': [id(stack.queue('fanout-inbox')), 'Arn'] },
    });
    expect(propsOf(template, id(stack.topic('events'))).KmsMasterKeyId).toBeDefined();
  });

  it('creates secrets empty, for an operator to fill, and lets only declared functions read them', () => {
    // Prepare
    const { stack, template } = built;
    const secret = propsOf(template, id(stack.secret('psp-key')));
    const reads = (fnId: string) =>
      statementsOfRole(template, id(stack.fn(fnId).role)).some(
        (s) =>
          s.Action.includes('secretsmanager:GetSecretValue') &&
          mentions(s.Resource, id(stack.secret('psp-key'))),
      );

    // Assess
    expect(secret.GenerateSecretString).toBeUndefined();
    expect(secret.SecretString).toBeUndefined();
    // The name carries this creation of the stack, so a retained secret never blocks re-creating it.
    expect(JSON.stringify(secret.Name)).toMatch(/"Payments\/psp-key-".*AWS::StackId/);
    expect(reads('api')).toBe(true);
    expect(reads('webhook')).toBe(true);
    expect(reads('worker')).toBe(false);
  });

  it('alarms on state machine failures and on the age of the oldest message of consumed queues', () => {
    // Prepare
    const { stack, operations } = built;
    const alarms = Object.values(operations.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties as { MetricName: string; Dimensions: unknown },
    );

    // Assess
    expect(
      alarms.some(
        (a) => a.MetricName === 'ExecutionsFailed' && mentions(a.Dimensions, id(stack.stateMachine('flow'))),
      ),
    ).toBe(true);
    expect(
      alarms.some(
        (a) =>
          a.MetricName === 'ApproximateAgeOfOldestMessage' && mentions(a.Dimensions, id(stack.queue('work'))),
      ),
    ).toBe(true);
    operations.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('an ephemeral stack (a developer’s or CI’s)', () => {
  it('destroys its tables with the stack and drops their deletion protection', () => {
    // Prepare
    const { stack, template } = synth(fixtureManifest, { context: { stage: 'dev', ephemeral: 'true' } });

    // Act
    const ledger = resources(template)[logicalId(stack, stack.table('ledger'))];

    // Assess
    expect(ledger?.DeletionPolicy).toBe('Delete');
    expect(ledger?.Properties?.DeletionProtectionEnabled).toBe(false);
  });
});
