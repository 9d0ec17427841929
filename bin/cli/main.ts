/**
 * `npx payments <command>`: the operator's CLI over the operator API (the same routes the console uses, with
 * the operator's key), against the local sandbox by default or a deployed stack (`--outputs outputs.json`).
 * Every command takes `--json`. Exit codes: 0 done, 1 failed, 2 bad usage, 3 not available yet.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { openApiDocument, readmeRouteTable, withReadmeTable } from '../../lambdas/api/openapi';
import { routeDocs } from '../../lambdas/api/openapi-registry';
import { manifest } from '../../lib/manifest';
import { type Output, output, table } from './output';
import { resolveTarget, type Target } from './target';

export const EXIT = { ok: 0, failed: 1, usage: 2, notAvailable: 3 } as const;

const USAGE = `usage: npx payments <command> [options]

  trace <payment_order_id>                 a payment order's timeline (request -> statuses -> ledger -> settlement)
  seller <seller_account> [--check]        wallet and ledger entries; --check runs the ledger balance check
  payments [--status S] [--limit N]        recent payment orders
  dlq list                                 queues and dead-letter queues with their counts
  dlq show <queue>                         the messages waiting in a DLQ
  dlq redrive <queue> --reason R [--max N] move a DLQ's messages back to their queue (audited)
  webhook list                             the webhook inbox
  webhook show <event_id>                  a stored event
  webhook replay <event_id> --reason R     queue a stored event again (audited)
  audit [--limit N]                        the operators' audit trail
  reconcile <settlement.csv>               reconcile a settlement file (when reconciliation exists)
  trigger <scenario> [args]                simulator scenarios (sandbox): see \`npx payments trigger --help\`
  openapi [--readme]                       print the OpenAPI document; --readme rewrites README.md's API table

options: --json  --api URL  --psp URL  --operator-key K  --outputs cdk-outputs.json [--stack NAME]  --actor NAME`;

const TRIGGERS = `simulator scenarios (sandbox only, the PSP simulator's /_sim control API):
  checkout [--token pm_card_visa]          a two-seller checkout through the storefront API (sandbox key)
  3ds.complete <payment_intent>            finish a 3-D Secure challenge as the buyer would (or 3ds.fail)
  processing.settle <payment_intent> [succeed|fail]   settle a processing (SEPA-like) payment now
  transfer.settle <transfer> [paid|failed] deliver an async pay-out's result now (failed = a returned payout)
  webhook.redeliver <event_id>             the PSP sends an event again
  fault.psp_500 [--count N]                the PSP answers 500 to the next N PaymentIntent creations
  faults.clear                             remove every fault rule
  clock.advance <seconds>                  move the simulator's clock forward
  settlement.publish <YYYY-MM-DD>          write that day's settlement file into the settlements bucket
  dispute, refund.failure                  not available yet (disputes and refunds are not built yet)`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exit: number = EXIT.failed,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

interface Ctx {
  readonly target: Target;
  readonly out: Output;
  readonly actor: string;
}

async function request(
  ctx: Ctx,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const response = await fetch(`${ctx.target.api}${path}`, {
    method,
    headers: {
      'x-api-key': ctx.target.operatorKey,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((error: unknown) => {
    throw new CliError(
      `cannot reach the API at ${ctx.target.api} (is \`npm start\` running?): ${String(error)}`,
    );
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  if (response.status >= 400) {
    const error = parsed.error as { code?: string; message?: string } | undefined;
    throw new CliError(
      `${method} ${path}: ${response.status} ${error?.code ?? ''} ${error?.message ?? (parsed.message as string) ?? ''}`.trim(),
      EXIT.failed,
      parsed,
    );
  }
  return parsed;
}

async function sim(ctx: Ctx, method: string, path: string, body?: unknown): Promise<unknown> {
  if (!ctx.target.psp) throw new CliError('simulator scenarios run against the sandbox only', EXIT.usage);
  const response = await fetch(`${ctx.target.psp}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).catch((error: unknown) => {
    throw new CliError(`cannot reach the PSP simulator at ${ctx.target.psp}: ${String(error)}`);
  });
  const text = await response.text();
  const parsed = text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text;
  if (response.status >= 400)
    throw new CliError(`simulator: ${response.status} ${text.slice(0, 300)}`, EXIT.failed, parsed);
  return parsed;
}

const need = (value: string | undefined, what: string): string => {
  if (!value) throw new CliError(`missing ${what}\n\n${USAGE}`, EXIT.usage);
  return value;
};

function reasonOf(reason: string | undefined): string {
  if (!reason || reason.trim().length < 3) {
    throw new CliError(
      'actions need --reason "why" (at least 3 characters): it goes into the audit record',
      EXIT.usage,
    );
  }
  return reason;
}

type Rec = Record<string, unknown>;
const list = (value: unknown): Rec[] => (Array.isArray(value) ? (value as Rec[]) : []);

async function trace(ctx: Ctx, id: string) {
  const t = await request(ctx, 'GET', `/v1/operator/payments/${encodeURIComponent(id)}`);
  const order = t.payment_order as Rec;
  ctx.out.result(t, () =>
    [
      `${order.payment_order_id}  ${order.status}  ${order.amount} ${order.currency}  seller ${order.seller_account}  checkout ${t.checkout_id}`,
      order.failure_reason ? `failure: ${order.failure_code} ${order.failure_reason}` : '',
      '',
      table([
        ['at', 'kind', 'what', 'detail'],
        ...list(t.timeline).map((e) => [e.at, e.kind, e.title, e.detail ? JSON.stringify(e.detail) : '']),
      ]),
      '',
      ...list(t.ledger_transactions).flatMap((tx) => [
        `ledger ${tx.transaction_id} (${tx.reason}):`,
        ...list(tx.entries).map(
          (e) => `  ${String(e.account).padEnd(36)} ${String(e.amount).padStart(12)} ${e.currency}`,
        ),
      ]),
      t.settlement
        ? `settlement: ${JSON.stringify(t.settlement)}`
        : 'settlement: not reconciled (reconciliation is not built yet)',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

async function seller(ctx: Ctx, id: string, check: boolean) {
  const s = await request(ctx, 'GET', `/v1/operator/sellers/${encodeURIComponent(id)}`);
  const report = check
    ? await request(ctx, 'GET', `/v1/operator/ledger/check?seller_account=${encodeURIComponent(id)}`)
    : undefined;
  ctx.out.result(report ? { ...s, balance_check: report } : s, () =>
    [
      `seller ${s.seller_account}`,
      table([
        ['currency', 'available', 'reserved', 'paid out'],
        ...list(s.balances).map((b) => [b.currency, b.available, b.reserved, b.paid_out]),
      ]),
      '',
      table([
        ['posted', 'transaction', 'reason', 'amount'],
        ...list(s.ledger_entries).map((e) => [
          e.posted_at,
          e.transaction_id,
          e.reason,
          `${e.amount} ${e.currency}`,
        ]),
      ]),
      report
        ? report.ok
          ? `balance check: ok (${report.transactions} transactions, ${report.entries} entries; ledger sums to zero)`
          : `balance check FAILED:\n  ${list(report.problems).join('\n  ')}`
        : '',
    ].join('\n'),
  );
  if (report && !report.ok) throw new CliError('the balance check failed', EXIT.failed, report);
}

async function redriveAll(ctx: Ctx, queue: string, reason: string, max: number) {
  const queues = list((await request(ctx, 'GET', '/v1/operator/queues')).queues);
  const found = queues.find((q) => q.queue_id === queue);
  if (!found) throw new CliError(`no queue ${queue} (try: npx payments dlq list)`);
  const total = Math.min(max, Number(found.messages ?? 0));
  const bar = ctx.out.progress(`redriving ${queue}`, total);
  const batches: Rec[] = [];
  let moved = 0;
  // In batches, so the bar moves and a long redrive is not one long request; each batch is its own audited action.
  while (moved < max) {
    const batch = await request(
      ctx,
      'POST',
      `/v1/operator/queues/${encodeURIComponent(queue)}/redrive`,
      { actor: ctx.actor, reason, max_messages: Math.min(10, max - moved) },
      { 'idempotency-key': `cli-${randomUUID()}` },
    );
    batches.push(batch);
    moved += Number(batch.moved ?? 0);
    bar.tick(Math.min(moved, Math.max(total, moved)));
    if (Number(batch.moved ?? 0) === 0) break;
  }
  bar.end();
  const result = {
    queue_id: queue,
    source_queue: found.source_queue,
    moved,
    audit_ids: batches.map((b) => b.audit_id),
  };
  ctx.out.result(result, () => `moved ${moved} message(s) from ${queue} to ${found.source_queue}`);
}

async function trigger(ctx: Ctx, args: readonly string[], flags: Rec) {
  const [scenario, a, b] = args;
  switch (scenario) {
    case undefined:
    case 'help':
      ctx.out.result({ scenarios: TRIGGERS }, () => TRIGGERS);
      return;
    case 'checkout': {
      if (!ctx.target.storefrontKey) throw new CliError('checkout runs against the sandbox only', EXIT.usage);
      const id = `co_cli_${Date.now().toString(36)}`;
      const response = await fetch(`${ctx.target.api}/v1/payments`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': ctx.target.storefrontKey,
          'idempotency-key': id,
        },
        body: JSON.stringify({
          checkout_id: id,
          buyer_info: { buyer_id: 'buyer_cli' },
          credit_card_info: (flags.token as string | undefined) ?? 'pm_card_visa',
          payment_orders: [
            { payment_order_id: `${id}_1`, seller_account: 'seller_books', amount: '30.00', currency: 'USD' },
            { payment_order_id: `${id}_2`, seller_account: 'seller_tea', amount: '12.34', currency: 'USD' },
          ],
        }),
      });
      const body = (await response.json()) as Rec;
      if (response.status >= 400) throw new CliError(`checkout: ${response.status} ${JSON.stringify(body)}`);
      ctx.out.result(
        body,
        () =>
          `checkout ${id} submitted: ${list(body.payment_orders)
            .map((o) => o.payment_order_id)
            .join(', ')}`,
      );
      return;
    }
    case '3ds.complete':
    case '3ds.fail': {
      const pi = await sim(ctx, 'POST', `payment_intents/${need(a, 'payment_intent')}/authenticate`, {
        outcome: scenario === '3ds.fail' ? 'fail' : 'succeed',
      });
      ctx.out.result(pi, () => `${a}: ${(pi as Rec).status}`);
      return;
    }
    case 'processing.settle': {
      const pi = await sim(
        ctx,
        'POST',
        `payment_intents/${need(a, 'payment_intent')}/settle`,
        b ? { outcome: b } : {},
      );
      ctx.out.result(pi, () => `${a}: ${(pi as Rec).status}`);
      return;
    }
    case 'transfer.settle': {
      const tr = await sim(ctx, 'POST', `transfers/${need(a, 'transfer')}/settle`, b ? { outcome: b } : {});
      ctx.out.result(tr, () => `${a}: settled ${b ?? '(as its destination implies)'}`);
      return;
    }
    case 'webhook.redeliver': {
      const r = await sim(ctx, 'POST', `events/${need(a, 'event_id')}/redeliver`);
      ctx.out.result(r, () => `${a}: sent again`);
      return;
    }
    case 'fault.psp_500': {
      const count = Number(flags.count ?? 1);
      const r = await sim(ctx, 'POST', 'faults', {
        kind: 'error',
        status: 500,
        route: 'POST /v1/payment_intents',
        count,
      });
      ctx.out.result(
        r,
        () => `fault ${(r as Rec).id}: the next ${count} PaymentIntent creation(s) answer 500`,
      );
      return;
    }
    case 'faults.clear': {
      const r = await sim(ctx, 'DELETE', 'faults');
      ctx.out.result(r, () => 'faults cleared');
      return;
    }
    case 'clock.advance': {
      const r = await sim(ctx, 'POST', 'clock', { advanceSeconds: Number(need(a, 'seconds')) });
      ctx.out.result(r, () => `simulator clock: ${(r as Rec).iso}`);
      return;
    }
    case 'settlement.publish': {
      const r = await sim(ctx, 'POST', 'settlement', { date: need(a, 'date'), publish: true });
      ctx.out.result(r, () => `settlement file published: ${JSON.stringify(r)}`);
      return;
    }
    case 'dispute':
    case 'refund.failure':
    case 'payout.returned':
      throw new CliError(
        `trigger ${scenario}: not available yet (${scenario === 'payout.returned' ? 'pay-outs are' : scenario === 'dispute' ? 'disputes are' : 'refunds are'} not built yet)`,
        EXIT.notAvailable,
        { available: false, scenario },
      );
    default:
      throw new CliError(`unknown scenario ${scenario}\n\n${TRIGGERS}`, EXIT.usage);
  }
}

export async function main(
  argv: readonly string[],
  io?: { write?: (s: string) => void; err?: (s: string) => void },
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        api: { type: 'string' },
        psp: { type: 'string' },
        'operator-key': { type: 'string' },
        outputs: { type: 'string' },
        stack: { type: 'string' },
        actor: { type: 'string' },
        reason: { type: 'string' },
        max: { type: 'string' },
        limit: { type: 'string' },
        status: { type: 'string' },
        check: { type: 'boolean', default: false },
        readme: { type: 'boolean', default: false },
        token: { type: 'string' },
        count: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  const err = io?.err ?? ((s: string) => process.stderr.write(s));
  try {
    parsed = parse();
  } catch (error) {
    err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const out = output(values.json ?? false, io?.write, err);
  const [command, ...rest] = positionals;
  if (!command || values.help) {
    out.result({ usage: USAGE }, () => USAGE);
    return command || values.help ? EXIT.ok : EXIT.usage;
  }
  try {
    if (command === 'openapi') {
      const doc = openApiDocument(manifest.routes, routeDocs);
      if (values.readme) {
        const readme = readFileSync('README.md', 'utf8');
        const next = withReadmeTable(readme, readmeRouteTable(doc));
        if (next !== readme) writeFileSync('README.md', next);
        out.result({ updated: next !== readme }, () =>
          next !== readme ? 'README.md: API table updated' : 'README.md: API table already current',
        );
      } else {
        out.result(doc, () => JSON.stringify(doc, null, 2));
      }
      return EXIT.ok;
    }
    if (command === 'reconcile') {
      const file = need(rest[0], 'settlement file');
      // Reconciliation is built separately; until its route exists there is nothing to run the file through.
      const route = manifest.routes.find((r) => r.path.includes('reconcil'));
      if (!route) {
        throw new CliError(
          `reconcile ${file}: not available yet (reconciliation is not built yet)`,
          EXIT.notAvailable,
          { available: false, file },
        );
      }
      throw new CliError(
        `reconcile: the route ${route.method} ${route.path} exists, but this CLI does not call it yet`,
        EXIT.notAvailable,
        {
          available: false,
          route: `${route.method} ${route.path}`,
        },
      );
    }
    const target = await resolveTarget({
      ...(values.api ? { api: values.api } : {}),
      ...(values.psp ? { psp: values.psp } : {}),
      ...(values.outputs ? { outputs: values.outputs } : {}),
      ...(values.stack ? { stack: values.stack } : {}),
      ...(values['operator-key'] ? { operatorKey: values['operator-key'] } : {}),
    });
    const ctx: Ctx = { target, out, actor: values.actor ?? process.env.USER ?? userInfo().username ?? 'cli' };
    const limit = values.limit ? `?limit=${encodeURIComponent(values.limit)}` : '';
    switch (command) {
      case 'trace':
        await trace(ctx, need(rest[0], 'payment_order_id'));
        break;
      case 'seller':
        await seller(ctx, need(rest[0], 'seller_account'), values.check ?? false);
        break;
      case 'payments': {
        const q = new URLSearchParams();
        if (values.limit) q.set('limit', values.limit);
        if (values.status) q.set('status', values.status);
        const r = await request(ctx, 'GET', `/v1/operator/payments${q.size ? `?${q}` : ''}`);
        out.result(r, () =>
          table([
            ['order', 'seller', 'amount', 'status', 'created'],
            ...list(r.payment_orders).map((o) => [
              o.payment_order_id,
              o.seller_account,
              `${o.amount} ${o.currency}`,
              o.status,
              o.created_at,
            ]),
          ]),
        );
        break;
      }
      case 'dlq': {
        const [sub, queue] = rest;
        if (sub === 'list' || sub === undefined) {
          const r = await request(ctx, 'GET', '/v1/operator/queues');
          out.result(r, () =>
            table([
              ['queue', 'dlq of', 'messages', 'in flight'],
              ...list(r.queues).map((q) => [q.queue_id, q.source_queue ?? '', q.messages, q.in_flight]),
            ]),
          );
        } else if (sub === 'show') {
          const r = await request(
            ctx,
            'GET',
            `/v1/operator/queues/${encodeURIComponent(need(queue, 'queue'))}/messages${limit}`,
          );
          out.result(r, () =>
            list(r.messages).length === 0
              ? `${queue}: empty`
              : list(r.messages)
                  .map(
                    (m) =>
                      `${m.message_id}  received ${m.receive_count}x  sent ${m.sent_at}\n  ${JSON.stringify(m.body)}`,
                  )
                  .join('\n'),
          );
        } else if (sub === 'redrive') {
          await redriveAll(ctx, need(queue, 'queue'), reasonOf(values.reason), Number(values.max ?? 1000));
        } else {
          throw new CliError(`unknown dlq command ${sub}\n\n${USAGE}`, EXIT.usage);
        }
        break;
      }
      case 'webhook': {
        const [sub, id] = rest;
        if (sub === 'list' || sub === undefined) {
          const r = await request(ctx, 'GET', `/v1/operator/webhook-events${limit}`);
          out.result(r, () =>
            table([
              ['event', 'type', 'status', 'received', 'outcome'],
              ...list(r.events).map((e) => [e.id, e.type, e.status, e.received_at, e.outcome ?? '']),
            ]),
          );
        } else if (sub === 'show') {
          const r = await request(
            ctx,
            'GET',
            `/v1/operator/webhook-events/${encodeURIComponent(need(id, 'event_id'))}`,
          );
          out.result(r, () => JSON.stringify(r, null, 2));
        } else if (sub === 'replay') {
          const r = await request(
            ctx,
            'POST',
            `/v1/operator/webhook-events/${encodeURIComponent(need(id, 'event_id'))}/replay`,
            { actor: ctx.actor, reason: reasonOf(values.reason) },
            { 'idempotency-key': `cli-${randomUUID()}` },
          );
          out.result(
            r,
            () => `${r.event_id} (${r.type}, was ${r.status_before}) queued again; audit ${r.audit_id}`,
          );
        } else {
          throw new CliError(`unknown webhook command ${sub}\n\n${USAGE}`, EXIT.usage);
        }
        break;
      }
      case 'audit': {
        const r = await request(ctx, 'GET', `/v1/operator/audit${limit}`);
        out.result(r, () =>
          table([
            ['at', 'who', 'action', 'target', 'why'],
            ...list(r.records).map((a) => [a.at, a.actor, a.action, a.target, a.reason]),
          ]),
        );
        break;
      }
      case 'trigger':
        await trigger(ctx, rest, values as Rec);
        break;
      default:
        throw new CliError(`unknown command ${command}\n\n${USAGE}`, EXIT.usage);
    }
    return EXIT.ok;
  } catch (error) {
    const cli =
      error instanceof CliError
        ? error
        : new CliError(error instanceof Error ? error.message : String(error));
    if (out.json)
      out.result(
        { error: cli.message, exit: cli.exit, ...(cli.body ? { details: cli.body } : {}) },
        () => '',
      );
    else err(`${cli.message}\n`);
    return cli.exit;
  }
}
