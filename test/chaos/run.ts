/**
 * The chaos run: drives a planned workload (test/chaos/plan.ts) through the whole local system — the storefront
 * API, the pay-in workflow, the PSP simulator's webhooks, the sweeper — while the PSP, its webhooks and DynamoDB
 * misbehave and functions crash at seeded points (sandbox/crash-injection.ts), then stops the faults, sweeps
 * until nothing can move any more, and checks DESIGN.md §8 (test/chaos/invariants.ts). Used by
 * `npm run chaos` (bench/chaos.ts) and by the short run in `npm test`.
 *
 * Workloads are pluggable (`ChaosWorkload`): the pay-in is built in; refunds, disputes, pay-outs and
 * settlement are workloads that race the pay-ins and each other under the same faults, then finish once the
 * faults stop, and add their own invariants.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, s3Client, sfnClient, snsClient, sqsClient } from '../../lambdas/shared/aws-clients';
import { manifest } from '../../lib/manifest';
import { installCrashInjection } from '../../sandbox/crash-injection';
import { installDynamoFaults } from '../../sandbox/dynamodb-faults';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../sandbox/local-system';
import { seededRng } from '../../sandbox/psp/random';
import { type CheckRow, checkInvariants, type RunFacts, WAITING_ON_BUYER } from './invariants';
import {
  BuyerStep,
  CancelAt,
  type ChaosPlan,
  type FaultRates,
  PayMode,
  type PlannedCheckout,
  planChaos,
  type WorkloadRates,
} from './plan';

/** How the local settings are shortened for a chaos run (set before the system starts; see `chaosEnvironment`). */
export const CHAOS_TIMING = {
  executingTimeoutMs: 3_000,
  pendingRecheckMs: 3_000,
  /** The longest wait between looks at an order waiting on 3-D Secure (2 h on AWS). */
  pendingRecheckMaxMs: 30_000,
  pspTimeoutMs: 1_000,
  /** The PSP circuit's cool-down: the faults open it during a run; the run waits this out at its end. */
  circuitCoolDownMs: 3_000,
  /**
   * A payout's "provider's usual time" (days on AWS): after it the workflow and the sweeper look the payout up
   * at the provider, which is how a lost `payout.paid` / `transfer.*` event is recovered. Days would leave such
   * a payout SUBMITTED past the end of the run.
   */
  payoutAwaitSeconds: 60,
  /** When the sweeper looks again at a payout left without an answer (a crashed submit): 24 h on AWS. */
  payoutRecheckMs: 20_000,
  /**
   * When the sweeper first looks at a new payout (10 min on AWS): a submit that crashed before it wrote what
   * the provider did is found then, so a payout created at the end of the run is not left CREATED.
   */
  payoutFirstCheckMs: 20_000,
  /**
   * How long a claim on a payout holds once its holder died without releasing it (15 min on AWS): a submit
   * that crashed after the transfer leaves the payout CREATED until it lapses (a short run once left one
   * CREATED past the finish with its transfer at the PSP).
   */
  payoutLeaseMs: 30_000,
  /** The webhook consumer's retry backoff base (5 s on AWS). */
  webhookRetryBaseSeconds: 1,
};

/**
 * Variables to set before `startLocalSystem`: short deadlines so the sweeper races the workflows during the
 * run and finishes what is left after it. `PSP_TIMEOUT_MS` is declared in the manifest (the runtime sets it
 * on start), so it is set again after the start by `runChaos`.
 */
export function chaosEnvironment(): Record<string, string> {
  return {
    PAYIN_EXECUTING_TIMEOUT_MS: String(CHAOS_TIMING.executingTimeoutMs),
    PAYIN_PENDING_RECHECK_MS: String(CHAOS_TIMING.pendingRecheckMs),
    PAYIN_PENDING_RECHECK_MAX_MS: String(CHAOS_TIMING.pendingRecheckMaxMs),
    // A webhook event that failed to apply comes back after a full-jitter backoff of 5 s x 2^(tries - 1)
    // (up to 900 s): under the run's faults a few failures in a row put a dispute's event minutes away.
    WEBHOOK_RETRY_BASE_SECONDS: String(CHAOS_TIMING.webhookRetryBaseSeconds),
  };
}

