/** The pay-in's own infrastructure: the needs-attention table and the alarms on the pay-in's metrics. */
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../lambdas/attention/metrics';
import { manifest } from '../../lib/manifest';
import { METRICS_NAMESPACE } from '../../lib/manifest/metrics';
import { synth } from './synth';

const { template } = synth(manifest);

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
  ])('alarms on %s (%s), the metric the pay-in emits, in the contract namespace', (name, statistic) => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties as Record<string, unknown>)
      .filter((a) => a.MetricName === name);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Statistic: statistic,
      Dimensions: [{ Name: 'service', Value: manifest.service }],
    });
  });

  it('the pay-in emits those very names', () => {
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
});
