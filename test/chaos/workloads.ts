/**
 * The money workloads of the chaos run, under the same faults and crashes as the pay-ins, each through the
 * public HTTP API as a storefront or operator would (and the PSP simulator's control API where a bank, a card
 * network or a buyer acts): refunds (partial, full, concurrent duplicates under one Idempotency-Key, concurrent
 * requests under different keys that together exceed what was captured) and disputes (chargebacks won and
 * lost, on card and hosted-page orders) once the pay-ins were driven, and pay-outs (every seller registered
 * with hold period 0 and paid everything payable, some requests duplicated or raced by a second key) racing
 * the pay-ins, then the refunds and disputes, then once more when all settled. Each checks itself against the
 * PSP's own records, listed through the real Stripe SDK.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type Stripe from 'stripe';
import { verifyLedger } from '../../lambdas/ledger/check';
import { createStripeClient } from '../../lambdas/psp/stripe-provider';
import { notYetRecordedMatcher } from '../../lambdas/reconciliation/matchers/not-yet-recorded';
import type { ReconciliationReport } from '../../lambdas/reconciliation/report';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/engines/local-aws';
import { seededRng } from '../../sandbox/psp/random';
import type { CheckRow } from './invariants';
import type { ChaosPlan, PlannedOrder } from './plan';
import { type ApiAnswer, type ChaosContext, type ChaosWorkload, sleep } from './run';

const REFUND_SWEEP = 'sweep-refunds-every-5-minutes';
const PAYOUT_SWEEP = 'sweep-payouts-every-5-minutes';

const row = (name: string, ok: boolean, value: string, detail: string[] = []): CheckRow => ({
  name,
  ok,
  value,
  ...(detail.length ? { detail: detail.slice(0, 5) } : {}),
});
const decimal = (minor: number) => (minor / 100).toFixed(2);
const minorOf = (amount: unknown) => Math.round(Number(amount ?? 0) * 100);
const tally = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
const listed = (map: Map<string, number>) =>
  [...map]
    .sort()
    .map(([k, n]) => `${k} x${n}`)
    .join(', ') || 'none';

function stripeOf(ctx: ChaosContext): Stripe {
  return createStripeClient({ apiKey: 'sk_test_chaos', apiBase: ctx.system.endpoints.psp }) as Stripe;
}

/**
 * The claw-backs of refunds from paid-out sellers (lambdas/refunds/reversals.ts): transfer reversals that name
 * a refund, per transfer and per currency. Money back from a seller's connected account, so neither a payout
 * given back (the payouts row nets only those) nor money gone: the money row counts it as come in again.
 */
async function refundClawbacks(
  stripe: Stripe,
  transfers: Iterable<Stripe.Transfer> | AsyncIterable<Stripe.Transfer>,
): Promise<{ byTransfer: Map<string, number>; byCurrency: Record<string, bigint> }> {
  const byTransfer = new Map<string, number>();
  const byCurrency: Record<string, bigint> = {};
  for await (const t of transfers) {
    if (t.amount_reversed === 0) continue;
    for await (const r of stripe.transfers.listReversals(t.id, { limit: 100 })) {
      if (!r.metadata?.refund_id) continue;
      byTransfer.set(t.id, (byTransfer.get(t.id) ?? 0) + r.amount);
      const c = r.currency.toUpperCase();
      byCurrency[c] = (byCurrency[c] ?? 0n) + BigInt(r.amount);
    }
  }
  return { byTransfer, byCurrency };
}

/**
 * Repeats `round` (it answers how many things are still open) until none is, or until none has closed for
 * `stallMs` (the system stopped moving them: the checks then say which), or `maxMs` in all. Prints the count
 * every 30 s. A wait on the system settling, not a fixed window: the time it needs grows with the run.
 */
export async function untilSettled(
  ctx: ChaosContext,
  what: string,
  round: () => Promise<number>,
  options: { stallMs?: number; maxMs?: number; pauseMs?: number } = {},
): Promise<void> {
  const { stallMs = 300_000, maxMs = 2_400_000, pauseMs = 5_000 } = options;
  const started = Date.now();
  let fewest = Number.POSITIVE_INFINITY;
  let fewestWebhooks = Number.POSITIVE_INFINITY;
  let closedAt = started;
  let loggedAt = started;
  for (;;) {
    const open = await round();
    if (open === 0) return;
    const now = Date.now();
    // Progress is also the PSP's webhook backlog draining: the events that close these may be queued behind
    // thousands of others (the simulator sends first attempts to an endpoint one at a time, in order).
    const webhooks = ctx.system.psp.control.webhooksPending();
    if (open < fewest || webhooks < fewestWebhooks) {
      fewest = Math.min(fewest, open);
      fewestWebhooks = Math.min(fewestWebhooks, webhooks);
      closedAt = now;
    }
    const seconds = ((now - started) / 1000).toFixed(0);
    if (now - closedAt >= stallMs || now - started >= maxMs) {
      ctx.log(
        `[chaos] ${what}: ${open} still open after ${seconds} s, none closed for ${((now - closedAt) / 1000).toFixed(0)} s: checking`,
      );
      return;
    }
    if (now - loggedAt >= 30_000) {
      loggedAt = now;
      ctx.log(
        `[chaos] ${what}: ${open} still open after ${seconds} s; ${webhooks} webhook deliveries pending`,
      );
    }
    await sleep(pauseMs);
  }
}