export interface ChaosContext {
  readonly system: LocalSystem;
  readonly db: DynamoDBDocumentClient;
  readonly api: ApiClient;
  readonly log: (line: string) => void;
}

/**
 * A workload beside the pay-in, checking its own invariants. Its phases, all but `finish` under the faults:
 * `duringPayins` while half the checkouts are still to be driven, `run` once every checkout was driven (every
 * workload's `run` at the same time: pay-outs race refunds and disputes), `finish` once the faults stopped and
 * the pay-ins settled (one workload after the other).
 */
export interface ChaosWorkload {
  readonly name: string;
  duringPayins?(ctx: ChaosContext, plan: ChaosPlan): Promise<void>;
  run?(ctx: ChaosContext, plan: ChaosPlan): Promise<void>;
  /** Waits for what the workload started to land (pending refunds, open payouts), faults off. */
  finish?(ctx: ChaosContext, plan: ChaosPlan): Promise<void>;
  /** Money that left the system through this workload, per currency (minor units), for conservation. */
  moneyOut?(ctx: ChaosContext): Promise<Record<string, bigint>>;
  invariants?(ctx: ChaosContext): Promise<CheckRow[]>;
  /**
   * Runs after every check above and answers its own rows: the settlement run, which moves psp_receivable into
   * platform cash (the money row reads psp_receivable, so it is checked first).
   */
  atEnd?(ctx: ChaosContext, plan: ChaosPlan): Promise<CheckRow[]>;
  /** What it did, in counts (in the report: a run whose workloads did nothing proves nothing). */
  summary?(): Record<string, number>;
}

export interface ChaosOptions {
  readonly system: LocalSystem;
  /** The storefront API key the system was started with. */
  readonly apiKey: string;
  readonly checkouts: number;
  readonly seed: string | number;
  readonly concurrency?: number;
  readonly faults?: Partial<FaultRates>;
  /** Fractions of cancels, refunds, disputes and pay-out races in the plan (test/chaos/plan.ts defaults). */
  readonly rates?: Partial<WorkloadRates>;
  /** No duplicate or re-keyed requests (a cost run measures what one payment takes). */
  readonly clean?: boolean;
  readonly workloads?: readonly ChaosWorkload[];
  readonly log?: (line: string) => void;
  /** Called when the workload has settled, before the checks read every table (metering stops here). */
  readonly beforeChecks?: () => void;
  /** Print progress every this many checkouts. */
  readonly progressEvery?: number;
}

export interface ChaosReport {
  readonly plan: { seed: string; checkouts: number; orders: number; byMode: Record<string, number> };
  readonly facts: RunFacts;
  readonly checks: readonly CheckRow[];
  /** Per workload, what it did (`ChaosWorkload.summary`); `cancels` for the cancels the driver sent. */
  readonly workloads: Record<string, Record<string, number>>;
  readonly ok: boolean;
  readonly durationMs: number;
}

