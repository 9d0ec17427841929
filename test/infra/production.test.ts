/**
 * Production readiness of the synthesized template (issue 13), on the real manifest and the fixture: alarms
 * that reach someone and link their runbooks, the edge (WAF, throttles, validators, access logs, explicit
 * authorization), the data (KMS keys, no deletes on money tables, the ledger watched, Object Lock, backups
 * copied to a second region, names that survive re-creating the stack), and cdk-nag's AwsSolutions and
 * Serverless packs with no finding left and no acknowledgement that matches nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { ConfigError, readDeploymentConfig } from '../../lib/config';
import { ACCESS_LOG_FIELDS } from '../../lib/constructs/manifest-api';
import { ALARM_KINDS } from '../../lib/constructs/operations';
import { apiOf, type Manifest, manifest } from '../../lib/manifest';
import { ManifestError } from '../../lib/manifest-checks';
import { fixtureManifest } from './fixture-manifest';
import { cdkContext, projectRoot, type Synthesized, synth, testContext } from './synth';
import { type Json, logicalId, mentions, propsOf, resources, statementsOfRole } from './template-helpers';

const RUNBOOK_LINK = /\nRunbook: docs\/runbooks\/([a-z0-9-]+)\.md$/;

function alarmsOf(template: Template): { id: string; props: Json }[] {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => ({
    id,
    props: (r as { Properties: Json }).Properties,
  }));
}

/** Every acknowledgement in the tree, and the ones a pack consulted for a finding. */
function acknowledgementUse(scope: IConstruct, packs: NagPack[]): { declared: string[]; used: Set<string> } {
  const key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const declared: string[] = [];
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== key || !entry.data) continue;
      for (const id of Object.keys(entry.data as object))
        declared.push(`${node.node.path} ${id.replace(/^annotation::/i, '')}`);
    }
  }
  const used = new Set<string>();
  for (const pack of packs) {
    const target = pack as unknown as { isAcknowledged(resource: CfnResource, ruleId: string): boolean };
    const original = target.isAcknowledged.bind(pack);
    target.isAcknowledged = (resource, ruleId) => {
      const acknowledged = original(resource, ruleId);
      if (acknowledged) {
        let current: IConstruct | undefined = resource;
        while (current) {
          const found = current.node.metadata.some(
            (e) =>
              e.type === key &&
              Object.keys((e.data as object) ?? {}).some((k) => k.replace(/^annotation::/i, '') === ruleId),
          );
          if (found) {
            used.add(`${current.node.path} ${ruleId}`);
            break;
          }
          current = current.node.scope;
        }
      }
      return acknowledged;
    };
    pack.validateScope(scope);
  }
  return { declared: [...new Set(declared)], used };
}

