/** The pay-in's own infrastructure: the needs-attention table and the alarms on the pay-in's metrics. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambdas/attention/metrics';
import { manifest } from '../../lib/manifest';
import { METRICS_NAMESPACE } from '../../lib/manifest/metrics';
import { synth } from './synth';
import { logicalId, mentions, propsOf, routesIn, statementsOfRole } from './template-helpers';

const built = synth(manifest);
const { template } = built;

describe('pay-in operations', () => {
  it('has the needs-attention table with its status/time index', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table')).map(
      (t) => t.Properties as { GlobalSecondaryIndexes?: { IndexName: string }[]; KeySchema: unknown[] },
    );
    expect(tables.length).toBe(manifest.tables.length);
    expect(manifest.tables.map((t) => t.id)).toContain('attention');
  });

  it.each([
    ['NeedsAttentionCreated', 'Sum'],
    ['OldestNonTerminalOrderAgeSeconds', 'Maximum'],
    ['SweeperOrderFailures', 'Sum'],
  ])('alarms on %s (%s), the metric the pay-in emits, in the contract namespace', (name, statistic) => {
    const alarms = Object.values(built.operations.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Record<string, unknown>)
      .filter((a) => a.MetricName === name);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Statistic: statistic,
      Dimensions: [{ Name: 'service', Value: manifest.service }],
    });
  });

  it('the sweeper-failures alarm links its runbook, on 15 minutes of failed orders', () => {
    const alarm = Object.values(built.operations.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Record<string, unknown>)
      .find((a) => a.MetricName === 'SweeperOrderFailures');
    expect(alarm).toMatchObject({ Period: 900, Threshold: 10 });
    expect(String(alarm?.AlarmDescription)).toMatch(/Runbook: .*sweeper-order-failures\.md/);
    expect(existsSync(resolve(__dirname, '../../docs/runbooks/sweeper-order-failures.md'))).toBe(true);
  });

  it('the pay-in emits those very names', () => {
    expect(MetricName.SweeperOrderFailures).toBe('SweeperOrderFailures');
    expect(MetricName.NeedsAttention).toBe('NeedsAttentionCreated');
    expect(MetricName.OldestOpenOrderAgeSeconds).toBe('OldestNonTerminalOrderAgeSeconds');
  });

  it('grants the attention table to the functions that record problems, and to no API function', () => {
    const granted = manifest.functions.filter((f) => f.access?.tables?.attention).map((f) => f.id);
    expect(granted).toEqual(
      expect.arrayContaining(['payin-execute-order', 'apply-webhook-events', 'sweep-payment-orders-shard']),
    );
    expect(granted).not.toContain('get-checkout');
  });

  it('routes POST /v1/checkouts/{checkout_id}/cancel to cancel-checkout behind the API key, with what it needs', () => {
    const route = routesIn(template).find(
      (r) => r.method === 'POST' && r.path === '/v1/checkouts/{checkout_id}/cancel',
    );
    expect(route?.apiKeyRequired).toBe(true);
    const fn = built.stack.fn('cancel-checkout');
    expect(mentions(route?.integrationTarget, logicalId(built.stack, fn.function))).toBe(true);
    // It asks the PSP (the key), writes orders (and posts a payment that won the race), and takes the
    // checkout's lock and the Idempotency-Key record.
    const actions = statementsOfRole(template, logicalId(built.stack, fn.role)).flatMap((s) =>
      [s.Action].flat().map(String),
    );
    expect(actions.some((a) => a.startsWith('secretsmanager:GetSecretValue'))).toBe(true);
    expect(actions.some((a) => /TransactWriteItems|UpdateItem/.test(a))).toBe(true);
    const props = propsOf(template, logicalId(built.stack, fn.function));
    expect(props.Timeout).toBeLessThan(29);
    const granted = manifest.functions.find((f) => f.id === 'cancel-checkout')?.access?.tables ?? {};
    expect(granted).toMatchObject({
      payments: 'readWrite',
      idempotency: 'readWrite',
      attention: 'readWrite',
    });
  });

  it('rotating secrets: functions re-read them after a max age, the webhook reads only its signing secret', () => {
    const webhook = built.stack.fn('psp-webhook');
    const statements = statementsOfRole(template, logicalId(built.stack, webhook.role));
    const secretReads = statements.filter((s) =>
      [s.Action].flat().some((a) => String(a).startsWith('secretsmanager:')),
    );
    // Read-only (GetSecretValue, DescribeSecret), on the webhook signing secret alone: not the Stripe key.
    expect(secretReads.length).toBeGreaterThan(0);
    for (const s of secretReads) {
      expect(
        [s.Action].flat().every((a) => /^secretsmanager:(GetSecretValue|DescribeSecret)$/.test(String(a))),
      ).toBe(true);
      expect(mentions(s.Resource, logicalId(built.stack, built.stack.secret('stripe-webhook-secret')))).toBe(
        true,
      );
      expect(mentions(s.Resource, logicalId(built.stack, built.stack.secret('stripe-api-key')))).toBe(false);
    }
    for (const id of ['psp-webhook', 'payin-execute-order']) {
      const env = (
        propsOf(template, logicalId(built.stack, built.stack.fn(id).function)).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(env).toMatchObject({ SECRETS_MAX_AGE_SECONDS: '300', SECRET_ROTATION_WINDOW_HOURS: '24' });
    }
  });
});