const SWEEP_SCHEDULE = 'sweep-payment-orders-every-minute';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- the storefront's side -----------------------------------------------------------------------------

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export class ApiClient {
  readonly statuses = new Map<string, number>();

  constructor(
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private count(what: string): void {
    this.statuses.set(what, (this.statuses.get(what) ?? 0) + 1);
  }

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    // `POST payments 201`, `POST payments/refunds 422 amount_exceeds_refundable`, `POST checkouts/cancel 200`.
    const [, , resource, , action] = path.split('?')[0]?.split('/') ?? [];
    const what = action ? `${resource}/${action}` : resource;
    let response: Response | undefined;
    // A read is asked again at once when it got no answer; a write is retried by `retried` under its key.
    for (let attempt = 1; !response; attempt++) {
      try {
        response = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-api-key': this.apiKey, ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        // No answer at all (the connection closed under load): counted.
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        this.count(`${method} ${what} no answer (${cause?.code ?? cause?.message ?? String(error)})`);
        if (method !== 'GET' || attempt >= 10)
          throw new NoAnswerError(`${method} ${what}: ${String(error)} (${cause?.message ?? 'no cause'})`);
        await sleep(200 * attempt);
      }
    }
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { unparsable: text.slice(0, 200) };
    }
    const code = (parsed.error as { code?: string } | undefined)?.code;
    this.count(`${method} ${what} ${response.status}${code ? ` ${code}` : ''}`);
    return { status: response.status, body: parsed };
  }

  /**
   * POSTs a checkout as a careful storefront does: retries with the same Idempotency-Key on 409
   * request_in_progress, 429 and 5xx with capped backoff and jitter, for up to `RETRY_BUDGET_MS`.
   */
  async submit(body: unknown, key: string, rng: () => number): Promise<ApiAnswer> {
    return this.post('/v1/payments', body, key, rng);
  }

  /**
   * Any POST, retried as `submit` retries (same key; 409 request_in_progress, 429, 5xx). The budget is a
   * time, not a count: a duplicate that races a slow first request must outlast that request (the API's
   * own timeout, after which its claim on the key lapses), or it would give up on an answer that is coming.
   */
  async post(path: string, body: unknown, key: string | undefined, rng: () => number): Promise<ApiAnswer> {
    return this.retried('POST', path, body, key, rng);
  }

  /** Any request, retried as `post` retries (a PUT is idempotent by itself: no key). */
  async retried(
    method: string,
    path: string,
    body: unknown,
    key: string | undefined,
    rng: () => number,
  ): Promise<ApiAnswer> {
    const deadline = Date.now() + RETRY_BUDGET_MS;
    let last: ApiAnswer = { status: 0, body: {} };
    for (let attempt = 0; ; attempt++) {
      try {
        last = await this.call(method, path, body, key ? { 'Idempotency-Key': key } : {});
      } catch (error) {
        // A storefront retries a request that got no answer, under the same key.
        if (!(error instanceof NoAnswerError) || Date.now() >= deadline) throw error;
        await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + rng()));
        continue;
      }
      const retriable = last.status === 409 || last.status === 429 || last.status >= 500;
      const code = (last.body.error as { code?: string } | undefined)?.code;
      if (!retriable || (last.status === 409 && code !== 'request_in_progress')) return last;
      if (Date.now() >= deadline) return last;
      await sleep(Math.min(2_000, 50 * 2 ** attempt) * (0.5 + rng()));
    }
  }
}

class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError';
}

/** How long a client keeps retrying one request: beyond the API functions' 29 s timeout and claim. */
const RETRY_BUDGET_MS = 60_000;

function checkoutBody(c: PlannedCheckout): Record<string, unknown> {
  return {
    checkout_id: c.checkoutId,
    buyer_info: { buyer_id: c.buyerId, email: `${c.buyerId}@example.com` },
    ...(c.paymentMethod ? { credit_card_info: c.paymentMethod } : {}),
    payment_orders: c.orders.map((o) => ({
      payment_order_id: o.paymentOrderId,
      seller_account: o.seller,
      amount: (o.amountMinor / 100).toFixed(2),
      currency: 'USD',
    })),
  };
}

async function orderItem(db: DynamoDBDocumentClient, table: string, orderId: string) {
  const got = await db.send(
    new GetCommand({ TableName: table, Key: { pk: `ORDER#${orderId}`, sk: 'META' }, ConsistentRead: true }),
  );
  return got.Item as { status: string; psp_reference?: string; pending_reason?: string } | undefined;
}

/** Waits for an order to need the buyer (3-D Secure) or to end; answers its PSP reference if it waits. */
async function waitForChallenge(ctx: ChaosContext, orderId: string): Promise<string | undefined> {
  const table = ctx.system.names.tables.payments ?? '';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const order = await orderItem(ctx.db, table, orderId);
    if (order?.status === 'SUCCESS' || order?.status === 'FAILED') return undefined;
    if (order?.status === 'PENDING' && order.pending_reason === 'requires_action' && order.psp_reference)
      return order.psp_reference;
    await sleep(150);
  }
  return undefined;
}

/** The storefront cancels a checkout (retrying as it retries a submission); the answer is kept for the checks. */
async function cancelCheckout(ctx: ChaosContext, c: PlannedCheckout, facts: RunFacts, rng: () => number) {
  const answer = await ctx.api.post(
    `/v1/checkouts/${c.checkoutId}/cancel`,
    {},
    `cancel-${c.checkoutId}`,
    rng,
  );
  const orders = (answer.body.payment_orders ?? []) as { payment_order_id: string; status: string }[];
  facts.cancels[c.checkoutId] = {
    at: c.cancel ?? '',
    status: answer.status,
    orders: Object.fromEntries(orders.map((o) => [o.payment_order_id, o.status])),
  };
}