describe.each([
  ['real manifest', manifest],
  ['fixture manifest', fixtureManifest],
] as [string, Manifest][])('production template from the %s', (_name, source) => {
  let built: Synthesized;
  let id: (construct: IConstruct) => string;
  beforeAll(() => {
    built = synth(source);
    id = (construct) => logicalId(built.stack, construct);
  }, 120_000);

  it('links every alarm to a runbook that exists and says what it means, how to look and how to fix', () => {
    // Act
    const alarms = alarmsOf(built.operations);

    // Assess
    expect(alarms.length).toBeGreaterThan(source.functions.length * 2);
    for (const { id: alarmId, props } of alarms) {
      const link = String(props.AlarmDescription).match(RUNBOOK_LINK);
      expect(link, alarmId).not.toBeNull();
      const file = join(projectRoot, 'docs/runbooks', `${link?.[1]}.md`);
      expect(existsSync(file), file).toBe(true);
      const text = readFileSync(file, 'utf8');
      for (const heading of ['## What it means', '## How to look', '## How to fix'])
        expect(text, `${file} ${heading}`).toContain(heading);
    }
  });

  it('notifies the alarm topic (alarm and OK) and the topic has the required email subscriber', () => {
    // Prepare
    const topic = id(built.stack.alarmTopic);

    // Assess
    for (const { id: alarmId, props } of alarmsOf(built.operations)) {
      expect(mentions(props.AlarmActions, topic), alarmId).toBe(true);
      expect(mentions(props.OKActions, topic), alarmId).toBe(true);
    }
    built.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: testContext.alarmEmail,
      TopicArn: { Ref: topic },
    });
  });

  it('alarms on the business metrics in the MarketplacePayments namespace with the service dimension', () => {
    // Prepare
    const metricsOf = (props: Json): Json[] => {
      const single = props.MetricName ? [props] : [];
      const math = ((props.Metrics as Json[] | undefined) ?? [])
        .map((m) => (m.MetricStat as Json | undefined)?.Metric as Json | undefined)
        .filter((m): m is Json => m !== undefined);
      return [...single, ...math];
    };
    const custom = alarmsOf(built.operations)
      .flatMap(({ props }) => metricsOf(props))
      .filter((m) => m.Namespace === 'MarketplacePayments');

    // Assess
    const names = new Set(custom.map((m) => m.MetricName));
    for (const name of [
      'PayInSucceeded',
      'PayInFailed',
      'OldestNonTerminalOrderAgeSeconds',
      'NeedsAttentionCreated',
      'ReconciliationBreaks',
      'WebhookSignatureFailures',
      'PspCircuitOpen',
      'LedgerItemModified',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    for (const metric of custom) {
      expect(metric.Dimensions, String(metric.MetricName)).toEqual(
        expect.arrayContaining([{ Name: 'service', Value: source.service }]),
      );
    }
  });

  it('has one runbook per alarm kind, and every kind is used by some alarm', () => {
    // Act
    const kinds = new Set(
      alarmsOf(built.operations).map(({ props }) => String(props.AlarmDescription).match(RUNBOOK_LINK)?.[1]),
    );

    // Assess
    for (const kind of ALARM_KINDS) {
      expect(existsSync(join(projectRoot, 'docs/runbooks', `${kind}.md`)), kind).toBe(true);
      expect(kinds.has(kind), kind).toBe(true);
    }
  });

  it('passes cdk-nag AwsSolutions and Serverless with no finding left and no acknowledgement unused', () => {
    // Prepare
    const packs = [new AwsSolutionsChecks(), new ServerlessChecks()];

    // Act
    const findings = packs.flatMap((pack) =>
      pack
        .validateScope(built.stack)
        .violations.map(
          (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
        ),
    );
    const { declared, used } = acknowledgementUse(built.stack, [
      new AwsSolutionsChecks(),
      new ServerlessChecks(),
    ]);

    // Assess
    expect(findings).toEqual([]);
    expect(declared.filter((ack) => !used.has(ack))).toEqual([]);
  });

  it('protects the API stage with a WAF web ACL: rate limit per IP and AWS managed rule groups', () => {
    // Prepare
    const { template, stack } = built;
    const acl = Object.values(template.findResources('AWS::WAFv2::WebACL'));

    // Assess
    expect(acl).toHaveLength(1);
    const rules = (acl[0]?.Properties as { Rules: Json[] } | undefined)?.Rules ?? [];
    expect(rules.find((r) => r.Name === 'RateLimitPerIp')?.Statement).toMatchObject({
      RateBasedStatement: { AggregateKeyType: 'IP', Limit: built.config.wafRateLimitPer5Minutes },
    });
    const managed = rules.map(
      (r) => ((r.Statement as Json).ManagedRuleGroupStatement as Json | undefined)?.Name,
    );
    expect(managed).toEqual(
      expect.arrayContaining([
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'AWSManagedRulesAmazonIpReputationList',
      ]),
    );
    const association = Object.values(template.findResources('AWS::WAFv2::WebACLAssociation'))[0];
    expect(JSON.stringify(association?.Properties?.ResourceArn)).toContain(
      id(stack.api?.api.deploymentStage as IConstruct),
    );
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'x-api-key' } }]),
    });
  });

  it('gives every public REST route its own method throttle and its function a reserved concurrency', () => {
    // Prepare (the webhooks API's route throttles: test/infra/webhooks-api.test.ts)
    const stage = Object.values(built.template.findResources('AWS::ApiGateway::Stage'))[0]?.Properties as {
      MethodSettings: Json[];
    };
    const publicRoutes = source.routes.filter((r) => !r.apiKeyRequired && apiOf(r) === 'rest');

    // Assess
    expect(publicRoutes.length).toBeGreaterThan(0);
    for (const route of publicRoutes) {
      const path = `/${route.path.replace(/\//g, '~1')}`;
      expect(stage.MethodSettings, route.path).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            ResourcePath: path,
            HttpMethod: route.method,
            ThrottlingRateLimit: route.throttle?.rateLimit,
            ThrottlingBurstLimit: route.throttle?.burstLimit,
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
          }),
        ]),
      );
      const fn = propsOf(built.template, id(built.stack.fn(route.function).function));
      expect(fn.ReservedConcurrentExecutions, route.function).toBeGreaterThan(0);
    }
  });

  it('validates path parameters and a JSON object body on storefront routes, never on public ones', () => {
    // Prepare
    const methods = Object.values(built.template.findResources('AWS::ApiGateway::Method')).map(
      (m) => m.Properties as Json,
    );

    // Assess
    for (const method of methods) {
      if (method.ApiKeyRequired === true) {
        expect(method.RequestValidatorId, String(method.HttpMethod)).toBeDefined();
        if (method.HttpMethod === 'POST') expect(method.RequestModels).toHaveProperty(['application/json']);
      } else {
        expect(method.RequestValidatorId).toBeUndefined();
        expect(method.RequestModels).toBeUndefined();
      }
    }
    built.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    built.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      StatusCode: '400',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"validation_error"') },
    });
  });

  it('writes JSON access logs with the API key id, latencies and the error message, never the key itself', () => {
    // Act
    const stage = Object.values(built.template.findResources('AWS::ApiGateway::Stage'))[0]?.Properties as {
      AccessLogSetting: { Format: string };
    };
    const format = JSON.parse(stage.AccessLogSetting.Format) as Record<string, string>;

    // Assess
    expect(format).toEqual(ACCESS_LOG_FIELDS);
    expect(format.apiKeyId).toBe('$context.identity.apiKeyId');
    expect(format.integrationLatencyMs).toBe('$context.integrationLatency');
    expect(format.errorMessage).toBe('$context.error.message');
    expect(stage.AccessLogSetting.Format).not.toContain('$context.identity.apiKey"');
  });

  it('encrypts each money table with its own rotating customer-managed key, and only those', () => {
    // Prepare
    const { stack, template } = built;

    // Assess
    for (const spec of source.tables) {
      const sse = propsOf(template, id(stack.table(spec.id))).SSESpecification as Json;
      if (spec.money) {
        const key = stack.tableKeys.get(spec.id);
        expect(key, spec.id).toBeDefined();
        expect(sse).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
        expect(sse.KMSMasterKeyId).toEqual({ 'Fn::GetAtt': [id(key as IConstruct), 'Arn'] });
        expect(propsOf(template, id(key as IConstruct)).EnableKeyRotation).toBe(true);
      } else {
        expect(stack.tableKeys.has(spec.id), spec.id).toBe(false);
      }
    }
  });

  it('never lets a function delete from a money table (no DeleteItem, no BatchWriteItem)', () => {
    // Prepare
    const { stack, template } = built;
    const money = source.tables.filter((t) => t.money).map((t) => id(stack.table(t.id)));

    // Act
    const offending = source.functions.flatMap((spec) =>
      statementsOfRole(template, id(stack.fn(spec.id).role))
        .filter((s) => s.Effect === 'Allow' && money.some((t) => mentions(s.Resource, t)))
        .flatMap((s) => s.Action)
        .filter((a) => ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'].includes(a))
        .map((a) => `${spec.id} ${a}`),
    );

    // Assess
    expect(offending).toEqual([]);
    const writers = source.functions.filter((f) =>
      Object.entries(f.access?.tables ?? {}).some(
        ([t, level]) => level !== 'read' && source.tables.find((x) => x.id === t)?.money,
      ),
    );
    expect(writers.length).toBeGreaterThan(0);
  });

  it('makes settlement evidence immutable: versioned with Object Lock in COMPLIANCE mode', () => {
    // Assess
    for (const spec of source.buckets.filter((b) => b.objectLockDays)) {
      expect(propsOf(built.template, id(built.stack.bucket(spec.id)))).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: spec.objectLockDays } },
        },
      });
    }
  });

  it('backs the money tables up daily with AWS Backup and copies each recovery point to the second region', () => {
    // Prepare
    const { template, stack } = built;
    const plan = Object.values(template.findResources('AWS::Backup::BackupPlan'))[0]?.Properties as Json;
    const selection = Object.values(template.findResources('AWS::Backup::BackupSelection'))[0]
      ?.Properties as { BackupSelection: { Resources: unknown[] } };

    // Assess
    const rule = (plan.BackupPlan as { BackupPlanRule: Json[] }).BackupPlanRule[0] as Json;
    expect(rule.Lifecycle).toEqual({ DeleteAfterDays: built.config.backupRetentionDays });
    expect(JSON.stringify(rule.CopyActions)).toContain(`:backup:${testContext.backupCopyRegion}:`);
    expect(JSON.stringify(rule.CopyActions)).toContain('backup-vault:Payments-money-copy');
    const tables = source.tables.filter((t) => t.money).map((t) => id(stack.table(t.id)));
    expect(selection.BackupSelection.Resources).toHaveLength(tables.length);
    for (const table of tables) expect(mentions(selection.BackupSelection.Resources, table)).toBe(true);
  });

  it('fixes no name on a retained resource unless it is unique to this creation of the stack', () => {
    // Prepare
    const nameKeys = [
      'TableName',
      'QueueName',
      'BucketName',
      'LogGroupName',
      'Name',
      'BackupVaultName',
      'TopicName',
      'RoleName',
      'AliasName',
    ];

    // Act
    const fixed = Object.entries(resources(built.template))
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .flatMap(([rid, r]) =>
        nameKeys
          .filter((k) => r.Properties?.[k] !== undefined)
          .filter((k) => !JSON.stringify(r.Properties?.[k]).includes('AWS::StackId'))
          .map((k) => `${rid}.${k}`),
      );

    // Assess
    expect(fixed).toEqual([]);
  });

  it('logs the Express workflows at ERROR without execution data', () => {
    for (const spec of source.stateMachines.filter((m) => m.type === 'EXPRESS')) {
      expect(
        propsOf(built.template, id(built.stack.stateMachine(spec.id))).LoggingConfiguration,
      ).toMatchObject({
        Level: 'ERROR',
        IncludeExecutionData: false,
      });
    }
  });

  it('lays out one dashboard with the golden signals and the money figures', () => {
    // Act
    const body = JSON.stringify(
      Object.values(built.operations.findResources('AWS::CloudWatch::Dashboard'))[0]?.Properties
        ?.DashboardBody,
    );

    // Assess
    for (const text of [
      'Latency',
      'Traffic',
      'Errors',
      'saturation',
      'PSP latency',
      'Pay-ins',
      'Reconciliation breaks',
    ])
      expect(body, text).toContain(text);
  });
});

