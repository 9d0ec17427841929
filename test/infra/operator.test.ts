/**
 * The operator API in the CloudFormation template: its routes exist and skip API Gateway's key check (their
 * functions check the operator's key against its secret: API Gateway would let the storefront's key in), the
 * operator key is a secret of its own with an output, the audit table exists, and the read function cannot write.
 * Least privilege: the actions that change money or payout state run in functions of their own, each with only
 * what it needs (reconciliation: the ledger and its reports, never a queue or the PSP key; payouts: the payouts
 * table only), and the general actions function has neither.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
import { type Synthesized, synth } from './synth';
import { logicalId, mentions, routesIn, type Statement, statementsOfRole } from './template-helpers';

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

  const WRITES = /dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/;
  const actionsOf = (statements: Statement[]) => statements.flatMap((s) => s.Action.map(String));
  const role = (fn: string) =>
    statementsOfRole(built.template, logicalId(built.stack, built.stack.fn(fn).role));
  /** The actions granted on one table (its ARN or its index ARNs named in the statement's resources). */
  const onTable = (statements: Statement[], table: string) =>
    actionsOf(
      statements.filter((s) => mentions(s.Resource, logicalId(built.stack, built.stack.table(table)))),
    );

  it('resolves reconciliation breaks in a function of its own: ledger append, reports read, no queue, no PSP key', () => {
    const recon = role('operator-reconciliation');
    const actions = actionsOf(recon);
    expect(actions.some((a) => a.startsWith('sqs:'))).toBe(false);
    expect(
      recon.some((s) => mentions(s.Resource, logicalId(built.stack, built.stack.secret('stripe-api-key')))),
    ).toBe(false);
    expect(onTable(recon, 'reconciliation')).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']),
    );
    // The ledger: append-only (put, never update or delete), as for every other writer.
    const ledger = onTable(recon, 'ledger');
    expect(ledger).toContain('dynamodb:PutItem');
    expect(ledger.some((a) => /UpdateItem|DeleteItem|BatchWriteItem/.test(a))).toBe(false);
    expect(onTable(recon, 'payments').some((a) => WRITES.test(a))).toBe(false);
    // Payouts: read only (a link of a transfer row reads the payout it names), never written.
    const payouts = onTable(recon, 'payouts');
    expect(payouts).toContain('dynamodb:BatchGetItem');
    expect(payouts.some((a) => WRITES.test(a))).toBe(false);
    const bucket = logicalId(built.stack, built.stack.bucket('settlements'));
    const s3 = actionsOf(recon.filter((s) => mentions(s.Resource, bucket)));
    expect(s3.some((a) => a.startsWith('s3:GetObject'))).toBe(true);
    expect(s3.some((a) => a.startsWith('s3:PutObject') || a.startsWith('s3:DeleteObject'))).toBe(false);
  });

  it('pauses payouts in a function that holds the payouts table and nothing of the ledger', () => {
    const payouts = role('operator-payouts');
    expect(onTable(payouts, 'payouts')).toContain('dynamodb:UpdateItem');
    for (const table of ['ledger', 'wallets', 'payments', 'reconciliation'])
      expect(onTable(payouts, table), table).toEqual([]);
    expect(actionsOf(payouts).some((a) => a.startsWith('sqs:') || a.startsWith('s3:'))).toBe(false);
  });

  it('keeps money out of the general functions: operator-actions and operator-read touch no ledger or payout writes', () => {
    const act = role('operator-actions');
    for (const table of ['ledger', 'wallets', 'payouts', 'reconciliation', 'payments'])
      expect(onTable(act, table), table).toEqual([]);
    // It resolves needs-attention records (who, why): an update of that table only.
    expect(onTable(act, 'attention')).toContain('dynamodb:UpdateItem');
    const read = role('operator-read');
    for (const table of ['attention', 'payouts', 'reconciliation'])
      expect(
        onTable(read, table).some((a) => WRITES.test(a)),
        table,
      ).toBe(false);
    expect(onTable(read, 'payouts')).toContain('dynamodb:Query');
  });
});