const HOSTED_CARDS = { [BuyerStep.Complete]: '4242 4242 4242 4242', [BuyerStep.Fail]: '4000 0000 0000 0002' };

async function driveCheckout(
  ctx: ChaosContext,
  c: PlannedCheckout,
  facts: RunFacts,
  rng: () => number,
): Promise<void> {
  const body = checkoutBody(c);
  const key = `idem-${c.checkoutId}`;
  const copies = [ctx.api.submit(body, key, rng)];
  for (let i = 0; i < c.duplicates; i++) copies.push(ctx.api.submit(body, key, rng));
  if (c.rekeyed) copies.push(ctx.api.submit(body, `${key}-again`, rng));
  const answers = await Promise.all(copies);
  facts.duplicatesSent += copies.length - 1;
  const accepted = answers.filter((a) => a.status === 200 || a.status === 201);
  if (accepted.length === 0) {
    facts.submitsGivenUp.push(
      `${c.checkoutId}: ${answers.map((a) => `${a.status} ${JSON.stringify(a.body.error ?? {})}`).join('; ')}`,
    );
    return;
  }
  // Every accepted copy names the same checkout and orders.
  const ids = new Set(accepted.map((a) => String(a.body.checkout_id)));
  if (ids.size !== 1 || !ids.has(c.checkoutId)) facts.duplicateMismatches.push(c.checkoutId);
  const first = accepted[0]?.body ?? {};
  // Half of the cancels during 3-D Secure or on the page race the buyer; the others come before the buyer acts.
  const racing = c.index % 2 === 0;
  const count = (what: string) => {
    facts.buyerActions[what] = (facts.buyerActions[what] ?? 0) + 1;
  };

  if (c.cancel === CancelAt.AfterSubmit) await cancelCheckout(ctx, c, facts, rng);

  if (c.mode === PayMode.ThreeDs && c.cancel === CancelAt.During3ds) {
    const pi = c.orders[0] ? await waitForChallenge(ctx, c.orders[0].paymentOrderId) : undefined;
    const buyer =
      racing && pi && c.buyerStep !== BuyerStep.Abandon
        ? authenticate(ctx, pi, c.buyerStep === BuyerStep.Complete ? 'succeed' : 'fail').then(count)
        : Promise.resolve();
    await Promise.all([cancelCheckout(ctx, c, facts, rng), buyer]);
  } else if (c.mode === PayMode.ThreeDs && c.buyerStep !== BuyerStep.Abandon) {
    for (const order of c.orders) {
      const pi = await waitForChallenge(ctx, order.paymentOrderId);
      if (!pi) continue;
      count(await authenticate(ctx, pi, c.buyerStep === BuyerStep.Complete ? 'succeed' : 'fail'));
    }
  }
  if (c.mode === PayMode.Hosted && c.cancel === CancelAt.PageOpen && !racing) {
    await cancelCheckout(ctx, c, facts, rng);
  }
  if (c.mode === PayMode.Hosted && c.buyerStep !== BuyerStep.Abandon) {
    const url = String(first.payment_page_url ?? '');
    if (!url) {
      count('hosted: no page url');
      return;
    }
    const pay = payOnPage(url, c).then(count);
    if (c.cancel === CancelAt.PageOpen && racing)
      await Promise.all([cancelCheckout(ctx, c, facts, rng), pay]);
    else await pay;
  } else if (c.mode === PayMode.Hosted && c.cancel === CancelAt.PageOpen && racing) {
    await cancelCheckout(ctx, c, facts, rng);
  }
}