describe('the real manifest’s ledger', () => {
  it('streams the ledger to a watcher and alarms on the first modified or removed item', () => {
    // Prepare
    const { stack, template, operations } = synth(manifest);

    // Act
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
      .map((m) => m.Properties as Json)
      .find((p) => mentions(p.EventSourceArn, logicalId(stack, stack.table('ledger'))));

    // Assess
    expect(mapping?.FunctionName).toEqual({
      Ref: logicalId(stack, stack.fn('watch-ledger-changes').function),
    });
    operations.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'LedgerItemModified',
      Namespace: 'MarketplacePayments',
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('ledger-item-modified.md'),
    });
  });
});

describe('the manifest checks', () => {
  const webhook = manifest.routes.find((r) => r.path === '/v1/webhooks/psp');
  if (!webhook) throw new Error('manifest changed');
  const withRoutes = (routes: Manifest['routes']): Manifest => ({ ...manifest, routes });

  it('refuse a route without the API key and without an authorization decision', () => {
    // Prepare
    const { authorization: _dropped, ...undecided } = webhook;

    // Act
    const act = () => synth(withRoutes([...manifest.routes.filter((r) => r !== webhook), undecided]));

    // Assess
    expect(act).toThrow(ManifestError);
    expect(act).toThrow(/route POST \/v1\/webhooks\/psp: no authorization decision/);
  });

  it('refuse a public route without its own throttle, and a storefront route that claims to be public', () => {
    // Prepare
    const { throttle: _dropped, ...unthrottled } = webhook;
    const storefront = manifest.routes.find((r) => r.apiKeyRequired);
    if (!storefront) throw new Error('manifest changed');
    const contradictory = { ...storefront, authorization: { by: 'none' as const, reason: 'why not' } };

    // Act
    const act = () =>
      synth(
        withRoutes([
          ...manifest.routes.filter((r) => r !== webhook && r !== storefront),
          unthrottled,
          contradictory,
        ]),
      );

    // Assess
    expect(act).toThrow(/POST \/v1\/webhooks\/psp: a public route needs its own throttle/);
    expect(act).toThrow(/must not also declare a public authorization/);
  });

  it('take a deployment’s reserved concurrency over the manifest’s (a raised PSP limit)', () => {
    // Act
    const { stack, template } = synth(manifest, {
      context: { reservedConcurrency: '{"payin-execute-order":300}', lambdaConcurrencyQuota: '3000' },
    });

    // Assess
    expect(
      propsOf(template, logicalId(stack, stack.fn('payin-execute-order').function))
        .ReservedConcurrentExecutions,
    ).toBe(300);
    expect(() => synth(manifest, { context: { reservedConcurrency: '{"ghost":1}' } })).toThrow(
      /undeclared functions: ghost/,
    );
  });

  it('refuse reserved concurrency the account quota cannot hold', () => {
    expect(() => synth(manifest, { context: { lambdaConcurrencyQuota: '150' } })).toThrow(
      /leaves 50 to reserve/,
    );
  });
});

