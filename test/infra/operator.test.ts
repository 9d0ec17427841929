/**
 * The operator API in the CloudFormation template: its routes exist and skip API Gateway's key check (their
 * functions check the operator's key against its secret: API Gateway would let the storefront's key in), the
 * operator key is a secret of its own with an output, the audit table exists, and the read function cannot write.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
import { type Synthesized, synth } from './synth';
import { logicalId, routesIn, statementsOfRole } from './template-helpers';

describe('operator API in the template', () => {
  let built: Synthesized;
  beforeAll(() => {
    built = synth(manifest);
  }, 120_000);

  it('deploys every operator route without API Gateway key checks, and the storefront routes with them', () => {
    const routes = routesIn(built.template);
    const operator = routes.filter((r) => r.path.startsWith('/v1/operator/'));
    expect(operator.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      manifest.routes
        .filter((r) => r.authorization?.by === 'operatorKey')
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    for (const route of operator) expect(route.apiKeyRequired, route.path).toBe(false);
    expect(routes.find((r) => r.method === 'POST' && r.path === '/v1/payments')?.apiKeyRequired).toBe(true);
  });

  it('keeps the operator key in its own secret, with an output the CLI reads', () => {
    const outputs = built.template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toContain('OperatorApiKeySecretArn');
    expect(Object.keys(outputs)).toContain('OperatorAuditTableName');
  });

  it('lets operator-read read, never write, and only operator-actions touch the queues', () => {
    const read = statementsOfRole(
      built.template,
      logicalId(built.stack, built.stack.fn('operator-read').role),
    );
    const actions = read.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).map(String);
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions.some((a) => /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(a))).toBe(
      false,
    );
    expect(actions.some((a) => a.startsWith('sqs:'))).toBe(false);
    const act = statementsOfRole(
      built.template,
      logicalId(built.stack, built.stack.fn('operator-actions').role),
    );
    const acted = act.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).map(String);
    expect(acted).toEqual(
      expect.arrayContaining(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage']),
    );
  });
});