/** The buyer's bank page answers 3-D Secure (through the simulator's control API). */
async function authenticate(ctx: ChaosContext, pi: string, outcome: 'succeed' | 'fail'): Promise<string> {
  const answer = await fetch(`${ctx.system.endpoints.psp}/_sim/payment_intents/${pi}/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome }),
  });
  await answer.text();
  return `3ds ${outcome} ${answer.status}`;
}

/** The buyer pays (or is declined) on the hosted page. */
async function payOnPage(url: string, c: PlannedCheckout): Promise<string> {
  {
    const step = c.buyerStep === BuyerStep.Fail ? BuyerStep.Fail : BuyerStep.Complete;
    const paid = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        email: `${c.buyerId}@example.com`,
        cardNumber: HOSTED_CARDS[step],
        cardExpiry: '12 / 34',
        cardCvc: '123',
      }),
      redirect: 'manual',
    });
    await paid.text();
    return `hosted ${step} ${paid.status}${c.cancel ? ' (canceled checkout)' : ''}`;
  }
}

// --- the run -------------------------------------------------------------------------------------------

function harnessDocumentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

const LOSABLE_EVENTS = ['payment_intent.*', 'checkout.session.*', 'refund.*', 'charge.refunded', 'payout.*'];

function pspFaultRules(faults: FaultRates) {
  return [
    // 5xx before the PSP does anything (nothing stored for the key: a retry executes).
    { kind: 'error', route: '*', status: 500, probability: faults.pspError / 2 },
    { kind: 'error', route: '*', status: 503, probability: faults.pspError / 2 },
    { kind: 'rate_limit', route: '*', probability: faults.pspRateLimit },
    // The PSP committed, the answer is lost.
    { kind: 'drop', route: 'POST *', probability: faults.pspDrop },
    // The PSP committed, the answer comes after our client gave up (PSP_TIMEOUT_MS).
    {
      kind: 'latency',
      route: 'POST *',
      delayMs: CHAOS_TIMING.pspTimeoutMs + 500,
      probability: faults.pspSlow,
    },
    { kind: 'duplicate', eventType: '*', copies: 2, probability: faults.webhookDuplicate },
    { kind: 'reorder', eventType: '*', delayMs: 400, probability: faults.webhookReorder },
    { kind: 'delay', eventType: '*', delayMs: 2_000, probability: faults.webhookDelay },
    // Lost for good, so only where something looks again: the pay-in sweeper, the refund and pay-out sweeps.
    // Dispute events have no such path yet (nothing lists the PSP's events): they are not lost.
    ...LOSABLE_EVENTS.map((eventType) => ({
      kind: 'loss' as const,
      eventType,
      probability: faults.webhookLoss,
    })),
  ] as const;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const { system } = options;
  const plan: ChaosPlan = planChaos({
    checkouts: options.checkouts,
    seed: options.seed,
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.clean ? { clean: true } : {}),
    ...(options.rates ? { workloads: options.rates } : {}),
    runId: started.toString(36),
  });
  // The manifest's PSP timeouts and circuit settings are set by the runtime on start; the functions build
  // their PSP clients and the circuit lazily. The charge path (the workflow's step, the sweeper's workers) has
  // its own timeout: shortened too, so a slow answer does come after our client gave up there as well.
  process.env.PSP_TIMEOUT_MS = String(CHAOS_TIMING.pspTimeoutMs);
  process.env.PSP_CHARGE_TIMEOUT_MS = String(CHAOS_TIMING.pspTimeoutMs);
  process.env.PSP_CIRCUIT_COOL_DOWN_MS = String(CHAOS_TIMING.circuitCoolDownMs);
  // The payouts' usual time and recheck too (read at each workflow start and each run of the executor).
  process.env.PAYOUT_AWAIT_SECONDS_STRIPE_CONNECT = String(CHAOS_TIMING.payoutAwaitSeconds);
  process.env.PAYOUT_AWAIT_SECONDS_PAYEE_NETWORK = String(CHAOS_TIMING.payoutAwaitSeconds);
  process.env.PAYOUT_RECHECK_MS = String(CHAOS_TIMING.payoutRecheckMs);
  process.env.PAYOUT_LEASE_MS = String(CHAOS_TIMING.payoutLeaseMs);
  process.env.PAYOUT_FIRST_CHECK_MS = String(CHAOS_TIMING.payoutFirstCheckMs);
  const db = harnessDocumentClient(system.endpoints.dynamodb);
  const api = new ApiClient(system.endpoints.api, options.apiKey);
  const ctx: ChaosContext = { system, db, api, log };
  const facts: RunFacts = {
    duplicatesSent: 0,
    duplicateMismatches: [],
    submitsGivenUp: [],
    buyerActions: {},
    sweeps: 0,
    sweepErrors: 0,
    dynamo: { throttled: 0, conflicts: 0, calls: 0 },
    crashes: { afterPsp: {}, afterStep: {}, midBatch: {}, afterDeath: {} },
    pspFaults: {},
    apiStatuses: {},
    cancels: {},
  };

  // Faults: the functions' DynamoDB client (one per container, shared in this process) and the PSP.
  const dynamoFaults = installDynamoFaults(documentClient(), {
    seed: plan.seed,
    throttle: plan.faults.dynamoThrottle,
    transactionConflict: plan.faults.dynamoConflict,
  });
  for (const rule of pspFaultRules(plan.faults)) {
    if ((rule.probability ?? 0) > 0) system.psp.control.addFault({ ...rule });
  }
  // Crashes: every workflow step's function, every table stream's consumer, the code's crash points.
  const crashes = installCrashInjection(system.runtime.host, {
    seed: plan.seed,
    afterPsp: plan.faults.crashAfterPsp,
    afterPspAt: {
      'payout.advanced': plan.faults.crashAfterPayout,
      'refund.created': plan.faults.crashAfterApi,
      'payout.requested': plan.faults.crashAfterApi,
    },
    afterStep: plan.faults.crashAfterStep,
    stepFunctions: [
      ...new Set(manifest.stateMachines.flatMap((m) => Object.values(m.functionSubstitutions))),
    ],
    midBatch: plan.faults.crashMidBatch,
    batchFunctions: [...new Set(manifest.tableStreamEventSources.map((s) => s.function))],
    awsClients: [documentClient(), sqsClient(), snsClient(), s3Client(), sfnClient()],
  });
  facts.crashes = crashes.stats;
  const workloads = options.workloads ?? [];
  const timed = async (workload: ChaosWorkload, phase: 'duringPayins' | 'run' | 'finish') => {
    const began = Date.now();
    await workload[phase]?.(ctx, plan);
    log(`[chaos] workload ${workload.name} ${phase} done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  };

  // The sweeper races the workflows during the run, as its schedule would.
  let sweeping = true;
  const sweeper = (async () => {
    while (sweeping) {
      await sleep(2_000);
      if (!sweeping) break;
      await system.runtime.runSchedule(SWEEP_SCHEDULE).then(
        () => facts.sweeps++,
        () => facts.sweepErrors++,
      );
    }
  })();

  const workers = Math.max(1, options.concurrency ?? 12);
  let next = 0;
  let done = 0;
  const every = options.progressEvery ?? Math.max(10, Math.floor(plan.checkouts.length / 20));
  // Half-way through the pay-ins, the workloads that race them start (pay-outs of what is payable so far).
  const half = Math.ceil(plan.checkouts.length / 2);
  let racing: Promise<PromiseSettledResult<void>[]> = Promise.resolve([]);
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const rng = seededRng(plan.seed, `worker-${w}`);
      for (;;) {
        const c = plan.checkouts[next++];
        if (!c) return;
        try {
          await driveCheckout(ctx, c, facts, rng);
        } catch (error) {
          facts.submitsGivenUp.push(`${c.checkoutId}: ${String(error)}`);
        }
        done++;
        if (done === half) {
          log(`[chaos] ${done} checkouts driven: starting the workloads that race the pay-ins`);
          // Settled at once (awaited after the drivers): a failure must not be an unhandled rejection.
          racing = Promise.allSettled(workloads.map((w) => timed(w, 'duringPayins')));
        }
        if (done % every === 0) {
          const rate = (done / ((Date.now() - started) / 1000)).toFixed(1);
          log(`[chaos] ${done}/${plan.checkouts.length} checkouts driven (${rate}/s)`);
        }
      }
    }),
  );

  throwFirstFailure(await racing);
  // Refunds, disputes and pay-outs at once, still under the faults, while the last pay-ins land.
  log('[chaos] pay-ins driven; refunds, disputes and pay-outs under the faults');
  throwFirstFailure(await Promise.allSettled(workloads.map((w) => timed(w, 'run'))));

  // The faults stop; what is in flight lands; the sweeper finishes what is left.
  log('[chaos] workloads done; stopping faults, letting deliveries land, sweeping');
  sweeping = false;
  await sweeper;
  facts.pspFaults = Object.fromEntries(
    system.psp.control.listFaults().map((f) => [`${f.rule.kind} ${describeRule(f.rule)}`, f.fired]),
  );
  system.psp.control.clearFaults();
  dynamoFaults.disable();
  crashes.disable();
  facts.dynamo = { ...dynamoFaults.stats };
  await payinsIdle(system);
  await system.psp.control.webhooksIdle(120_000).catch(() => undefined);
  await settle(ctx, plan, facts);
  // A storefront retries a cancel it got no answer to (8 tries met PSP faults throughout): again, faults off.
  const unanswered = plan.checkouts.filter((c) => {
    const cancel = facts.cancels[c.checkoutId];
    return cancel && cancel.status !== 200 && cancel.status !== 404;
  });
  if (unanswered.length) {
    log(`[chaos] ${unanswered.length} cancels unanswered under faults: sending them again`);
    const rng = seededRng(plan.seed, 'cancel-retries');
    for (const c of unanswered) {
      const first = facts.cancels[c.checkoutId]?.status ?? 0;
      await cancelCheckout(ctx, c, facts, rng);
      const cancel = facts.cancels[c.checkoutId];
      if (cancel) facts.cancels[c.checkoutId] = { ...cancel, retriedAfter: first };
    }
    await settle(ctx, plan, facts);
  }

  for (const workload of workloads) await timed(workload, 'finish');
  // What the last finish set off (its events, their fan-out) lands before the checks read every table.
  await system.psp.control.webhooksIdle(120_000).catch(() => undefined);
  await drainQueues(ctx);

  facts.apiStatuses = Object.fromEntries([...api.statuses].sort());
  options.beforeChecks?.();
  const checks = await checkInvariants(ctx, plan, facts, options.workloads ?? []);
  for (const workload of options.workloads ?? [])
    if (workload.atEnd) checks.push(...(await workload.atEnd(ctx, plan)));
  dynamoFaults.remove();
  crashes.remove();
  db.destroy();
  const byMode: Record<string, number> = {};
  for (const c of plan.checkouts) byMode[c.mode] = (byMode[c.mode] ?? 0) + 1;
  return {
    plan: {
      seed: plan.seed,
      checkouts: plan.checkouts.length,
      orders: plan.checkouts.reduce((n, c) => n + c.orders.length, 0),
      byMode,
    },
    facts,
    checks,
    workloads: {
      cancels: { sent: Object.keys(facts.cancels).length },
      ...Object.fromEntries((options.workloads ?? []).map((w) => [w.name, w.summary?.() ?? {}])),
    },
    ok: checks.every((c) => c.ok),
    durationMs: Date.now() - started,
  };
}

