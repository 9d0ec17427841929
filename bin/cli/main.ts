/**
 * `npx payments <command>`: the operator's CLI over the operator API (the same routes the console uses, with
 * the operator's key), against the local sandbox by default or a deployed stack (`--outputs outputs.json`).
 * Every command takes `--json`. Exit codes: 0 done, 1 failed, 2 bad usage, 3 not available yet.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
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
  reconcile <file> [--day YYYY-MM-DD]      upload a settlement file to the settlements bucket (the S3 trigger
                                           reconciles it), wait for the day's report and print its summary
  recon [list]                             the days with a reconciliation report
  recon show <day>                         a day's report: rows per class, breaks with their status
  recon resolve <day> <break_id> --action accept|link|write_off --reason R
        [--order PAYMENT_ORDER_ID] [--amount A --currency C]   resolve a break (audited)
  attention [list] [--status open|resolved] needs-attention records
  attention show <attention_id>            one record
  attention resolve <attention_id> --reason R   mark it resolved (audited)
  payouts pause|resume <seller> --reason R pause or resume a seller's payouts (audited)
  trigger <scenario> [args]                simulator scenarios (sandbox): see \`npx payments trigger --help\`
  openapi [--readme]                       print the OpenAPI document; --readme rewrites README.md's API table

options: --json  --api URL  --psp URL  --operator-key K  --outputs cdk-outputs.json [--stack NAME]  --actor NAME
         --timeout SECONDS (reconcile's wait, default 120)`;

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
  dispute <payment_intent> [inquiry]       the buyer's bank disputes the payment (a chargeback, or an inquiry)
  dispute.close <dispute> [won|lost]       the dispute ends
  refund.failure <psp_refund_id>           a pending refund fails at the PSP (expired_or_canceled_card)
  payout.returned <payout>                 a paid payout comes back from the seller's bank`;

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
      settlementLine(t.settlement as Rec | null),
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

function settlementLine(s: Rec | null): string {
  if (!s) return 'settlement: no reconciliation report covers this order yet';
  const breaks = list(s.breaks);
  if (breaks.length)
    return `settlement: ${breaks.map((b) => `${b.day} ${b.class} (${b.status}): ${b.detail}`).join('; ')}`;
  return `settlement: no break for this order in the report(s) of ${list(s.reports)
    .map((r) => r.day)
    .join(', ')}`;
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
      s.payout_settings
        ? `payouts: ${(s.payout_settings as Rec).paused ? 'PAUSED' : 'active'} (${(s.payout_settings as Rec).schedule}, to ${(s.payout_settings as Rec).destination})`
        : 'payouts: no payout settings',
      ...list(s.payouts).map(
        (p) =>
          `  payout ${p.payout_id} ${p.amount} ${p.currency} ${p.status}${p.failure ? ` — ${(p.failure as Rec).code}: ${(p.failure as Rec).message ?? ''}` : ''}`,
      ),
      ...list(s.refunds).map(
        (r) =>
          `  refund ${r.refund_id} ${r.amount} ${r.currency} ${r.status} (order ${r.payment_order_id})${r.failure_reason ? ` — ${r.failure_reason}` : ''}`,
      ),
      ...list(s.disputes).map(
        (d) =>
          `  dispute ${d.dispute_id} ${d.amount} ${d.currency} ${d.status} (order ${d.payment_order_id})`,
      ),
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
    case 'dispute': {
      const d = await sim(ctx, 'POST', 'disputes', {
        payment_intent: need(a, 'payment_intent'),
        kind: b === 'inquiry' ? 'inquiry' : 'chargeback',
      });
      ctx.out.result(d, () => `dispute ${(d as Rec).id} opened on ${a}: ${(d as Rec).status}`);
      return;
    }
    case 'dispute.close': {
      const d = await sim(ctx, 'POST', `disputes/${need(a, 'dispute')}/close`, { outcome: b ?? 'lost' });
      ctx.out.result(d, () => `dispute ${a}: ${(d as Rec).status}`);
      return;
    }
    case 'refund.failure': {
      const r = await sim(ctx, 'POST', `refunds/${need(a, 'psp_refund_id')}/settle`, {
        outcome: 'failed',
        failure_reason: 'expired_or_canceled_card',
      });
      ctx.out.result(r, () => `refund ${a}: ${(r as Rec).status}`);
      return;
    }
    case 'payout.returned': {
      const r = await sim(ctx, 'POST', `payouts/${need(a, 'payout')}/return`);
      ctx.out.result(r, () => `payout ${a}: returned`);
      return;
    }
    default:
      throw new CliError(`unknown scenario ${scenario}\n\n${TRIGGERS}`, EXIT.usage);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where to put a settlement file: a deployed stack's bucket (its outputs, the caller's AWS credentials) or the sandbox's. */
