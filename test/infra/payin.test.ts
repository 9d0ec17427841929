/** The pay-in's own infrastructure: the needs-attention table and the alarms on the pay-in's metrics. */
import { describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
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
    ['NeedsAttention', 'Sum', 1],
    ['SweeperOrderFailures', 'Sum', 1],
    ['OldestOpenOrderAgeSeconds', 'Maximum', 25 * 3600],
  ])(
    'alarms on %s (%s >= %i) in the service namespace, notifying the alarm topic',
    (name, statistic, threshold) => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .map((a) => a.Properties as Record<string, unknown>)
        .filter((a) => a.MetricName === name);
      expect(alarms).toHaveLength(1);
      expect(alarms[0]).toMatchObject({
        Namespace: manifest.service,
        Statistic: statistic,
        Threshold: threshold,
        Dimensions: [{ Name: 'service', Value: manifest.service }],
      });
      expect(alarms[0]?.AlarmActions).toHaveLength(1);
    },
  );

  it('grants the attention table to the functions that record problems, and to no API function', () => {
    const granted = manifest.functions.filter((f) => f.access?.tables?.attention).map((f) => f.id);
    expect(granted).toEqual(
      expect.arrayContaining(['payin-execute-order', 'apply-webhook-events', 'sweep-payment-orders']),
    );
    expect(granted).not.toContain('get-checkout');
  });
});
