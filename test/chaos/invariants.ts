/**
 * The end of a chaos run, checked like a bank checks a workload (DESIGN.md §8): the PSP's own records (every
 * PaymentIntent, listed through the real Stripe SDK) against our orders, the ledger and the wallets; what is
 * still open and why; what is left in dead-letter queues and why. Each check is a row: ok or VIOLATED.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { verifyLedger } from '../../lambdas/ledger/check';
import { minorUnits, readEntry } from '../../lambdas/ledger/items';
import { ItemKind } from '../../lambdas/ledger/keys';
import type { Checkout, PaymentOrder } from '../../lambdas/payments/model';
import { createStripeClient } from '../../lambdas/psp/stripe-provider';
import { manifest } from '../../lib/manifest';
import type { CrashStats } from '../../sandbox/crash-injection';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/engines/local-aws';
import type { ChaosPlan } from './plan';
import { type ChaosContext, type ChaosWorkload, sleep } from './run';

export interface CheckRow {
  readonly name: string;
  readonly ok: boolean;
  /** The figure in one line. */
  readonly value: string;
  /** Up to a few examples, for a violation or an explanation. */
  readonly detail?: readonly string[];
}

export interface RunFacts {
  duplicatesSent: number;
  duplicateMismatches: string[];
  submitsGivenUp: string[];
  buyerActions: Record<string, number>;
  sweeps: number;
  sweepErrors: number;
  dynamo: { throttled: number; conflicts: number; calls: number };
  /** Crashes injected, per kind and crash point or function (sandbox/crash-injection.ts). */
  crashes: CrashStats;
  pspFaults: Record<string, number>;
  apiStatuses: Record<string, number>;
  /** Per canceled checkout: when it was canceled, the cancel's HTTP status and each order's status it answered. */
  cancels: Record<
    string,
    { at: string; status: number; orders: Record<string, string>; retriedAfter?: number }
  >;
}

/** The platform's own accounts in the held total (credit negative): revenue, less losses and PSP fees. */
const PLATFORM_ACCOUNTS = new Set(['platform_revenue', 'platform_losses', 'psp_fees']);

/** Non-terminal states that are explained: the buyer has not acted yet (looked at again, and expire). */
/** The reasons an order may stay PENDING at the end of a run: the buyer never came back. */
export const WAITING_ON_BUYER: ReadonlySet<string> = new Set([
  'requires_action',
  'awaiting_buyer_on_hosted_page',
]);

const row = (name: string, ok: boolean, value: string, detail: string[] = []): CheckRow => ({
  name,
  ok,
  value,
  ...(detail.length ? { detail: detail.slice(0, 5) } : {}),
});