async function settlementsTarget(ctx: Ctx): Promise<{ s3: S3Client; bucket: string }> {
  if (ctx.target.kind === 'stack') {
    if (!ctx.target.settlementsBucket) throw new CliError('the stack outputs have no SettlementsBucketName');
    return { s3: new S3Client({}), bucket: ctx.target.settlementsBucket };
  }
  const response = await fetch(`${ctx.target.api}/_sandbox/info`).catch((error: unknown) => {
    throw new CliError(
      `cannot reach the sandbox at ${ctx.target.api} (is \`npm start\` running?): ${String(error)}`,
    );
  });
  if (response.status !== 200)
    throw new CliError(`${ctx.target.api}/_sandbox/info: ${response.status} (not a sandbox?)`);
  const info = (await response.json()) as {
    s3_endpoint: string;
    region: string;
    buckets: Record<string, string>;
  };
  const bucket = info.buckets.settlements;
  if (!bucket) throw new CliError('the sandbox has no settlements bucket');
  return {
    s3: new S3Client({
      endpoint: info.s3_endpoint,
      region: info.region,
      // The local engine's fixed credentials (sandbox/engines/local-aws.ts): not a secret.
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      forcePathStyle: true,
    }),
    bucket,
  };
}

function dayOf(file: string, flag: string | undefined): string {
  const day =
    flag ?? /(\d{4}-\d{2}-\d{2})/.exec(basename(file))?.[1] ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) {
    throw new CliError(`--day must be YYYY-MM-DD (got ${day})`, EXIT.usage);
  }
  return day;
}

function reportSummary(r: Rec): string {
  const classes = Object.entries(
    (r.classes ?? {}) as Record<string, { count: number; amounts: Record<string, string> }>,
  );
  const breaks = list(r.breaks);
  return [
    `reconciliation ${r.day}: ${r.rows ?? '?'} rows from ${r.source}${r.supersedes ? ` (supersedes ${(r.supersedes as Rec).source})` : ''}`,
    table([
      ['class', 'rows', 'amounts'],
      ...classes.map(([c, v]) => [
        c,
        v.count,
        Object.entries(v.amounts)
          .map(([cur, a]) => `${a} ${cur}`)
          .join(', '),
      ]),
    ]),
    '',
    breaks.length
      ? table([
          ['line', 'break', 'status', 'detail'],
          ...breaks.map((b) => [b.line ?? '', b.id, b.status, String(b.detail ?? '').slice(0, 90)]),
        ])
      : 'no breaks: every row matched',
    r.internal ? `internal checks: ${(r.internal as Rec).ok ? 'ok' : 'FAILED'}` : '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

/**
 * Uploads the file where the PSP's settlement files go (`settlements/...`, so the bucket's S3 trigger
 * reconciles it, exactly as a delivered file), then waits until the day's latest report is this file's (the
 * run is keyed by the content's sha256) and prints it.
 */
async function reconcileFile(ctx: Ctx, file: string, dayFlag: string | undefined, timeoutSeconds: number) {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
  const day = dayOf(file, dayFlag);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const key = `settlements/cli/${day}.${sha256.slice(0, 12)}.csv`;
  const { s3, bucket } = await settlementsTarget(ctx);
  const bar = ctx.out.progress(`reconciling ${basename(file)}`, 3);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: content, ContentType: 'text/csv' }));
  bar.tick(1);
  const started = Date.now();
  let report: Rec | undefined;
  for (;;) {
    try {
      const r = await request(ctx, 'GET', `/v1/operator/reconciliation/${day}`);
      if (r.sha256 === sha256) {
        report = r;
        break;
      }
    } catch (error) {
      if (!(error instanceof CliError) || !/ 404 /.test(error.message)) throw error;
    }
    if (Date.now() - started > timeoutSeconds * 1000) {
      bar.end();
      throw new CliError(
        `uploaded s3://${bucket}/${key}, but no report of it for ${day} after ${timeoutSeconds} s (is the S3 trigger running? a later file of the day supersedes it)`,
        EXIT.failed,
        { bucket, key, day, sha256 },
      );
    }
    bar.tick(2);
    await sleep(500);
  }
  bar.tick(3);
  bar.end();
  const breaks = list(report.breaks);
  const open = breaks.filter((b) => b.status === 'open').length;
  ctx.out.result(
    {
      uploaded: { bucket, key, sha256 },
      seconds: Math.round((Date.now() - started) / 100) / 10,
      open_breaks: open,
      report,
    },
    () => `uploaded s3://${bucket}/${key}\n${reportSummary(report as Rec)}\n${open} open break(s)`,
  );
}

