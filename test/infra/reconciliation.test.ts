/**
 * Reconciliation's resources in the real manifest's template: the settlements bucket notifies the
 * reconcile function under settlements/, which retries twice then parks the event in an on-failure queue,
 * runs 15 min with 2 GB, and may send to the finance and investigation queues, each with its DLQ.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
import { type Synthesized, synth } from './synth';
import { type Json, logicalId, mentions, propsOf, statementsOfRole } from './template-helpers';

describe('reconciliation in the stack', () => {
  let built: Synthesized;
  let id: (construct: Parameters<typeof logicalId>[1]) => string;
  beforeAll(() => {
    built = synth(manifest);
    id = (construct) => logicalId(built.stack, construct);
    // Synthesizing the whole stack takes seconds, more on a busy machine.
  }, 120_000);

  it('invokes reconcile-settlement for objects created under settlements/, with retries and an on-failure queue', () => {
    const { stack, template } = built;
    const fn = id(stack.fn('reconcile-settlement').function);
    const notifications = Object.values(template.findResources('Custom::S3BucketNotifications')).map(
      (r) =>
        r.Properties as {
          BucketName: unknown;
          NotificationConfiguration: { LambdaFunctionConfigurations: Json[] };
        },
    );
    const settlements = notifications.find((n) => mentions(n.BucketName, id(stack.bucket('settlements'))));
    expect(settlements?.NotificationConfiguration.LambdaFunctionConfigurations).toEqual([
      {
        Events: ['s3:ObjectCreated:*'],
        LambdaFunctionArn: { 'Fn::GetAtt': [fn, 'Arn'] },
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'settlements/' }] } },
      },
    ]);
    const config = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'))
      .map(
        (r) =>
          r.Properties as { FunctionName: unknown; MaximumRetryAttempts: number; DestinationConfig: unknown },
      )
      .find((c) => mentions(c.FunctionName, fn));
    expect(config?.MaximumRetryAttempts).toBe(2);
    expect(JSON.stringify(config?.DestinationConfig)).toMatch(/OnFailure.*AsyncFailuresReconcileSettlement/);
    expect(propsOf(template, fn)).toMatchObject({
      Timeout: 900,
      MemorySize: 2048,
      ReservedConcurrentExecutions: 1,
    });
  });

  it('gives the finance and investigation queues a DLQ each, and lets the function send to them only', () => {
    const { stack, template } = built;
    for (const [queue, dlq] of [
      ['reconciliation-breaks', 'reconciliation-breaks-dlq'],
      ['reconciliation-investigation', 'reconciliation-investigation-dlq'],
    ] as const) {
      expect(propsOf(template, id(stack.queue(queue))).RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.queue(dlq)), 'Arn'] },
        maxReceiveCount: 5,
      });
    }
    const role = id(stack.fn('reconcile-settlement').function.role as never);
    const sqsActions = statementsOfRole(template, role)
      .filter(
        (s) =>
          JSON.stringify(s.Resource).includes('ReconciliationBreaks') ||
          JSON.stringify(s.Resource).includes('ReconciliationInvestigation'),
      )
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(sqsActions.length).toBeGreaterThan(0);
    expect(
      sqsActions.every((a) => String(a).startsWith('sqs:Send') || String(a).startsWith('sqs:GetQueue')),
    ).toBe(true);
  });

  it('keeps the reconciliation table for breaks and runs', () => {
    const { stack, template } = built;
    expect(propsOf(template, id(stack.table('reconciliation'))).KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
  });
});
