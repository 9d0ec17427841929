/** The pay-out resources in the stack built from the real manifest: the Standard state machine, its functions, routes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { readDeploymentConfig } from '../../lib/config';
import { envVarFor, manifest } from '../../lib/manifest';
import { type Synthesized, synth, testContext } from './synth';
import { logicalId, mentions, propsOf, resources, routesIn, statementsOfRole } from './template-helpers';

describe('pay-out in the stack from the real manifest', () => {
  let built: Synthesized;
  beforeAll(() => {
    built = synth(manifest);
  }, 180_000);

  it('builds pay-out as a STANDARD state machine whose task-token wait times out into a lookup', () => {
    const { stack, template } = built;
    const props = propsOf(template, logicalId(stack, stack.stateMachine('pay-out')));
    expect(props.StateMachineType).toBe('STANDARD');
    const definition = JSON.parse(String(props.DefinitionString)) as {
      States: Record<
        string,
        {
          Resource?: string;
          TimeoutSecondsPath?: string;
          Catch?: { ErrorEquals: string[]; Next: string }[];
        }
      >;
    };
    const wait = definition.States.AwaitResult;
    expect(wait?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    // The wait is the provider's usual time, carried by the execution's input (set per provider at start).
    expect(wait?.TimeoutSecondsPath).toBe('$.await_timeout_seconds');
    expect(wait?.Catch?.find((c) => c.ErrorEquals.includes('States.Timeout'))?.Next).toBe('LookUpAtProvider');
  });

  it('deploys the pay-out functions and routes', () => {
    const { stack, template } = built;
    const all = resources(template);
    for (const fn of [
      'put-seller',
      'pause-seller-payouts',
      'create-payout',
      'get-payout',
      'list-seller-payouts',
      'payout-submit',
      'payout-await-result',
      'sweep-payouts',
      'payout-webhook',
    ]) {
      expect(all[logicalId(stack, stack.fn(fn).function)]?.Type, fn).toBe('AWS::Lambda::Function');
    }
    const routes = routesIn(template).map((r) => `${r.method} ${r.path} ${r.apiKeyRequired}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'PUT /v1/sellers/{seller_account} true',
        'POST /v1/sellers/{seller_account}/payouts/pause true',
        'POST /v1/sellers/{seller_account}/payouts/resume true',
        'GET /v1/sellers/{seller_account}/payouts true',
        'POST /v1/payouts true',
        'GET /v1/payouts/{payout_id} true',
      ]),
    );
    // The payee network's webhook: on the webhooks HTTP API (test/infra/webhooks-api.test.ts), not this one.
    expect(routes.some((r) => r.includes('/v1/webhooks/payouts'))).toBe(false);
    const schedules = Object.values(all).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(
      schedules.some((r) => mentions(r.Properties, logicalId(stack, stack.fn('sweep-payouts').function))),
    ).toBe(true);
  });

  it("deploys the payee network's webhook with its own reserved concurrency and throttle", () => {
    const { stack, template } = built;
    const webhook = propsOf(template, logicalId(stack, stack.fn('payout-webhook').function));
    expect(webhook.ReservedConcurrentExecutions).toBe(20);
    const stage = Object.values(resources(template)).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
    const settings = (stage?.Properties?.RouteSettings ?? {}) as Record<
      string,
      { ThrottlingRateLimit?: number }
    >;
    expect(settings['POST /v1/webhooks/payouts']?.ThrottlingRateLimit).toBe(200);
  });

  it('streams the payouts table into the domain-event publisher', () => {
    const { stack, template } = built;
    const table = propsOf(template, logicalId(stack, stack.table('payouts')));
    expect(table.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const tableId = logicalId(stack, stack.table('payouts'));
    const publisher = logicalId(stack, stack.fn('publish-domain-events').function);
    const mappings = Object.values(resources(template)).filter(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && mentions(r.Properties?.EventSourceArn, tableId),
    );
    expect(mappings).toHaveLength(1);
    expect(mentions(mappings[0]?.Properties?.FunctionName, publisher)).toBe(true);
  });

  it('alarms on failed pay-out executions, old holds, late payouts and unhandled provider events', () => {
    const { stack, operations } = built;
    const alarms = Object.values(resources(operations))
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties ?? {});
    const byMetric = (name: string) => alarms.filter((a) => a.MetricName === name);
    const machine = logicalId(stack, stack.stateMachine('pay-out'));
    expect(byMetric('ExecutionsFailed').some((a) => mentions(a.Dimensions, machine))).toBe(true);
    const expected: [string, number, string][] = [
      ['OldestPayoutHoldAgeSeconds', 7 * 86_400, 'payout-hold-age'],
      ['PayoutsPastUsualTime', 1, 'payout-pending-past-usual-time'],
      ['UnhandledPayoutProviderEvents', 1, 'unhandled-payout-provider-event'],
    ];
    for (const [metric, threshold, runbook] of expected) {
      const [alarm, ...more] = byMetric(metric);
      expect(more, metric).toHaveLength(0);
      expect(alarm?.Threshold, metric).toBe(threshold);
      expect(alarm?.Namespace, metric).toBe('MarketplacePayments');
      expect(String(alarm?.AlarmDescription), metric).toContain(`docs/runbooks/${runbook}.md`);
      expect((alarm?.AlarmActions as unknown[] | undefined)?.length, metric).toBeGreaterThan(0);
    }
  });

  it('points the provider-calling functions at the configured payee network, its key from Secrets Manager', () => {
    const { stack, template, config } = built;
    expect(config.payeeApiBase).toBe(testContext.payeeApiBase);
    const secret = logicalId(stack, stack.secret('payee-api-key'));
    expect(resources(template)[secret]?.Type).toBe('AWS::SecretsManager::Secret');
    for (const fn of ['payout-submit', 'payout-await-result', 'sweep-payouts']) {
      const id = logicalId(stack, stack.fn(fn).function);
      const variables = ((propsOf(template, id).Environment as { Variables?: Record<string, unknown> })
        ?.Variables ?? {}) as Record<string, unknown>;
      expect(variables.PAYEE_API_BASE, fn).toBe('https://api.payee-network.test/payee');
      expect(mentions(variables[envVarFor('secret', 'payee-api-key')], secret), fn).toBe(true);
      const role = logicalId(stack, stack.fn(fn).role);
      const reads = statementsOfRole(template, role).filter(
        (st) =>
          JSON.stringify(st.Action).includes('secretsmanager:GetSecretValue') &&
          mentions(st.Resource, secret),
      );
      expect(reads.length, `${fn} reads payee-api-key`).toBeGreaterThan(0);
    }
  });
});

describe('the payee network setting', () => {
  const read = (context: Record<string, string>) => () => readDeploymentConfig((key) => context[key]);
  const dev = {
    alarmEmail: 'dev@marketplace.test',
    storefrontSuccessUrl: 'https://dev.shop.marketplace.test/checkout/{CHECKOUT_ID}/done',
    storefrontCancelUrl: 'https://dev.shop.marketplace.test/checkout/{CHECKOUT_ID}/cancelled',
  };

  it('is required on prod, https and not an example host; a trailing slash is dropped', () => {
    const { payeeApiBase: _, ...withoutPayee } = testContext;
    expect(read(withoutPayee)).toThrow(/payeeApiBase is required on prod/);
    expect(read({ ...testContext, payeeApiBase: 'http://api.payee-network.test/payee' })).toThrow(
      /payeeApiBase must be https on prod/,
    );
    expect(read({ ...testContext, payeeApiBase: 'https://api.example.com/payee' })).toThrow(
      /payeeApiBase points at an example host/,
    );
    expect(read({ ...testContext, payeeApiBase: 'not a url' })).toThrow(
      /payeeApiBase not a url is not a URL/,
    );
    expect(read({ ...testContext, payeeApiBase: 'https://api.payee-network.test/payee?x=1' })).toThrow(
      /no query or fragment/,
    );
    expect(
      read({ ...testContext, payeeApiBase: 'https://api.payee-network.test/payee/' })().payeeApiBase,
    ).toBe('https://api.payee-network.test/payee');
  });

  it('is optional on dev (payouts to payees then fail as provider_not_configured), and may be plain http there', () => {
    expect(read(dev)().payeeApiBase).toBeUndefined();
    expect(read({ ...dev, payeeApiBase: 'http://payee.internal:8080/payee' })().payeeApiBase).toBe(
      'http://payee.internal:8080/payee',
    );
  });
});