describe('the deployment configuration', () => {
  const read = (context: Record<string, string>) => () => readDeploymentConfig((key) => context[key]);

  it('requires an alarm subscriber, the storefront URLs and, on prod, a backup copy region', () => {
    // Act
    const act = read({ stage: 'prod' });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/alarmEmail is required/);
    expect(act).toThrow(/storefrontSuccessUrl is required/);
    expect(act).toThrow(/backupCopyRegion is required on prod/);
  });

  it('refuses example or plain-http storefront URLs and ephemeral data on prod', () => {
    // Act
    const act = read({
      ...testContext,
      storefrontSuccessUrl: 'https://shop.example/checkout/{CHECKOUT_ID}/done',
      storefrontCancelUrl: 'http://shop.marketplace.test/cancel',
      ephemeral: 'true',
    });

    // Assess
    expect(act).toThrow(/storefrontSuccessUrl points at an example host/);
    expect(act).toThrow(/storefrontCancelUrl must be https on prod/);
    expect(act).toThrow(/ephemeral=true is refused on prod/);
  });

  it('takes alarm thresholds from context over the defaults, and refuses unknown ones', () => {
    // Act
    const config = read({ ...testContext, alarmThresholds: '{"apiP99LatencyMs":1500}' })();

    // Assess
    expect(config.alarmThresholds.apiP99LatencyMs).toBe(1500);
    expect(config.alarmThresholds.lambdaErrors).toBe(1);
    expect(read({ ...testContext, alarmThresholds: '{"nope":1}' })).toThrow(/alarmThresholds.nope/);
  });
});

