/**
 * What every stack built from a manifest must satisfy, checked on the real manifest and on the fixture that
 * exercises every feature: functions (arm64, Node.js 24, X-Ray), the environment-variable contract, routes and
 * API keys, DLQ redrive, table protection, least privilege, cdk-nag, no dependency cycle, alarms.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiOf, DEFAULT_MEMORY_MB, envVarFor, type Manifest, manifest } from '../../lib/manifest';
import { fixtureManifest } from './fixture-manifest';
import { type Synthesized, synth } from './synth';
import { logicalId, mentions, propsOf, resources, routesIn, statementsOfRole } from './template-helpers';

describe.each([
  ['real manifest', manifest],
  ['fixture manifest', fixtureManifest],
] as [string, Manifest][])('stack from the %s', (_name, source) => {
  let built: Synthesized;
  beforeAll(() => {
    built = synth(source);
  }, 120_000);

  it('runs every function on Node.js 24, arm64, with active X-Ray tracing and its declared timeout', () => {
    // Prepare
    const { stack, template } = built;

    // Act
    const functions = source.functions.map((spec) => ({
      spec,
      props: propsOf(template, logicalId(stack, stack.fn(spec.id).function)),
    }));

    // Assess
    expect(functions).toHaveLength(source.functions.length);
    for (const { spec, props } of functions) {
      expect(props.Runtime, spec.id).toBe('nodejs24.x');
      expect(props.Architectures, spec.id).toEqual(['arm64']);
      expect(props.TracingConfig, spec.id).toEqual({ Mode: 'Active' });
      expect(props.Timeout, spec.id).toBe(spec.timeoutSeconds);
      expect(props.MemorySize, spec.id).toBe(spec.memoryMb ?? DEFAULT_MEMORY_MB);
      expect(props.Handler, spec.id).toBe('index.handler');
    }
  });

  it('gives no function outside the manifest a runtime other than CDK’s own bucket-notification helper', () => {
    // Prepare
    const { stack, template } = built;
    const declared = new Set(source.functions.map((spec) => logicalId(stack, stack.fn(spec.id).function)));

    // Act
    const extra = Object.entries(resources(template))
      .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && !declared.has(id))
      .map(([id]) => id);

    // Assess
    for (const id of extra) expect(id).toMatch(/^BucketNotificationsHandler/);
  });

  it('names every granted resource in the environment variable envVarFor gives it, pointing at that resource', () => {
    // Prepare
    const { stack, template } = built;
    const expected: { fn: string; name: string; resource: string }[] = [];
    for (const spec of source.functions) {
      const access = spec.access ?? {};
      for (const id of Object.keys(access.tables ?? {}))
        expected.push({
          fn: spec.id,
          name: envVarFor('table', id),
          resource: logicalId(stack, stack.table(id)),
        });
      for (const id of Object.keys(access.queues ?? {}))
        expected.push({
          fn: spec.id,
          name: envVarFor('queue', id),
          resource: logicalId(stack, stack.queue(id)),
        });
      for (const id of Object.keys(access.buckets ?? {}))
        expected.push({
          fn: spec.id,
          name: envVarFor('bucket', id),
          resource: logicalId(stack, stack.bucket(id)),
        });
      for (const id of access.secrets ?? [])
        expected.push({
          fn: spec.id,
          name: envVarFor('secret', id),
          resource: logicalId(stack, stack.secret(id)),
        });
      for (const id of access.topics ?? [])
        expected.push({
          fn: spec.id,
          name: envVarFor('topic', id),
          resource: logicalId(stack, stack.topic(id)),
        });
    }

    // Act
    const variablesOf = (fnId: string) =>
      ((propsOf(template, logicalId(stack, stack.fn(fnId).function)).Environment as { Variables: object })
        .Variables ?? {}) as Record<string, unknown>;

    // Assess
    for (const { fn, name, resource } of expected) {
      const value = variablesOf(fn)[name];
      expect(value, `${fn} ${name}`).toBeDefined();
      expect(mentions(value, resource), `${fn} ${name} -> ${resource}`).toBe(true);
    }
    for (const spec of source.functions) {
      for (const [id, value] of Object.entries(spec.access?.stateMachines ?? {})) {
        expect(value).toBeDefined();
        expect(JSON.stringify(variablesOf(spec.id)[envVarFor('stateMachine', id)])).toContain(
          `:stateMachine:${stack.stackName}-${id}`,
        );
      }
      for (const [key, value] of Object.entries(spec.environment ?? {})) {
        const setting = spec.deploymentSettings?.[key];
        expect(variablesOf(spec.id)[key], `${spec.id} ${key}`).toBe(setting ? built.config[setting] : value);
      }
    }
  });

  it('serves exactly the manifest REST routes, requiring the API key exactly where declared', () => {
    // Prepare (the `api: 'webhooks'` routes are on the HTTP API: test/infra/webhooks-api.test.ts)
    const { stack, template } = built;
    const expected = source.routes
      .filter((route) => apiOf(route) === 'rest')
      .map((route) => ({
        method: route.method,
        path: route.path,
        apiKeyRequired: route.apiKeyRequired,
        target: logicalId(stack, stack.fn(route.function).function),
      }));

    // Act
    const routes = routesIn(template);

    // Assess
    expect(routes.map(({ method, path, apiKeyRequired }) => ({ method, path, apiKeyRequired }))).toEqual(
      expect.arrayContaining(
        expected.map(({ method, path, apiKeyRequired }) => ({ method, path, apiKeyRequired })),
      ),
    );
    expect(routes).toHaveLength(expected.length);
    for (const route of expected) {
      const found = routes.find((r) => r.method === route.method && r.path === route.path);
      expect(mentions(found?.integrationTarget, route.target), `${route.method} ${route.path}`).toBe(true);
    }
    const usagePlans = template.findResources('AWS::ApiGateway::UsagePlan');
    expect(Object.keys(usagePlans)).toHaveLength(source.routes.some((r) => r.apiKeyRequired) ? 1 : 0);
  });

  it('redrives every queue that declares a dead-letter queue, encrypts it and refuses plain HTTP', () => {
    // Prepare
    const { stack, template } = built;

    // Act
    const queues = source.queues.map((spec) => ({
      spec,
      props: propsOf(template, logicalId(stack, stack.queue(spec.id))),
    }));

    // Assess
    for (const { spec, props } of queues) {
      expect(props.SqsManagedSseEnabled, spec.id).toBe(true);
      expect(props.VisibilityTimeout, spec.id).toBe(spec.visibilityTimeoutSeconds);
      if (spec.deadLetter) {
        expect(props.RedrivePolicy, spec.id).toEqual({
          deadLetterTargetArn: {
            'Fn::GetAtt': [logicalId(stack, stack.queue(spec.deadLetter.queue)), 'Arn'],
          },
          maxReceiveCount: spec.deadLetter.maxReceiveCount,
        });
      } else {
        expect(props.RedrivePolicy, spec.id).toBeUndefined();
      }
    }
    const sslDenied = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((policy) =>
      JSON.stringify(policy).includes('"aws:SecureTransport":"false"'),
    );
    expect(sslDenied.length).toBeGreaterThanOrEqual(source.queues.length);
  });

  it('keeps every table on demand, with point-in-time recovery, deletion protection and retained on delete', () => {
    // Prepare
    const { stack, template } = built;

    // Act
    const tables = source.tables.map((spec) => ({
      spec,
      resource: resources(template)[logicalId(stack, stack.table(spec.id))],
    }));

    // Assess
    for (const { spec, resource } of tables) {
      const props = resource?.Properties ?? {};
      expect(props.BillingMode, spec.id).toBe('PAY_PER_REQUEST');
      expect(props.PointInTimeRecoverySpecification, spec.id).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(props.DeletionProtectionEnabled, spec.id).toBe(true);
      expect(resource?.DeletionPolicy, spec.id).toBe('Retain');
      expect(props.TimeToLiveSpecification, spec.id).toEqual(
        spec.ttlAttribute ? { AttributeName: spec.ttlAttribute, Enabled: true } : undefined,
      );
      expect(Boolean(props.StreamSpecification), spec.id).toBe(Boolean(spec.stream));
      const indexes = (props.GlobalSecondaryIndexes as { IndexName: string }[] | undefined) ?? [];
      expect(indexes.map((i) => i.IndexName)).toEqual((spec.globalIndexes ?? []).map((i) => i.name));
    }
  });

  it('never lets a function holding "append" on a table update or delete its items', () => {
    // Prepare
    const { stack, template } = built;
    const forbidden = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'];
    const appendGrants = source.functions.flatMap((spec) =>
      Object.entries(spec.access?.tables ?? {})
        .filter(([, level]) => level === 'append')
        .map(([table]) => ({ fn: spec.id, table })),
    );

    // Act
    const offending = appendGrants.flatMap(({ fn, table }) =>
      statementsOfRole(template, logicalId(stack, stack.fn(fn).role))
        .filter((s) => s.Effect === 'Allow' && mentions(s.Resource, logicalId(stack, stack.table(table))))
        .flatMap((s) =>
          s.Action.filter((action) => forbidden.includes(action)).map((a) => `${fn} ${table} ${a}`),
        ),
    );

    // Assess
    expect(offending).toEqual([]);
  });

  it('allows Resource "*" only for actions without resource-level permissions (X-Ray, Logs delivery, ListStreams)', () => {
    // Prepare
    const { template } = built;
    const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter(
      (id) => id.startsWith('Functions') || id.startsWith('StateMachines'),
    );

    // Act
    const wildcardActions = roles.flatMap((role) =>
      statementsOfRole(template, role)
        .filter((s) => s.Effect === 'Allow' && s.Resource.includes('*'))
        .flatMap((s) => s.Action),
    );

    // Assess
    expect(roles.length).toBeGreaterThanOrEqual(source.functions.length);
    for (const action of wildcardActions) expect(action).toMatch(/^(xray:|logs:|dynamodb:ListStreams$)/);
  });

  it('passes the cdk-nag AwsSolutions pack with every remaining finding acknowledged', () => {
    // Prepare
    const checks = new AwsSolutionsChecks();

    // Act
    const report = checks.validateScope(built.stack);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources[0]?.constructPath}`)).toEqual(
      [],
    );
  });

  it('has no dependency cycle between its resources (functions and state machines refer to each other)', () => {
    // Act: Template.fromStack refuses a template whose resources depend on each other in a cycle.
    const parse = () => Template.fromStack(built.stack);

    // Assess
    expect(parse).not.toThrow();
  });

  it('alarms on every dead-letter queue, every function’s errors and throttles, and API 5xx', () => {
    // Prepare
    const { stack, operations } = built;
    const alarms = Object.values(operations.findResources('AWS::CloudWatch::Alarm')).map(
      (a) =>
        a.Properties as { MetricName: string; Dimensions: { Value: unknown }[]; AlarmActions: unknown[] },
    );
    const alarmOn = (metric: string, resourceId: string) =>
      alarms.some((a) => a.MetricName === metric && mentions(a.Dimensions, resourceId));
    const deadLetters = source.queues.flatMap((q) => (q.deadLetter ? [q.deadLetter.queue] : []));

    // Assess
    for (const id of deadLetters) {
      expect(alarmOn('ApproximateNumberOfMessagesVisible', logicalId(stack, stack.queue(id))), id).toBe(true);
    }
    for (const spec of source.functions) {
      const fnId = logicalId(stack, stack.fn(spec.id).function);
      expect(alarmOn('Errors', fnId), spec.id).toBe(true);
      expect(alarmOn('Throttles', fnId), spec.id).toBe(true);
    }
    const in5xxRate = Object.values(operations.findResources('AWS::CloudWatch::Alarm')).some((a) =>
      JSON.stringify(a.Properties?.Metrics ?? []).includes('"MetricName":"5XXError"'),
    );
    expect(in5xxRate).toBe(source.routes.length > 0);
    const topic = logicalId(stack, stack.alarmTopic);
    for (const alarm of alarms) expect(mentions(alarm.AlarmActions, topic)).toBe(true);
  });
});
