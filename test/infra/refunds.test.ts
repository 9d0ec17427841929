/** The refund and dispute resources in the real stack: routes behind the API key, policy defaults, least privilege. */
import { beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
import { type Synthesized, synth } from './synth';
import { logicalId, mentions, propsOf, resources, routesIn, statementsOfRole } from './template-helpers';

describe('refunds and disputes in the stack', () => {
  let built: Synthesized;
  // Synthesis takes seconds, more on a loaded machine.
  beforeAll(() => {
    built = synth(manifest);
  }, 120_000);

  it('routes the refund and dispute API to their functions, behind the API key', () => {
    const routes = routesIn(built.template);
    for (const [method, path, fn] of [
      ['POST', '/v1/payments/{payment_order_id}/refunds', 'create-refund'],
      ['GET', '/v1/payments/{payment_order_id}/refunds', 'list-payment-refunds'],
      ['GET', '/v1/refunds/{refund_id}', 'get-refund'],
      ['GET', '/v1/disputes/{dispute_id}', 'get-dispute'],
      // Buyer totals ride on the wallets reader, which dispatches on the route (no function more).
      ['GET', '/v1/buyers/{buyer_id}/totals', 'get-seller-wallet'],
    ] as const) {
      const found = routes.find((r) => r.method === method && r.path === path);
      expect(found?.apiKeyRequired, path).toBe(true);
      const target = logicalId(built.stack, built.stack.fn(fn).function);
      expect(mentions(found?.integrationTarget, target), path).toBe(true);
    }
  });

  it('sets the who-bears-it defaults on the functions that post refunds', () => {
    for (const fn of ['create-refund', 'sweep-refunds']) {
      const props = propsOf(built.template, logicalId(built.stack, built.stack.fn(fn).function));
      const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables, fn).toMatchObject({
        REFUND_BORNE_BY: 'seller',
        REFUND_COMMISSION: 'returned',
        DISPUTE_BORNE_BY: 'seller',
      });
    }
  });

  it('gives the read-only refund routes no write and no PSP secret', () => {
    for (const fn of ['list-payment-refunds', 'get-refund', 'get-dispute']) {
      const role = logicalId(built.stack, built.stack.fn(fn).role);
      const actions = statementsOfRole(built.template, role).flatMap((s) => [s.Action].flat());
      expect(
        actions.some((a) => /PutItem|UpdateItem|DeleteItem|TransactWrite|BatchWrite/.test(String(a))),
        fn,
      ).toBe(false);
      expect(
        actions.some((a) => String(a).startsWith('secretsmanager:')),
        fn,
      ).toBe(false);
    }
  });

  it('alarms on RefundsNeedingAttention, with its runbook, notifying the alarm topic', () => {
    const alarms = Object.values(resources(built.operations))
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
      .map((r) => r.Properties ?? {})
      .filter((a) => a.MetricName === 'RefundsNeedingAttention');
    expect(alarms).toHaveLength(1);
    const [alarm] = alarms;
    expect(alarm).toMatchObject({
      Namespace: 'MarketplacePayments',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(String(alarm?.AlarmDescription)).toContain('docs/runbooks/refunds-need-attention.md');
    expect(alarm?.Dimensions).toEqual([{ Name: 'service', Value: manifest.service }]);
    expect((alarm?.AlarmActions as unknown[] | undefined)?.length).toBeGreaterThan(0);
    expect((alarm?.OKActions as unknown[] | undefined)?.length).toBeGreaterThan(0);
  });

  it('the stream publisher writes buyer totals to wallets and only appends to payments (history), never deletes', () => {
    const role = logicalId(built.stack, built.stack.fn('publish-domain-events').role);
    const statements = statementsOfRole(built.template, role);
    const wallets = logicalId(built.stack, built.stack.table('wallets'));
    const payments = logicalId(built.stack, built.stack.table('payments'));
    const writes = statements.filter((s) =>
      [s.Action].flat().some((a) => /PutItem|UpdateItem|TransactWrite|BatchWrite/.test(String(a))),
    );
    expect(writes.some((s) => mentions(s.Resource, wallets))).toBe(true);
    // Order history items are appended (a Put conditioned on not existing): no update of an order.
    const paymentsWrites = writes.filter((s) => mentions(s.Resource, payments));
    expect(paymentsWrites.length).toBeGreaterThan(0);
    for (const s of paymentsWrites) {
      const actions = [s.Action].flat().map(String);
      expect(actions).toContain('dynamodb:PutItem');
      expect(actions.filter((a) => /UpdateItem|BatchWrite|DeleteItem/.test(a))).toEqual([]);
    }
    const actions = statements.flatMap((s) => [s.Action].flat()).map(String);
    expect(actions.some((a) => a.includes('DeleteItem'))).toBe(false);
    expect(
      statements.some(
        (s) => mentions(s.Resource, payments) && [s.Action].flat().some((a) => String(a).includes('GetItem')),
      ),
    ).toBe(true);
  });
});