async function scanAll(ctx: ChaosContext, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await ctx.db.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

interface Intent {
  id: string;
  status: string;
  amount: number;
  currency: string;
  metadata: Record<string, string>;
}

async function listIntents(ctx: ChaosContext): Promise<Intent[]> {
  const stripe = createStripeClient({ apiKey: 'sk_test_chaos', apiBase: ctx.system.endpoints.psp });
  const all: Intent[] = [];
  for await (const pi of stripe.paymentIntents.list({ limit: 100 })) {
    all.push({
      id: pi.id,
      status: pi.status,
      amount: pi.amount,
      currency: pi.currency.toUpperCase(),
      metadata: pi.metadata ?? {},
    });
  }
  return all;
}

/** The PSP's Checkout Sessions of one checkout (by client_reference_id or metadata), for a violation's detail. */
async function listSessions(ctx: ChaosContext, checkoutId: string): Promise<string> {
  const stripe = createStripeClient({ apiKey: 'sk_test_chaos', apiBase: ctx.system.endpoints.psp });
  const found: string[] = [];
  for await (const s of stripe.checkout.sessions.list({ limit: 100 })) {
    if (s.client_reference_id !== checkoutId && s.metadata?.checkout_id !== checkoutId) continue;
    const pi = typeof s.payment_intent === 'string' ? s.payment_intent : s.payment_intent?.id;
    found.push(`${s.id} ${s.status}/${s.payment_status}${pi ? ` ${pi}` : ''}`);
  }
  return found.join('; ');
}

const add = (map: Map<string, bigint>, key: string, value: bigint) =>
  map.set(key, (map.get(key) ?? 0n) + value);

/**
 * Money conserved, read once: each wallet's balances and the platform's accounts (held), psp_receivable, what
 * is in flight, against what the PSP took less what the workloads sent back.
 */
async function readConservation(
  ctx: ChaosContext,
  psp: ReadonlyMap<string, bigint>,
  workloads: readonly ChaosWorkload[],
) {
  const tables = ctx.system.names.tables;
  const held = new Map<string, bigint>();
  for (const item of await scanAll(ctx, tables.wallets ?? '')) {
    if (item.kind !== ItemKind.Balance) continue;
    const total =
      minorUnits(item.available) +
      minorUnits(item.reserved) +
      minorUnits(item.paid_out) +
      minorUnits(item.dispute_held) -
      minorUnits(item.receivable);
    add(held, String(item.currency), total);
  }
  const receivable = new Map<string, bigint>();
  const inFlight = new Map<string, bigint>();
  for (const item of await scanAll(ctx, tables.ledger ?? '')) {
    if (item.kind !== ItemKind.Entry) continue;
    const entry = readEntry(item);
    if (PLATFORM_ACCOUNTS.has(entry.account)) add(held, entry.amount.currency, -entry.amount.minor);
    if (entry.account === 'psp_receivable') add(receivable, entry.amount.currency, entry.amount.minor);
    // Refunds asked and not yet paid by the PSP, money a dispute took that is not yet lost or won back.
    if (entry.account === 'refunds_pending' || entry.account === 'disputed_funds')
      add(inFlight, entry.amount.currency, -entry.amount.minor);
  }
  const out = new Map<string, bigint>();
  for (const w of workloads) {
    for (const [currency, minor] of Object.entries((await w.moneyOut?.(ctx)) ?? {}))
      add(out, currency, minor);
  }
  const currencies = new Set([...psp.keys(), ...held.keys(), ...receivable.keys()]);
  const conserved = [...currencies].filter(
    (c) =>
      (held.get(c) ?? 0n) + (inFlight.get(c) ?? 0n) !== (psp.get(c) ?? 0n) - (out.get(c) ?? 0n) ||
      (receivable.get(c) ?? 0n) !== (psp.get(c) ?? 0n) - (out.get(c) ?? 0n),
  );
  return { psp, held, receivable, inFlight, out, currencies, conserved };
}

function describeConservation(m: Awaited<ReturnType<typeof readConservation>>): string {
  return [...m.currencies]
    .map(
      (c) =>
        `${c}: held ${m.held.get(c) ?? 0n}${m.inFlight.get(c) ? ` (+${m.inFlight.get(c)} in flight)` : ''}, PSP took ${m.psp.get(c) ?? 0n}, out ${m.out.get(c) ?? 0n}, receivable ${m.receivable.get(c) ?? 0n}`,
    )
    .join('; ');
}

export async function checkInvariants(
  ctx: ChaosContext,
  plan: ChaosPlan,
  facts: RunFacts,
  workloads: readonly ChaosWorkload[],
): Promise<CheckRow[]> {
  const tables = ctx.system.names.tables;
  const planned = new Set(plan.checkouts.map((c) => c.checkoutId));
  const payments = (await scanAll(ctx, tables.payments ?? '')).filter((i) =>
    planned.has(String(i.checkout_id)),
  );
  const orders = payments.filter(
    (i) => String(i.pk).startsWith('ORDER#') && i.sk === 'META',
  ) as unknown as PaymentOrder[];
  const checkouts = payments.filter(
    (i) => String(i.pk).startsWith('CHECKOUT#') && i.sk === 'META',
  ) as unknown as Checkout[];
  const intents = (await listIntents(ctx)).filter((pi) => planned.has(String(pi.metadata.checkout_id ?? '')));
  const rows: CheckRow[] = [];

  // Workload: what was asked, what the system did with it.
  const byStatus = new Map<string, number>();
  for (const o of orders) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
  rows.push(
    row(
      'orders stored / planned',
      true,
      `${orders.length} / ${plan.checkouts.reduce((n, c) => n + c.orders.length, 0)} (${[...byStatus]
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}); checkouts ${checkouts.length} / ${plan.checkouts.length}`,
      facts.submitsGivenUp.length ? ['storefront gave up on:', ...facts.submitsGivenUp] : [],
    ),
  );

  // API: a fault may earn a 503 with Retry-After; a 500 is a bug.
  const internal = Object.entries(facts.apiStatuses).filter(([k]) => / 500\b/.test(k));
  rows.push(
    row(
      'API never answers 500 (faults give 503/502 + Retry-After)',
      internal.length === 0,
      Object.entries(facts.apiStatuses)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', '),
      internal.map(([k, n]) => `${k}: ${n}`),
    ),
  );
  rows.push(
    row(
      'concurrent duplicates answer the same checkout',
      facts.duplicateMismatches.length === 0,
      `${facts.duplicatesSent} duplicate requests, ${facts.duplicateMismatches.length} mismatches`,
      facts.duplicateMismatches,
    ),
  );

  // §8.1 one PSP charge per order (card: a PaymentIntent per order; hosted: one per checkout).
  const perOrder = new Map<string, Intent[]>();
  const perHostedCheckout = new Map<string, Intent[]>();
  // A hosted page's intent may name its order too (issue 10: refunds and disputes on it find the order), but
  // it is still one charge per checkout: group it by checkout, as the page charged.
  const hostedOrders = new Set(orders.filter((o) => o.mode === 'hosted').map((o) => o.payment_order_id));
  for (const pi of intents) {
    const orderId = pi.metadata.payment_order_id;
    if (orderId && !hostedOrders.has(orderId)) perOrder.set(orderId, [...(perOrder.get(orderId) ?? []), pi]);
    else
      perHostedCheckout.set(pi.metadata.checkout_id ?? '', [
        ...(perHostedCheckout.get(pi.metadata.checkout_id ?? '') ?? []),
        pi,
      ]);
  }
  const orderIds = new Set(orders.map((o) => o.payment_order_id));
  const doubles = [
    ...[...perOrder].filter(([, list]) => list.length > 1).map(([id, l]) => `${id}: ${l.length} intents`),
    ...[...perHostedCheckout]
      .filter(([, list]) => list.filter((pi) => pi.status === 'succeeded').length > 1)
      .map(([id, l]) => `${id} (hosted): ${l.length} intents`),
  ];
  const strays = [...perOrder.keys()]
    .filter((id) => !orderIds.has(id))
    .map((id) => `${id}: charged, no order`);
  rows.push(
    row(
      '§8.1 one PSP charge per order (PaymentIntents listed by metadata)',
      doubles.length === 0 && strays.length === 0,
      `${intents.length} PaymentIntents for ${orders.length} orders; ${doubles.length} doubles, ${strays.length} without an order`,
      [...doubles, ...strays],
    ),
  );

  // §8.11 money moved <=> SUCCESS; FAILED only when no money moved.
  const mismatches: string[] = [];
  const psp = new Map<string, bigint>();
  for (const pi of intents) if (pi.status === 'succeeded') add(psp, pi.currency, BigInt(pi.amount));
  const ordersByCheckout = new Map<string, PaymentOrder[]>();
  for (const o of orders)
    ordersByCheckout.set(o.checkout_id, [...(ordersByCheckout.get(o.checkout_id) ?? []), o]);
  for (const o of orders) {
    if (o.mode === 'hosted') continue;
    const succeeded = (perOrder.get(o.payment_order_id) ?? []).filter((pi) => pi.status === 'succeeded');
    if (o.status === 'SUCCESS' && (succeeded.length !== 1 || succeeded[0]?.amount !== o.amount_minor))
      mismatches.push(`${o.payment_order_id}: SUCCESS but ${succeeded.length} succeeded intents`);
    if (o.status !== 'SUCCESS' && succeeded.length > 0)
      mismatches.push(`${o.payment_order_id}: ${o.status} but the PSP took the money (${succeeded[0]?.id})`);
  }
  for (const [checkoutId, list] of ordersByCheckout) {
    if (list[0]?.mode !== 'hosted') continue;
    const paid = (perHostedCheckout.get(checkoutId) ?? []).filter((pi) => pi.status === 'succeeded');
    const successTotal = list.filter((o) => o.status === 'SUCCESS').reduce((n, o) => n + o.amount_minor, 0);
    const paidTotal = paid.reduce((n, pi) => n + pi.amount, 0);
    if (successTotal !== paidTotal) {
      // What to look at: our orders, the session we stored, and every session the PSP has for the checkout.
      const stored = checkouts.find((c) => c.checkout_id === checkoutId)?.psp_session_id ?? 'none';
      const sessions = await listSessions(ctx, checkoutId);
      mismatches.push(
        `${checkoutId} (hosted): SUCCESS orders ${successTotal}, PSP took ${paidTotal} (${paid.map((pi) => pi.id).join(', ')}); orders ${list.map((o) => `${o.status}${o.pending_reason ? `/${o.pending_reason}` : ''}${o.failure_code ? `/${o.failure_code}` : ''}`).join(', ')}; stored session ${stored}; PSP sessions ${sessions || 'none'}`,
      );
    }
  }
  rows.push(
    row(
      '§8.11 SUCCESS <=> the PSP took the money; FAILED only if it did not',
      mismatches.length === 0,
      `${mismatches.length} mismatches`,
      mismatches,
    ),
  );

  // §8.2 / §8.3 the ledger and the wallets (all of them: the check reads every entry).
  const ledger = await verifyLedger({
    db: ctx.db,
    tables: { ledger: tables.ledger ?? '', wallets: tables.wallets ?? '' },
  });
  const unbalanced = ledger.problems.filter((p) => /sum/.test(p));
  const drift = ledger.problems.filter((p) => !/sum/.test(p));
  rows.push(
    row(
      '§8.2 every transaction and the whole ledger sum to zero',
      unbalanced.length === 0 && Object.values(ledger.totals).every((t) => t === 0n),
      `${ledger.transactions} transactions, ${ledger.entries} entries; totals ${JSON.stringify(ledger.totals, big)}`,
      unbalanced,
    ),
  );
  rows.push(
    row(
      '§8.3/8.4 wallets = their entries, none negative, entries unchanged',
      drift.length === 0,
      `${ledger.wallets} wallets, ${drift.length} problems`,
      drift,
    ),
  );

  // Money conserved: every balance we hold adds up to what came in less what went out. Held: each wallet's
  // available + reserved + paid_out (paid out is money the seller earned and got: the pay-out row checks it
  // against the PSP's transfers) + dispute_held - receivable (what the seller owes back), and the platform's
  // own accounts (revenue, less losses and the PSP's dispute fees). Out: what the workloads sent back through
  // the PSP (refunds, disputes with their fees), as the PSP reports it. A refund leaves both the held total and
  // psp_receivable; a refund still pending (refunds_pending) has left the held total only.
  // Read again once when it does not hold: the scans of wallets and ledger take seconds, and a posting landing
  // between them (a late event) makes a read that no state ever had. A second read that still disagrees is real.
  let money = await readConservation(ctx, psp, workloads);
  const firstRead = money.conserved.length ? describeConservation(money) : undefined;
  if (firstRead) {
    await sleep(10_000);
    money = await readConservation(ctx, psp, workloads);
  }
  rows.push(
    row(
      'money conserved: wallets + platform = receivable = PSP in - out (refunds, disputes)',
      money.conserved.length === 0,
      `${describeConservation(money)}${firstRead ? ` (a second read, 10 s after one that did not hold: ${firstRead})` : ''}`,
      money.conserved,
    ),
  );

  // §8.5 every order terminal, or waiting on the buyer with a reason and a deadline.
  const open = orders.filter((o) => o.status !== 'SUCCESS' && o.status !== 'FAILED');
  const why = new Map<string, number>();
  const unexplained: string[] = [];
  for (const o of open) {
    const reason = `${o.status}${o.pending_reason ? ` (${o.pending_reason})` : ''}`;
    why.set(reason, (why.get(reason) ?? 0) + 1);
    if (o.status !== 'PENDING' || !o.deadline || !WAITING_ON_BUYER.has(o.pending_reason ?? ''))
      unexplained.push(`${o.payment_order_id}: ${reason}, deadline ${o.deadline ?? 'none'}`);
  }
  rows.push(
    row(
      '§8.5 non-terminal orders only wait on the buyer (reason + deadline)',
      unexplained.length === 0,
      open.length ? [...why].map(([r, n]) => `${r}: ${n}`).join(', ') : 'none',
      unexplained,
    ),
  );

  // A checkout is closed once all its orders are.
  let unclosed = checkouts.filter((c) => {
    const list = ordersByCheckout.get(c.checkout_id) ?? [];
    const allDone = list.length > 0 && list.every((o) => o.status === 'SUCCESS' || o.status === 'FAILED');
    return allDone && !c.is_payment_done;
  });
  // Each one read again a moment later: the scan may have read its orders after a move and the checkout
  // before the close that follows it. One still open then is open.
  const openOnFirstRead = unclosed.length;
  if (unclosed.length > 0) {
    await sleep(5_000);
    const again = await Promise.all(
      unclosed.map(async (c) => {
        const got = await ctx.db.send(
          new GetCommand({
            TableName: tables.payments ?? '',
            Key: { pk: `CHECKOUT#${c.checkout_id}`, sk: 'META' },
            ConsistentRead: true,
          }),
        );
        return got.Item?.is_payment_done === true ? undefined : c;
      }),
    );
    unclosed = again.filter((c): c is Checkout => c !== undefined);
  }
  rows.push(
    row(
      'checkouts with every order terminal are is_payment_done',
      unclosed.length === 0,
      `${unclosed.length} not closed${openOnFirstRead > unclosed.length ? ` (${openOnFirstRead - unclosed.length} open in the scan were closed when read again 5 s later)` : ''}`,
      // Who moved each order last, and when: which path left the checkout open.
      unclosed.map(
        (c) =>
          `${c.checkout_id} (${c.mode}, updated ${c.updated_at}): ${(
            ordersByCheckout.get(c.checkout_id) ?? []
          )
            .map((o) => `${o.status} by ${o.last_transition?.actor ?? '?'} at ${o.updated_at}`)
            .join('; ')}`,
      ),
    ),
  );

  rows.push(cancelRow(plan, facts, orders, checkouts, intents, hostedOrders));

  rows.push(await deadLetters(ctx));

  for (const w of workloads) if (w.invariants) rows.push(...(await w.invariants(ctx)));

  rows.push(
    row(
      'faults injected (info)',
      true,
      [
        `DynamoDB: ${facts.dynamo.throttled} throttles, ${facts.dynamo.conflicts} transaction conflicts in ${facts.dynamo.calls} calls`,
        `crashes: ${Object.entries(facts.crashes)
          .map(
            ([kind, at]) =>
              `${kind} ${
                Object.entries(at)
                  .map(([where, n]) => `${where} x${n}`)
                  .join(', ') || 'none'
              }`,
          )
          .join('; ')}`,
        `PSP: ${Object.entries(facts.pspFaults)
          .map(([k, n]) => `${k} x${n}`)
          .join(', ')}`,
        `buyers: ${Object.entries(facts.buyerActions)
          .map(([k, n]) => `${k} x${n}`)
          .join(', ')}`,
        `sweeps ${facts.sweeps} (${facts.sweepErrors} failed)`,
      ].join('; '),
    ),
  );
  return rows;
}