describe('the app synthesized without credentials', () => {
  it('names no account and no region: the template deploys to any', () => {
    // Prepare
    const context = { ...cdkContext, ...testContext, 'aws:cdk:bundling-stacks': [] };
    const app = new App({ context });

    // Act
    const { payments, backupCopy } = buildApp(manifest, projectRoot, app, {});
    // The payments stack and its nested operations stack (the alarms and the dashboard).
    const text = [payments, payments.operations]
      .map((stack) => JSON.stringify(Template.fromStack(stack).toJSON()))
      .join('\n');

    // Assess
    expect(Token.isUnresolved(payments.account)).toBe(true);
    expect(Token.isUnresolved(payments.region)).toBe(true);
    expect(text).not.toMatch(/\b\d{12}\b/);
    // The one region named is the backup copy's, by configuration.
    expect(text.replaceAll(`:${testContext.backupCopyRegion}:`, '')).not.toMatch(/\b[a-z]{2}-[a-z]+-\d\b/);
    expect(text).toContain('"Ref":"AWS::AccountId"');
    expect(backupCopy?.region).toBe(testContext.backupCopyRegion);
    expect(payments.dependencies).toContain(backupCopy);
  });
});

describe('the templates of `cdk deploy`', () => {
  it('keep every stack, nested ones included, under 450 resources and 200 parameters (limits 500 and 200)', () => {
    // Prepare: the real manifest, as `npm run synth` builds it.
    const context = { ...cdkContext, ...testContext, 'aws:cdk:bundling-stacks': [] };
    const app = new App({ context });
    const { payments } = buildApp(manifest, projectRoot, app, {});

    // Act
    const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
    const sizes = stacks.map((stack) => {
      const json = Template.fromStack(stack).toJSON() as { Resources?: Json; Parameters?: Json };
      return {
        stack: stack.node.path,
        resources: Object.keys(json.Resources ?? {}).length,
        parameters: Object.keys(json.Parameters ?? {}).length,
      };
    });

    // Assess: the payments stack, its operations stack and the backup copy stack.
    expect(stacks).toContain(payments.operations);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    for (const size of sizes) {
      expect(size.resources, JSON.stringify(size)).toBeLessThan(450);
      expect(size.parameters, JSON.stringify(size)).toBeLessThan(200);
    }
    // The alarms did move: most of the operations stack is alarms, and the payments stack has none.
    expect(Template.fromStack(payments).findResources('AWS::CloudWatch::Alarm')).toEqual({});
    expect(
      Object.keys(Template.fromStack(payments.operations).findResources('AWS::CloudWatch::Alarm')).length,
    ).toBeGreaterThan(100);
  });
});