async function attentionCommand(ctx: Ctx, sub: string | undefined, id: string | undefined, flags: Rec) {
  if (sub === undefined || sub === 'list') {
    const q = new URLSearchParams();
    if (flags.status) q.set('status', String(flags.status));
    if (flags.limit) q.set('limit', String(flags.limit));
    const r = await request(ctx, 'GET', `/v1/operator/attention${q.size ? `?${q}` : ''}`);
    ctx.out.result(r, () =>
      list(r.records).length === 0
        ? `no ${String(r.status).toLowerCase()} needs-attention records`
        : table([
            ['opened', 'id', 'summary', 'seen'],
            ...list(r.records).map((a) => [a.opened_at, a.attention_id, a.summary, `${a.occurrences}x`]),
          ]),
    );
  } else if (sub === 'show') {
    const r = await request(
      ctx,
      'GET',
      `/v1/operator/attention/${encodeURIComponent(need(id, 'attention_id'))}`,
    );
    ctx.out.result(r, () => JSON.stringify(r, null, 2));
  } else if (sub === 'resolve') {
    const r = await request(
      ctx,
      'POST',
      `/v1/operator/attention/${encodeURIComponent(need(id, 'attention_id'))}/resolve`,
      { actor: ctx.actor, reason: reasonOf(flags.reason as string | undefined) },
      { 'idempotency-key': `cli-${randomUUID()}` },
    );
    ctx.out.result(r, () => `${r.attention_id}: ${r.status} by ${r.resolved_by}; audit ${r.audit_id}`);
  } else {
    throw new CliError(`unknown attention command ${sub}\n\n${USAGE}`, EXIT.usage);
  }
}

async function reconCommand(ctx: Ctx, args: readonly string[], flags: Rec) {
  const [sub, day, breakId] = args;
  if (sub === undefined || sub === 'list') {
    const r = await request(
      ctx,
      'GET',
      `/v1/operator/reconciliation${flags.limit ? `?limit=${flags.limit}` : ''}`,
    );
    ctx.out.result(r, () =>
      list(r.days).length === 0
        ? 'no reconciliation report yet'
        : table([
            ['day', 'breaks', 'source'],
            ...list(r.days).map((d) => [
              d.day,
              Object.entries((d.breaks ?? {}) as Record<string, number>)
                .map(([s, n]) => `${n} ${s}`)
                .join(', ') || 'none',
              d.source,
            ]),
          ]),
    );
  } else if (sub === 'show') {
    const r = await request(
      ctx,
      'GET',
      `/v1/operator/reconciliation/${encodeURIComponent(need(day, 'day'))}`,
    );
    ctx.out.result(r, () => reportSummary(r));
  } else if (sub === 'resolve') {
    const action = need(flags.action as string | undefined, '--action accept|link|write_off');
    if (!['accept', 'link', 'write_off'].includes(action))
      throw new CliError('--action must be accept, link or write_off', EXIT.usage);
    const r = await request(
      ctx,
      'POST',
      `/v1/operator/reconciliation/${encodeURIComponent(need(day, 'day'))}/breaks/${encodeURIComponent(need(breakId, 'break_id'))}/resolve`,
      {
        actor: ctx.actor,
        reason: reasonOf(flags.reason as string | undefined),
        action,
        ...(flags.order ? { payment_order_id: flags.order } : {}),
        ...(flags.amount ? { amount: flags.amount } : {}),
        ...(flags.currency ? { currency: flags.currency } : {}),
      },
      { 'idempotency-key': `cli-${randomUUID()}` },
    );
    ctx.out.result(r, () => `${r.break_id}: ${r.status} (${r.detail}); audit ${r.audit_id}`);
  } else {
    throw new CliError(`unknown recon command ${sub}\n\n${USAGE}`, EXIT.usage);
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
        day: { type: 'string' },
        timeout: { type: 'string' },
        action: { type: 'string' },
        order: { type: 'string' },
        amount: { type: 'string' },
        currency: { type: 'string' },
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
      case 'reconcile':
        await reconcileFile(ctx, need(rest[0], 'settlement file'), values.day, Number(values.timeout ?? 120));
        break;
      case 'recon':
        await reconCommand(ctx, rest, values as Rec);
        break;
      case 'attention':
        await attentionCommand(ctx, rest[0], rest[1], values as Rec);
        break;
      case 'payouts': {
        const [verb, sellerId] = rest;
        if (verb !== 'pause' && verb !== 'resume')
          throw new CliError(`payouts pause|resume <seller>\n\n${USAGE}`, EXIT.usage);
        const r = await request(
          ctx,
          'POST',
          `/v1/operator/sellers/${encodeURIComponent(need(sellerId, 'seller_account'))}/payouts/${verb}`,
          { actor: ctx.actor, reason: reasonOf(values.reason) },
          { 'idempotency-key': `cli-${randomUUID()}` },
        );
        out.result(
          r,
          () => `${r.seller_account}: payouts ${r.paused ? 'paused' : 'active'}; audit ${r.audit_id}`,
        );
        break;
      }
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