/** Intent statuses with which money could still move (a cancel must leave none). */
const OPEN_INTENT = new Set(['requires_action', 'requires_confirmation', 'requires_capture', 'processing']);

/**
 * Canceled checkouts: no order SUCCESS unless the PSP captured first (its intent succeeded, so our cancel of
 * it found it paid; a canceled intent or expired page cannot be paid afterwards), an order the cancel answered
 * FAILED stays FAILED with no money taken, every order terminal, no intent left open at the PSP.
 */
function cancelRow(
  plan: ChaosPlan,
  facts: RunFacts,
  orders: readonly PaymentOrder[],
  checkouts: readonly Checkout[],
  intents: readonly Intent[],
  hostedOrders: ReadonlySet<string>,
): CheckRow {
  const byCheckout = new Map<string, PaymentOrder[]>();
  for (const o of orders) byCheckout.set(o.checkout_id, [...(byCheckout.get(o.checkout_id) ?? []), o]);
  const intentsOf = new Map<string, Intent[]>();
  for (const pi of intents) {
    const id = pi.metadata.checkout_id ?? '';
    intentsOf.set(id, [...(intentsOf.get(id) ?? []), pi]);
  }
  const stored = new Set(checkouts.map((c) => c.checkout_id));
  const canceledAt = new Set(checkouts.filter((c) => c.canceled_at).map((c) => c.checkout_id));
  const problems: string[] = [];
  let canceled = 0;
  let paidFirst = 0;
  let failedByCancel = 0;
  let neverConfirmed = 0;
  const answers = new Map<string, number>();
  for (const c of plan.checkouts) {
    const cancel = facts.cancels[c.checkoutId];
    if (!c.cancel || !cancel) continue;
    const answer = `${cancel.status}${cancel.retriedAfter ? ` (retried after ${cancel.retriedAfter})` : ''}`;
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
    if (cancel.status !== 200) {
      // Only a checkout the storefront never got stored may be unknown to the cancel.
      if (!(cancel.status === 404 && !stored.has(c.checkoutId)))
        problems.push(`${c.checkoutId}: cancel answered ${cancel.status}`);
      continue;
    }
    canceled++;
    if (!canceledAt.has(c.checkoutId)) problems.push(`${c.checkoutId}: cancel answered 200, no canceled_at`);
    const pis = intentsOf.get(c.checkoutId) ?? [];
    for (const pi of pis) {
      if (!OPEN_INTENT.has(pi.status)) continue;
      // The executor creates intents unconfirmed and confirms only the id stored on a non-terminal order: an
      // intent created while the cancel FAILED its order is never confirmed, so no money moves (had a confirm
      // raced the cancel, the intent would be succeeded and §8.11 would flag the FAILED order).
      const order = (byCheckout.get(c.checkoutId) ?? []).find(
        (o) => o.payment_order_id === pi.metadata.payment_order_id,
      );
      if (pi.status === 'requires_confirmation' && order?.status === 'FAILED') {
        neverConfirmed++;
        continue;
      }
      problems.push(
        `${c.checkoutId}: ${pi.id} still ${pi.status} at the PSP (order ${order?.status ?? 'none'}${order?.failure_code ? ` ${order.failure_code}` : ''}, stored id ${order?.psp_reference ?? 'none'})`,
      );
    }
    for (const o of byCheckout.get(c.checkoutId) ?? []) {
      const answered = cancel.orders[o.payment_order_id];
      const hosted = hostedOrders.has(o.payment_order_id);
      const succeeded = pis.filter(
        (pi) => pi.status === 'succeeded' && (hosted || pi.metadata.payment_order_id === o.payment_order_id),
      );
      if (o.status === 'SUCCESS') {
        paidFirst++;
        if (succeeded.length === 0)
          problems.push(`${o.payment_order_id}: SUCCESS on a canceled checkout, no captured intent`);
        if (answered === 'FAILED')
          problems.push(`${o.payment_order_id}: the cancel answered FAILED, now SUCCESS`);
      } else if (o.status === 'FAILED') {
        if (o.failure_code === 'canceled') failedByCancel++;
        if (succeeded.length > 0 && !hosted)
          problems.push(`${o.payment_order_id}: FAILED after the cancel, but ${succeeded[0]?.id} captured`);
      } else {
        problems.push(`${o.payment_order_id}: ${o.status} after the cancel`);
      }
    }
  }
  return row(
    'canceled checkouts: no SUCCESS unless the PSP captured first; none left open',
    problems.length === 0,
    `${canceled} canceled (answers ${[...answers].map(([s, n]) => `${s} x${n}`).join(', ') || 'none'}): ${paidFirst} orders paid before the cancel, ${failedByCancel} FAILED canceled; ${neverConfirmed} intents created as the cancel won, never confirmed (left open at the PSP, uncharged)`,
    problems,
  );
}