/**
 * Waits until no pay-in workflow runs. Not every workflow: a pay-out's waits on its bank (a task token, days),
 * and the banks pay only in the pay-out workload's `finish`.
 */
async function payinsIdle(system: LocalSystem): Promise<void> {
  const sfn = system.runtime.stepFunctions;
  for (;;) {
    const running = sfn.listExecutions(sfn.arnOf('pay-in'), 'RUNNING');
    if (running.length === 0) return;
    await Promise.allSettled(running.map((e) => e.done));
  }
}

function throwFirstFailure(results: readonly PromiseSettledResult<unknown>[]): void {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function describeRule(rule: { route?: string; eventType?: string; status?: number }): string {
  return [rule.route ?? rule.eventType ?? '', rule.status ?? ''].filter(Boolean).join(' ');
}

/**
 * Sweeps (deadline by deadline) until no order is left that a sweep could still move. The scheduled sweeper
 * only fans out (one message per due-index shard); the shard workers do the sweeping from the sweep-shards
 * queue, so each round waits for that queue to empty and then reads the orders themselves. Done when every
 * order is terminal, or waits on its buyer AND a sweep has looked at it since the faults stopped (it was due
 * when a round dispatched, or its deadline moved since the first round): a buyer who did pay while the
 * webhook was lost is found by that look.
 */
async function settle(ctx: ChaosContext, plan: ChaosPlan, facts: RunFacts): Promise<void> {
  const { system } = ctx;
  const table = system.names.tables.payments ?? '';
  const orderIds = plan.checkouts.flatMap((c) => c.orders.map((o) => o.paymentOrderId));
  // In batches of 100 (BatchGetItem's limit): one GetItem per order, twice a round, did not scale to a
  // 10,000-checkout run (18,000 orders read one by one on a busy DynamoDB Local took longer than the run).
  const openOrders = async () => {
    const open = new Map<string, { status: string; pending_reason?: string; deadline?: string }>();
    for (let i = 0; i < orderIds.length; i += 100) {
      let keys: Record<string, unknown>[] = orderIds
        .slice(i, i + 100)
        .map((id) => ({ pk: `ORDER#${id}`, sk: 'META' }));
      while (keys.length) {
        const got = await ctx.db.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of got.Responses?.[table] ?? []) {
          const order = item as { payment_order_id: string; status: string };
          if (order.status !== 'SUCCESS' && order.status !== 'FAILED')
            open.set(order.payment_order_id, order);
        }
        keys = (got.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return open;
  };
  const looked = new Set<string>();
  // Each open order's deadline when the sweeping began (the faults had stopped). A deadline pushed since is a
  // look since: with the faults off, only a sweep that read the PSP (the sweeper pushes nothing while the
  // circuit is open) or an event the PSP sent moves the deadline of an order that keeps waiting. Counting
  // only orders due when a round dispatched missed the orders a busy sweep reaches late in every round:
  // looked at, yet never due at a dispatch (a 10,000 run spent its rounds on 173 such orders).
  let startDeadlines: Map<string, string | undefined> | undefined;
  // Enough rounds to outlast the circuit's cool-down and a probe, with the deadlines' jitter on top.
  for (let round = 0; round < 20; round++) {
    await sleep(Math.max(CHAOS_TIMING.executingTimeoutMs, CHAOS_TIMING.pendingRecheckMs) + 300);
    const before = await openOrders();
    startDeadlines ??= new Map([...before].map(([id, order]) => [id, order.deadline]));
    const dispatchedAt = Date.now();
    const dispatched = (await system.runtime.runSchedule(SWEEP_SCHEDULE)) as { shards: number };
    facts.sweeps++;
    // A shard message that failed during the run stays invisible for its visibility timeout: bounded wait.
    await drainQueues(ctx, { only: ['sweep-shards'], maxMs: 15_000 });
    await payinsIdle(system);
    await system.psp.control.webhooksIdle(60_000).catch(() => undefined);
    const after = await openOrders();
    for (const [id, order] of before) {
      if (Date.parse(order.deadline ?? '') <= dispatchedAt) looked.add(id);
    }
    for (const [id, order] of after) {
      if (startDeadlines.has(id) && order.deadline !== startDeadlines.get(id)) looked.add(id);
    }
    const movable: string[] = [];
    const unlooked: string[] = [];
    for (const [id, order] of after) {
      const what = `${id} ${order.status}${order.pending_reason ? ` (${order.pending_reason})` : ''}`;
      if (order.status !== 'PENDING' || !WAITING_ON_BUYER.has(order.pending_reason ?? '')) movable.push(what);
      else if (!looked.has(id)) unlooked.push(what);
    }
    ctx.log(
      `[chaos] sweep ${round + 1}: ${dispatched.shards} shards swept; ${movable.length} orders a sweep can still move, ${unlooked.length} waiting on a buyer not yet looked at${movable.length ? `: ${movable.slice(0, 5).join(', ')}` : ''}`,
    );
    if (movable.length === 0 && unlooked.length === 0) break;
  }
  // Every other consumed queue (webhook events, fan-out): a shard sweep left now has nothing to move.
  await drainQueues(ctx, {
    only: manifest.queueEventSources.map((s) => s.queue).filter((q) => q !== 'sweep-shards'),
  });
}

/** Waits until the consumed queues (or `only` these) have nothing visible or in flight (every message handled). */
async function drainQueues(
  ctx: ChaosContext,
  options: { only?: readonly string[]; maxMs?: number } = {},
): Promise<void> {
  const { only, maxMs = 120_000 } = options;
  const sqs = new SQSClient({
    endpoint: ctx.system.endpoints.messaging,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    // The queues a function consumes (dead-letter and on-failure queues are read by the checks).
    const consumed = new Set(only ?? manifest.queueEventSources.map((s) => s.queue));
    const queues = Object.entries(ctx.system.names.queues).filter(([id]) => consumed.has(id));
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline) {
      let busy = 0;
      for (const [, q] of queues) {
        const a = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: q.url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        busy +=
          Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
          Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      }
      if (busy === 0) return;
      await sleep(250);
    }
  } finally {
    sqs.destroy();
  }
}