/** `work` on every item, `width` at a time; the results in the items' order. */
export async function poolMap<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const indexes = items.map((_, i) => i);
  await pool(indexes, width, async (i) => {
    results[i] = await work(items[i] as T);
  });
  return results;
}

export async function pool<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (;;) {
        const item = items[next++];
        if (item === undefined) return;
        await work(item);
      }
    }),
  );
}

interface OrderView {
  payment_order_id: string;
  status: string;
  mode?: string;
  psp_reference?: string;
  seller_account: string;
}

async function getOrder(ctx: ChaosContext, id: string): Promise<OrderView | undefined> {
  const got = await ctx.api.call('GET', `/v1/payments/${id}`);
  return got.status === 200 ? (got.body as unknown as OrderView) : undefined;
}

async function sim(
  ctx: ChaosContext,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const answer = await fetch(`${ctx.system.endpoints.psp}/_sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : {} };
}

/** Every PaymentIntent of the plan's checkouts, with its refunds and disputes at the PSP. */
async function pspMoneyBack(ctx: ChaosContext, plan: ChaosPlan) {
  const stripe = stripeOf(ctx);
  const planned = new Set(plan.checkouts.map((c) => c.checkoutId));
  const intents = new Map<string, Stripe.PaymentIntent>();
  for await (const pi of stripe.paymentIntents.list({ limit: 100 }))
    if (planned.has(pi.metadata?.checkout_id ?? '')) intents.set(pi.id, pi);
  const refunds: Stripe.Refund[] = [];
  for await (const r of stripe.refunds.list({ limit: 100 })) {
    const pi = typeof r.payment_intent === 'string' ? r.payment_intent : r.payment_intent?.id;
    if (pi && intents.has(pi)) refunds.push(r);
  }
  const disputes: Stripe.Dispute[] = [];
  for await (const d of stripe.disputes.list({ limit: 100 })) {
    const pi = typeof d.payment_intent === 'string' ? d.payment_intent : d.payment_intent?.id;
    if (pi && intents.has(pi)) disputes.push(d);
  }
  return { intents, refunds, disputes };
}

// --- refunds -------------------------------------------------------------------------------------------

interface RefundView {
  refund_id: string;
  amount: string;
  status: string;
  psp_refund_id?: string;
}

export function refundsWorkload(): ChaosWorkload {
  let plan: ChaosPlan | undefined;
  /** Orders refunds were asked for (SUCCESS when the workload ran), with their captured amount. */
  const targets = new Map<string, PlannedOrder>();
  const answers = new Map<string, number>();
  const duplicateMismatches: string[] = [];
  const overdraws = { groups: 0, refused: 0 };
  const unanswered: string[] = [];

  /** An order's refunds as our API answers them; undefined when it did not answer 200. */
  const refundsOf = async (ctx: ChaosContext, id: string) => {
    const answer = await ctx.api.call('GET', `/v1/payments/${id}/refunds`);
    return answer.status === 200 ? ((answer.body.data ?? []) as RefundView[]) : undefined;
  };
  const ours = async (ctx: ChaosContext) => {
    const ids = [...targets.keys()];
    const lists = await poolMap(ids, 16, async (id) => (await refundsOf(ctx, id)) ?? []);
    return new Map(ids.map((id, i) => [id, lists[i] ?? []]));
  };

  return {
    name: 'refunds',
    summary: () => ({
      orders: targets.size,
      requests: [...answers.values()].reduce((a, b) => a + b, 0),
      overAsking: overdraws.groups,
    }),
    async run(ctx, p) {
      plan = p;
      const rng = seededRng(p.seed, 'refund-requests');
      const planned = p.checkouts.flatMap((c) => c.orders.filter((o) => o.refund));
      // Read in parallel (one at a time took 17 minutes for 5,586 orders), kept in the plan's order.
      const orders = await poolMap(planned, 16, (o) => getOrder(ctx, o.paymentOrderId));
      planned.forEach((o, i) => {
        if (orders[i]?.status === 'SUCCESS') targets.set(o.paymentOrderId, o);
      });
      ctx.log(`[chaos] refunds: ${targets.size} of ${planned.length} planned orders are SUCCESS`);
      const note = (a: ApiAnswer) => {
        const code = (a.body.error as { code?: string } | undefined)?.code;
        tally(answers, `${a.status}${code ? ` ${code}` : ''}`);
        if (a.status !== 201 && a.status !== 409 && a.status !== 422)
          unanswered.push(`${a.status} ${JSON.stringify(a.body).slice(0, 120)}`);
      };
      await pool([...targets.values()], 12, async (o) => {
        const refund = o.refund;
        if (!refund) return;
        const path = `/v1/payments/${o.paymentOrderId}/refunds`;
        const body = (permille: number | undefined) =>
          permille === undefined
            ? {}
            : { amount: decimal(Math.max(1, Math.floor((o.amountMinor * permille) / 1000))) };
        const key = (i: number) => `rf-${o.paymentOrderId}-${i}`;
        if (refund.kind === 'duplicate') {
          const copies = await Promise.all(
            Array.from({ length: refund.copies }, () =>
              ctx.api.post(path, body(refund.parts[0]), key(0), rng),
            ),
          );
          copies.forEach(note);
          const ids = new Set(copies.filter((a) => a.status === 201).map((a) => String(a.body.refund_id)));
          if (ids.size !== 1)
            duplicateMismatches.push(`${o.paymentOrderId}: refund ids ${[...ids].join(', ')}`);
        } else if (refund.kind === 'overdraw') {
          const sent = await Promise.all(
            refund.parts.map((part, i) => ctx.api.post(path, body(part), key(i), rng)),
          );
          sent.forEach(note);
          overdraws.groups++;
          overdraws.refused += sent.filter((a) => a.status === 422).length;
        } else {
          for (const [i, part] of refund.parts.entries())
            note(await ctx.api.post(path, body(part), key(i), rng));
        }
      });
    },

    async finish(ctx) {
      // Pending refunds move by their events, or by the sweep that asks the PSP again with the same key.
      // Only the orders with a pending refund are read again: all of them (4,000 at 10,000 checkouts) every
      // round held the webhook deliveries behind the reads.
      let watched = [...targets.keys()];
      for (let round = 0; round < 20; round++) {
        await ctx.system.psp.control.webhooksIdle(60_000).catch(() => undefined);
        // An unanswered read is looked at again next round.
        const lists = await poolMap(
          watched,
          8,
          async (id) => (await refundsOf(ctx, id)) ?? [{ status: 'pending' } as RefundView],
        );
        watched = watched.filter((_, i) => (lists[i] ?? []).some((r) => r.status === 'pending'));
        const pending = lists.flat().filter((r) => r.status === 'pending');
        if (pending.length === 0) break;
        ctx.log(`[chaos] refunds: ${pending.length} pending, sweeping`);
        await ctx.system.runtime.runSchedule(REFUND_SWEEP).catch(() => undefined);
        await sleep(1_000);
      }
    },

    async moneyOut(ctx) {
      if (!plan) return {};
      const out: Record<string, bigint> = {};
      for (const r of (await pspMoneyBack(ctx, plan)).refunds) {
        if (r.status !== 'succeeded') continue;
        const c = r.currency.toUpperCase();
        out[c] = (out[c] ?? 0n) + BigInt(r.amount);
      }
      // What the platform took back from paid-out sellers for their refunds came in again.
      const stripe = stripeOf(ctx);
      const { byCurrency } = await refundClawbacks(stripe, stripe.transfers.list({ limit: 100 }));
      for (const [c, back] of Object.entries(byCurrency)) out[c] = (out[c] ?? 0n) - back;
      return out;
    },

    async invariants(ctx) {
      if (!plan) return [];
      const psp = await pspMoneyBack(ctx, plan);
      const mine = await ours(ctx);
      const byRefundId = new Map<string, Stripe.Refund[]>();
      const strays: string[] = [];
      for (const r of psp.refunds) {
        const id = r.metadata?.refund_id;
        if (!id) strays.push(`${r.id} on ${String(r.payment_intent)}: no refund_id`);
        else byRefundId.set(id, [...(byRefundId.get(id) ?? []), r]);
      }
      const known = new Set([...mine.values()].flat().map((r) => r.refund_id));
      for (const id of byRefundId.keys()) if (!known.has(id)) strays.push(`${id}: at the PSP, not ours`);
      const perOrder: string[] = [];
      const overCaptured: string[] = [];
      const statuses: string[] = [];
      const doubles: string[] = [];
      let refunded = 0;
      let count = 0;
      for (const [orderId, list] of mine) {
        const captured = targets.get(orderId)?.amountMinor ?? 0;
        let oursSucceeded = 0;
        let pspSucceeded = 0;
        let asked = 0;
        for (const r of list) {
          count++;
          const amount = minorOf(r.amount);
          const theirs = byRefundId.get(r.refund_id) ?? [];
          if (theirs.length > 1) doubles.push(`${r.refund_id}: ${theirs.length} PSP refunds`);
          const pspStatus = theirs[0]?.status ?? 'none';
          // A refund the PSP refused outright created nothing there (ours failed, theirs none).
          if (pspStatus !== r.status && !(r.status === 'failed' && theirs.length === 0))
            statuses.push(`${r.refund_id} (${orderId}): ours ${r.status}, PSP ${pspStatus}`);
          if (r.status === 'succeeded') oursSucceeded += amount;
          if (r.status === 'succeeded' || r.status === 'pending') asked += amount;
          for (const t of theirs) if (t.status === 'succeeded') pspSucceeded += t.amount;
        }
        refunded += oursSucceeded;
        if (oursSucceeded !== pspSucceeded)
          perOrder.push(`${orderId}: ours succeeded ${oursSucceeded}, PSP ${pspSucceeded}`);
        if (asked > captured) overCaptured.push(`${orderId}: refunded ${asked} of ${captured}`);
      }
      // Per PaymentIntent too (a hosted page's intent carries several orders).
      const perIntent = new Map<string, number>();
      for (const r of psp.refunds)
        if (r.status === 'succeeded' || r.status === 'pending')
          perIntent.set(String(r.payment_intent), (perIntent.get(String(r.payment_intent)) ?? 0) + r.amount);
      for (const [pi, amount] of perIntent) {
        const captured = psp.intents.get(pi)?.amount_received ?? 0;
        if (amount > captured) overCaptured.push(`${pi}: PSP refunded ${amount} of ${captured}`);
      }
      return [
        row(
          'refunds: PSP refunds = ours per order, never more than captured',
          perOrder.length === 0 && overCaptured.length === 0 && strays.length === 0,
          `${targets.size} orders, ${count} refunds (${decimal(refunded)} USD succeeded); ${psp.refunds.length} at the PSP; ${perOrder.length} disagree, ${overCaptured.length} over captured, ${strays.length} strays`,
          [...perOrder, ...overCaptured, ...strays],
        ),
        row(
          'refunds: at most one PSP refund per refund id; our status = the PSP status',
          doubles.length === 0 && statuses.length === 0,
          `${doubles.length} doubles, ${statuses.length} status differences`,
          [...doubles, ...statuses],
        ),
        row(
          'refund requests: duplicates answer one refund; over-asking refused (422), never 5xx',
          duplicateMismatches.length === 0 && unanswered.length === 0,
          `answers ${listed(answers)}; ${overdraws.groups} over-asking groups, ${overdraws.refused} refused`,
          [...duplicateMismatches, ...unanswered],
        ),
      ];
    },
  };
}

// --- disputes ------------------------------------------------------------------------------------------

interface DisputeView {
  dispute_id: string;
  status: string;
  /** The money steps posted (funds_withdrawn, funds_reinstated, lost). */
  posted?: string[];
}

export function disputesWorkload(): ChaosWorkload {
  let plan: ChaosPlan | undefined;
  /**
   * `attributed`: the charge is one order's (a card order, or a hosted page of one order). A hosted page of
   * several orders is one charge for several sellers: its dispute is left to a person (money_back_unattributed).
   */
  const opened: { disputeId: string; order: OrderView; outcome: 'won' | 'lost'; attributed: boolean }[] = [];
  const problems: string[] = [];
  /** Disputes the bank closed before our withdrawal step was posted (info: the order of events was harder). */
  const closedBeforeWithdrawn: string[] = [];
  const attributed = () => opened.filter((d) => d.attributed);
  const unattributed = () => opened.filter((d) => !d.attributed);

  const view = async (ctx: ChaosContext, id: string) =>
    (await ctx.api.call('GET', `/v1/disputes/${id}`)).body as unknown as DisputeView;
  // Longer than the webhook queue's visibility timeout (180 s): a dispute event whose first apply failed
  // under the faults comes back only after it.
  const waitFor = async (ctx: ChaosContext, id: string, done: (d: DisputeView) => boolean) => {
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const d = await view(ctx, id);
      if (done(d)) return d;
      // Not every 500 ms: 16 disputes polled that often slow the webhook deliveries they wait for.
      await sleep(3_000);
    }
    return view(ctx, id);
  };

  return {
    name: 'disputes',
    summary: () => ({
      opened: opened.length,
      hosted: opened.filter((d) => d.order.mode === 'hosted').length,
      unattributed: unattributed().length,
      won: opened.filter((d) => d.outcome === 'won').length,
      lost: opened.filter((d) => d.outcome === 'lost').length,
    }),
    async run(ctx, p) {
      plan = p;
      const disputedIntents = new Set<string>();
      // The orders read in parallel first; the disputes are then opened in the plan's order.
      const disputed = p.checkouts.flatMap((c) => c.orders.filter((o) => o.dispute));
      const orders = await poolMap(disputed, 16, (o) => getOrder(ctx, o.paymentOrderId));
      const read = new Map(disputed.map((o, i) => [o.paymentOrderId, orders[i]]));
      for (const c of p.checkouts) {
        for (const o of c.orders) {
          if (!o.dispute) continue;
          const order = read.get(o.paymentOrderId);
          if (order?.status !== 'SUCCESS' || !order.psp_reference) continue;
          // One chargeback per charge: a hosted page's charge carries every order of its checkout.
          if (disputedIntents.has(order.psp_reference)) continue;
          disputedIntents.add(order.psp_reference);
          const made = await sim(ctx, 'disputes', {
            payment_intent: order.psp_reference,
            kind: 'chargeback',
          });
          if (made.status !== 200) {
            problems.push(`${o.paymentOrderId}: the simulator refused the dispute (${made.status})`);
            continue;
          }
          const shared = order.mode === 'hosted' && c.orders.length > 1;
          opened.push({ disputeId: String(made.body.id), order, outcome: o.dispute, attributed: !shared });
        }
      }
      ctx.log(
        `[chaos] disputes: ${opened.length} opened (${unattributed().length} on hosted pages of several orders)`,
      );
      // The bank closes each once the money was withdrawn (or, for a shared charge, at once). A withdrawal
      // not yet posted by then (events behind a backlog under the faults) is not a fault: the bank does not
      // wait for us either. The close goes ahead; the checks read the steps the PSP's own records imply.
      await pool(opened, 16, async (d) => {
        if (d.attributed) {
          const held = await waitFor(ctx, d.disputeId, (v) => (v.posted ?? []).includes('funds_withdrawn'));
          if (!(held.posted ?? []).includes('funds_withdrawn')) closedBeforeWithdrawn.push(d.disputeId);
        }
        const closed = await sim(ctx, `disputes/${d.disputeId}/close`, { outcome: d.outcome });
        if (closed.status !== 200) problems.push(`${d.disputeId}: close answered ${closed.status}`);
      });
    },

    async finish(ctx) {
      // Until every attributed dispute shows its outcome and last step, for as long as some still move: a
      // fixed window was too short at 10,000 checkouts, where a backlog of events drains for minutes.
      const done = (d: (typeof opened)[number], v: DisputeView) =>
        v.status === d.outcome &&
        (v.posted ?? []).includes(d.outcome === 'won' ? 'funds_reinstated' : 'lost');
      // Only what is still open is read again, 4 at a time: reading all of them 16 at a time every second
      // held the webhook deliveries that close them behind the reads (none landed for 17 minutes).
      let open = attributed();
      await untilSettled(ctx, 'disputes', async () => {
        await ctx.system.psp.control.webhooksIdle(30_000).catch(() => undefined);
        const views = await poolMap(open, 4, (d) => view(ctx, d.disputeId));
        open = open.filter((d, i) => !done(d, views[i] as DisputeView));
        return open.length;
      });
    },

    async moneyOut(ctx) {
      if (!plan) return {};
      const out: Record<string, bigint> = {};
      // What a person still has to attribute left the PSP but not our books: the disputes row shows it.
      const waiting = new Set(unattributed().map((d) => d.disputeId));
      for (const d of (await pspMoneyBack(ctx, plan)).disputes) {
        if (waiting.has(d.id)) continue;
        for (const t of d.balance_transactions) {
          const c = t.currency.toUpperCase();
          out[c] = (out[c] ?? 0n) - BigInt(t.net);
        }
      }
      return out;
    },

    async invariants(ctx) {
      if (!plan) return [];
      const psp = new Map((await pspMoneyBack(ctx, plan)).disputes.map((d) => [d.id, d]));
      const wrong = [...problems];
      const sellers = new Set<string>();
      const outcomes = new Map<string, number>();
      const flagged = await attentionSubjects(ctx, 'money_back_unattributed');
      let leftToPerson = 0;
      for (const d of unattributed()) {
        const psd = psp.get(d.disputeId);
        for (const t of psd?.balance_transactions ?? []) leftToPerson -= t.net;
        const ours = await ctx.api.call('GET', `/v1/disputes/${d.disputeId}`);
        if (ours.status !== 404)
          wrong.push(`${d.disputeId} (shared charge): ours answered ${ours.status}, expected no record`);
        if (!flagged.has(d.disputeId))
          wrong.push(`${d.disputeId} (shared charge): no money_back_unattributed attention record`);
      }
      for (const d of attributed()) {
        sellers.add(d.order.seller_account);
        const v = await view(ctx, d.disputeId);
        tally(outcomes, v.status);
        const theirs = psp.get(d.disputeId);
        // The steps the PSP's own records imply (its balance transactions and status), and the plan's outcome.
        const implied = [
          ...((theirs?.balance_transactions ?? []).some((t) => t.amount < 0) ? ['funds_withdrawn'] : []),
          ...((theirs?.balance_transactions ?? []).some((t) => t.amount > 0) ? ['funds_reinstated'] : []),
          ...(theirs?.status === 'lost' ? ['lost'] : []),
        ];
        const expected =
          d.outcome === 'won' ? ['funds_withdrawn', 'funds_reinstated'] : ['funds_withdrawn', 'lost'];
        if (v.status !== theirs?.status)
          wrong.push(`${d.disputeId}: ours ${v.status}, PSP ${theirs?.status}`);
        if (JSON.stringify(v.posted ?? []) !== JSON.stringify(implied))
          wrong.push(
            `${d.disputeId}: steps ${(v.posted ?? []).join(',') || 'none'}, PSP implies ${implied.join(',')}`,
          );
        else if (JSON.stringify(implied) !== JSON.stringify(expected))
          wrong.push(`${d.disputeId} (planned ${d.outcome}): PSP steps ${implied.join(',')}`);
      }
      for (const seller of sellers) {
        const w = await ctx.api.call('GET', `/v1/sellers/${seller}/wallet`);
        for (const b of (w.body.balances ?? []) as Record<string, string>[])
          if (minorOf(b.dispute_held) !== 0)
            wrong.push(`${seller}: dispute_held ${b.dispute_held} after every dispute closed`);
      }
      return [
        row(
          'disputes: each closed won/lost with its steps once; dispute_held back to 0; a shared charge flagged',
          wrong.length === 0,
          `${opened.length} disputes (${opened.filter((d) => d.order.mode === 'hosted').length} on hosted pages; ${listed(outcomes)}) on ${sellers.size} sellers; ${unattributed().length} on a charge of several orders left to a person (${decimal(leftToPerson)} USD at the PSP, not posted); ${closedBeforeWithdrawn.length} closed by the bank before our withdrawal was posted; ${wrong.length} wrong`,
          wrong,
        ),
      ];
    },
  };
}

/** The subject ids of the attention records of one kind. */
async function attentionSubjects(ctx: ChaosContext, kind: string): Promise<Set<string>> {
  const found = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new ScanCommand({
        TableName: ctx.system.names.tables.attention ?? '',
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) if (item.kind === kind) found.add(String(item.subject_id));
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

// --- pay-outs ------------------------------------------------------------------------------------------

interface PayoutView {
  payout_id: string;
  seller_account: string;
  status: string;
  amount: string;
  bank_payout_id?: string;
}

const OPEN_PAYOUT = new Set(['CREATED', 'SUBMITTED']);

export function payoutsWorkload(): ChaosWorkload {
  let plan: ChaosPlan | undefined;
  const sellers = new Map<string, string>(); // seller -> Connect account
  const payouts = new Map<string, PayoutView>();
  const answers = new Map<string, number>();
  const problems: string[] = [];

  const get = async (ctx: ChaosContext, id: string) =>
    (await ctx.api.call('GET', `/v1/payouts/${id}`)).body as unknown as PayoutView;
  const rounds = new Map<string, number>();

  /** Registers the sellers (once), then asks for everything payable of each, under the round's own keys. */
  const round = async (ctx: ChaosContext, p: ChaosPlan, name: string) => {
    plan = p;
    const rng = seededRng(p.seed, `payout-requests-${name}`);
    const selling = new Set(p.checkouts.flatMap((c) => c.orders.map((o) => o.seller)));
    const planned = p.payouts.filter((s) => selling.has(s.seller));
    for (const s of planned) {
      if (sellers.has(s.seller)) continue;
      const account = `acct_chaos_${p.runId || 'run'}_${s.seller}`;
      const body = { destination: { provider: 'stripe_connect', account }, schedule: 'manual', hold_days: 0 };
      const put = await ctx.api.retried('PUT', `/v1/sellers/${s.seller}`, body, undefined, rng);
      if (put.status !== 200 && put.status !== 201)
        problems.push(`${s.seller}: PUT answered ${put.status} ${JSON.stringify(put.body.error ?? {})}`);
      else sellers.set(s.seller, account);
    }
    let created = 0;
    await pool(
      planned.filter((s) => sellers.has(s.seller)),
      8,
      async (s) => {
        const body = { seller_account: s.seller, currency: 'USD', all_payable: true };
        const key = `payout-${p.runId}-${name}-${s.seller}`;
        const sent = [ctx.api.post('/v1/payouts', body, key, rng)];
        for (let i = 0; i < s.duplicates; i++) sent.push(ctx.api.post('/v1/payouts', body, key, rng));
        if (s.rival) sent.push(ctx.api.post('/v1/payouts', body, `${key}-rival`, rng));
        const got = await Promise.all(sent);
        for (const a of got) {
          const code = (a.body.error as { code?: string } | undefined)?.code;
          tally(answers, `${a.status}${code ? ` ${code}` : ''}`);
          if (a.status === 201) {
            if (!payouts.has(String(a.body.payout_id))) created++;
            payouts.set(String(a.body.payout_id), a.body as unknown as PayoutView);
          } else if (a.status !== 422)
            problems.push(`${s.seller}: ${a.status} ${JSON.stringify(a.body).slice(0, 120)}`);
        }
        const ids = new Set(
          got.slice(0, 1 + s.duplicates).flatMap((a) => (a.status === 201 ? [String(a.body.payout_id)] : [])),
        );
        if (ids.size > 1) problems.push(`${s.seller}: one key, payouts ${[...ids].join(', ')}`);
      },
    );
    rounds.set(name, created);
    ctx.log(`[chaos] payouts ${name}: ${created} created for ${sellers.size} sellers`);
  };

  return {
    name: 'payouts',
    summary: () => ({
      sellers: sellers.size,
      created: payouts.size,
      racingPayins: rounds.get('racing-payins') ?? 0,
      racingRefunds: rounds.get('racing-refunds') ?? 0,
      paid: [...payouts.values()].filter((v) => v.status === 'PAID').length,
      requests: [...answers.values()].reduce((a, b) => a + b, 0),
    }),
    duringPayins: (ctx, p) => round(ctx, p, 'racing-payins'),
    run: (ctx, p) => round(ctx, p, 'racing-refunds'),
    async finish(ctx, p) {
      await round(ctx, p, 'settled');
      // The banks pay: each payout is settled at the simulator once it was submitted.
      const settled = new Set<string>();
      // Until every payout is closed, for as long as some still close (a lost bank event is found by the
      // sweep's lookup after the payouts' usual time, CHAOS_TIMING). A fixed 300 s left 740 of 2,000 open at
      // 10,000 checkouts. The sweep runs by the clock, as its schedule would: with thousands of payouts one
      // pass of reads takes longer than the sweep's interval, and a payout whose submit crashed moves only
      // by a sweep.
      let sweptAt = Date.now();
      await untilSettled(ctx, 'payouts', async () => {
        let open = 0;
        // Only what is still open is read again (16 at a time): this workload's banks only settle, so
        // nothing closed opens again.
        const stillOpen = [...payouts.values()]
          .filter((v) => OPEN_PAYOUT.has(v.status))
          .map((v) => v.payout_id);
        await pool(stillOpen, 16, async (id) => {
          const v = await get(ctx, id);
          payouts.set(id, v);
          if (!OPEN_PAYOUT.has(v.status)) return;
          open++;
          if (v.status === 'SUBMITTED' && v.bank_payout_id && !settled.has(v.bank_payout_id)) {
            settled.add(v.bank_payout_id);
            await sim(ctx, `payouts/${v.bank_payout_id}/settle`, {});
          }
        });
        if (open === 0) return 0;
        if (Date.now() - sweptAt >= 10_000) {
          sweptAt = Date.now();
          await ctx.system.runtime.runSchedule(PAYOUT_SWEEP).catch(() => undefined);
        }
        await ctx.system.psp.control.webhooksIdle(30_000).catch(() => undefined);
        return open;
      });
    },

    async invariants(ctx) {
      if (!plan) return [];
      // Every payout as it is now, not as the finish phase last read it: one paid since then is in the
      // ledger's paid_out, and would look like a mismatch.
      await pool([...payouts.keys()], 16, async (id) => {
        payouts.set(id, await get(ctx, id));
      });
      const stripe = stripeOf(ctx);
      const transfers = new Map<string, Stripe.Transfer[]>();
      const accounts = new Set(sellers.values());
      for await (const t of stripe.transfers.list({ limit: 100 })) {
        if (!accounts.has(String(t.destination))) continue;
        const group = t.transfer_group ?? `(none) ${t.id}`;
        transfers.set(group, [...(transfers.get(group) ?? []), t]);
      }
      const transferProblems: string[] = [];
      for (const [group, list] of transfers) {
        if (!payouts.has(group)) transferProblems.push(`${group}: a transfer with no payout of ours`);
        if (list.length > 1) transferProblems.push(`${group}: ${list.length} transfers`);
      }
      // The transfers just listed (the sellers' own): only those with a reversal are read again.
      const clawbacks = (await refundClawbacks(stripe, [...transfers.values()].flat())).byTransfer;
      const statuses = new Map<string, number>();
      const paidBySeller = new Map<string, number>();
      const transferredBySeller = new Map<string, number>();
      for (const v of payouts.values()) {
        tally(statuses, v.status);
        const list = transfers.get(v.payout_id) ?? [];
        if ((v.status === 'PAID' || v.status === 'SUBMITTED') && list.length !== 1)
          transferProblems.push(`${v.payout_id}: ${v.status} with ${list.length} transfers`);
        if (v.status === 'PAID')
          paidBySeller.set(v.seller_account, (paidBySeller.get(v.seller_account) ?? 0) + minorOf(v.amount));
        // Net of the reversals that gave a payout back, not of a refund's claw-back (a later refund's money).
        for (const t of list)
          transferredBySeller.set(
            v.seller_account,
            (transferredBySeller.get(v.seller_account) ?? 0) +
              t.amount -
              t.amount_reversed +
              (clawbacks.get(t.id) ?? 0),
          );
      }
      const walletProblems: string[] = [];
      let paidOut = 0;
      for (const seller of sellers.keys()) {
        const w = await ctx.api.call('GET', `/v1/sellers/${seller}/wallet`);
        const b = ((w.body.balances ?? []) as Record<string, string>[]).find((x) => x.currency === 'USD');
        const paid = paidBySeller.get(seller) ?? 0;
        paidOut += paid;
        if (!b) {
          if (paid) walletProblems.push(`${seller}: paid ${paid}, no wallet`);
          continue;
        }
        if (minorOf(b.paid_out) !== paid)
          walletProblems.push(`${seller}: paid_out ${b.paid_out}, PAID payouts ${decimal(paid)}`);
        if ((transferredBySeller.get(seller) ?? 0) !== paid)
          walletProblems.push(
            `${seller}: PSP transfers net ${transferredBySeller.get(seller) ?? 0}, PAID ${paid}`,
          );
        const inFlight = [...payouts.values()].some(
          (v) => v.seller_account === seller && OPEN_PAYOUT.has(v.status),
        );
        if (!inFlight && minorOf(b.reserved) !== 0)
          walletProblems.push(`${seller}: reserved ${b.reserved} with no payout in flight`);
        if (minorOf(b.available) < 0 || minorOf(b.reserved) < 0)
          walletProblems.push(`${seller}: overdrawn (available ${b.available}, reserved ${b.reserved})`);
        const balance = ctx.system.psp.control.connect.balance(sellers.get(seller) ?? '', 'usd');
        if (balance < 0) walletProblems.push(`${seller}: connected account balance ${balance}`);
      }
      const open = [...payouts.values()].filter((v) => OPEN_PAYOUT.has(v.status));
      return [
        row(
          'payouts: exactly one PSP transfer per payout (by transfer_group)',
          transferProblems.length === 0 && problems.length === 0,
          `${sellers.size} sellers, requests ${listed(answers)}; payouts ${listed(statuses)}; ${[...transfers.values()].flat().length} transfers`,
          [...problems, ...transferProblems],
        ),
        row(
          'payouts: paid_out = PAID payouts = PSP transfers; no hold left; nobody overdrawn',
          walletProblems.length === 0 && open.length === 0,
          `${decimal(paidOut)} USD paid out; ${open.length} still open`,
          [...walletProblems, ...open.map((v) => `${v.payout_id}: still ${v.status}`)],
        ),
      ];
    },
  };
}

// --- settlement ----------------------------------------------------------------------------------------

/**
 * The day's settlement at the end: the simulator writes its itemized payout reconciliation file into the
 * settlements bucket, the S3 notification runs reconcile-settlement, and its report (next to the file) must
 * have no unexplained break. Refund, dispute, transfer and payout-reversal rows are classified
 * `missing_internally` by the reconciler's fallback (lambdas/reconciliation/matchers/not-yet-recorded.ts: no
 * matcher for those categories yet): they are counted as info, not violations, until their matchers land.
 */
export function settlementWorkload(): ChaosWorkload {
  let rows = 0;
  let breaks = 0;
  return {
    name: 'settlement',
    summary: () => ({ rows, breaks }),
    async atEnd(ctx) {
      const { system } = ctx;
      const day = new Date(system.psp.control.now()).toISOString().slice(0, 10);
      const failedBefore = system.runtime.failedAsyncInvocations.length;
      const published = await system.psp.control.publishSettlement({ date: day });
      await system.runtime.settleBuckets();
      const bucket = system.names.buckets.settlements ?? '';
      const key = published.key.replace(/\.csv$/, '.reconciliation.json');
      const s3 = new S3Client({
        endpoint: system.endpoints.messaging,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        forcePathStyle: true,
      });
      let report: ReconciliationReport | undefined;
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        report = JSON.parse((await got.Body?.transformToString()) ?? '{}') as ReconciliationReport;
      } catch (error) {
        return [
          row(
            'settlement: the day reconciled, unexplained breaks = 0',
            false,
            `no report at ${key}: ${String(error)}`,
          ),
        ];
      } finally {
        s3.destroy();
      }
      const failed = system.runtime.failedAsyncInvocations.slice(failedBefore);
      const notYet = new Set(notYetRecordedMatcher.categories);
      // A dispute of a charge of several orders is ours to attribute (an open attention record): not posted.
      const withPerson = await attentionSubjects(ctx, 'money_back_unattributed');
      const info = new Map<string, number>();
      const unexplained: string[] = [];
      for (const b of report.breaks) {
        const view = b.row as { reporting_category?: string; source_id?: string } | undefined;
        const category = String(view?.reporting_category ?? '');
        if (b.class === 'missing_internally' && notYet.has(category)) tally(info, category);
        else if (b.class === 'missing_internally' && withPerson.has(String(view?.source_id)))
          tally(info, `${category} awaiting a person`);
        else unexplained.push(`${b.class}: ${String(b.detail ?? '')}`.slice(0, 200));
      }
      rows = report.rows;
      breaks = report.breaks.length;
      const classes = Object.entries(report.classes)
        .map(([c, v]) => `${c} ${v.count}`)
        .join(', ');
      const ledger = await verifyLedger({
        db: ctx.db,
        tables: { ledger: system.names.tables.ledger ?? '', wallets: system.names.tables.wallets ?? '' },
      });
      return [
        row(
          'settlement: the day reconciled, unexplained breaks = 0',
          unexplained.length === 0 && failed.length === 0,
          `${day}: ${report.rows} rows (${classes}); ${report.payouts.length} PSP payouts; explained (info): ${listed(info)}`,
          [
            ...unexplained,
            ...failed.map((f) => `reconcile-settlement failed: ${JSON.stringify(f).slice(0, 160)}`),
          ],
        ),
        row(
          'settlement: internal checks ok; the ledger still balances after the settlement postings',
          (report.internal?.ok ?? false) &&
            ledger.problems.length === 0 &&
            Object.values(ledger.totals).every((t) => t === 0n),
          `${report.settlements.length} settlement postings; ledger ${ledger.transactions} transactions, ${ledger.problems.length} problems`,
          [...(report.internal?.problems ?? []), ...ledger.problems],
        ),
      ];
    },
  };
}

/** The money workloads in the order they run: refunds, disputes, pay-outs of what is left, the settlement. */
export function moneyWorkloads(): ChaosWorkload[] {
  return [refundsWorkload(), disputesWorkload(), payoutsWorkload(), settlementWorkload()];
}