/** Dead-letter and on-failure queues: every message left there, with what it was about. */
async function deadLetters(ctx: ChaosContext): Promise<CheckRow> {
  const sqs = new SQSClient({
    endpoint: ctx.system.endpoints.messaging,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const sinks = new Set<string>([
    ...manifest.queues.flatMap((q) => (q.deadLetter ? [q.deadLetter.queue] : [])),
    ...manifest.tableStreamEventSources.map((s) => s.onFailureQueue),
  ]);
  const residue: string[] = [];
  let total = 0;
  try {
    for (const id of sinks) {
      const url = ctx.system.names.queues[id]?.url;
      if (!url) continue;
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      const count = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
      total += count;
      if (count === 0) continue;
      const peek = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 5, VisibilityTimeout: 0 }),
      );
      for (const m of peek.Messages ?? []) residue.push(`${id}: ${(m.Body ?? '').slice(0, 160)}`);
    }
  } finally {
    sqs.destroy();
  }
  return row(
    'DLQ / on-failure residue (and why)',
    total === 0,
    `${total} messages in ${[...sinks].join(', ')}`,
    residue,
  );
}

const big = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** The table the CLI prints. */
export function formatChecks(rows: readonly CheckRow[]): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  const lines = [`${'check'.padEnd(width)}  result    value`, `${'-'.repeat(width)}  --------  -----`];
  for (const r of rows) {
    lines.push(`${r.name.padEnd(width)}  ${r.ok ? 'ok      ' : 'VIOLATED'}  ${r.value}`);
    for (const d of r.detail ?? []) lines.push(`${' '.repeat(width)}            - ${d}`);
  }
  return lines.join('\n');
}
