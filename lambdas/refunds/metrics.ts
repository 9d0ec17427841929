/**
 * What refunds count, and the one way a refund reaches a person: a needs-attention record (lambdas/attention)
 * plus the `RefundsNeedingAttention` metric its alarm watches (runbook docs/runbooks/refunds-need-attention.md).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { MetricName } from '../../lib/manifest/metrics';
import type { AttentionKind } from '../attention/model';
import { metrics } from '../shared/metrics';
import type { MoneyBackContext } from './store';

export const RefundMetric = {
  NeedsPerson: MetricName.RefundsNeedingAttention,
  ReversalRefused: MetricName.TransferReversalsRefused,
  ReversalSucceeded: MetricName.TransferReversalsSucceeded,
} as const;
export type RefundMetric = (typeof RefundMetric)[keyof typeof RefundMetric];

/** Powertools metrics (flushed by `instrumented` at the end of the invocation). */
export function refundMetrics(): { count(name: RefundMetric, value?: number): void } {
  return { count: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value) };
}

/**
 * Hands a refund (or a money-back event) to a person: one record per (kind, subject), so a sweeper that
 * finds the same problem every run records it once; the metric counts each call that found it (the alarm's
 * threshold is one in its period, so a problem that persists keeps it in ALARM until it is resolved).
 */
export async function refundNeedsPerson(
  ctx: MoneyBackContext,
  input: {
    readonly kind: AttentionKind;
    readonly subjectId: string;
    readonly summary: string;
    readonly details: Readonly<Record<string, string | number | boolean>>;
  },
  log?: (message: string, data: Record<string, unknown>) => void,
): Promise<void> {
  ctx.metrics?.count(RefundMetric.NeedsPerson);
  log?.(`refund needs a person: ${input.summary}`, { kind: input.kind, ...input.details });
  await ctx.attention?.record({
    kind: input.kind,
    subjectType: 'refund',
    subjectId: input.subjectId,
    summary: input.summary,
    details: input.details,
  });
}
