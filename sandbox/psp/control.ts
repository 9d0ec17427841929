/**
 * The simulator's control surface, for tests and the local runtime: the same operations in-process (this
 * class) and over HTTP under `/_sim/...` (`handleControlRequest`). Nothing here speaks Stripe's API; these
 * are the knobs Stripe's dashboard and test helpers would be.
 */
import { AccessRuleError, type ApiAccess, type RateLimitRule } from './access';
import type { SimClock } from './clock';
import { type ConnectPayouts, connectPayoutsOf } from './connect-payouts';
import type { DestinationMode, PspEngine } from './engine';
import { StripeApiError } from './errors';
import { type FaultInjector, type FaultRule, FaultRuleError } from './faults';
import type { HoldGate } from './gate';
import type { MoneyBack } from './money-back';
import { handleMoneyBackControl } from './money-back-control';
import type { PaymentIntent, StripeEvent, Transfer } from './objects';
import type { PayeeNetwork } from './payee-network';
import type {
  PublishedSettlement,
  SettlementOptions,
  SettlementReport,
  SettlementService,
} from './settlement';
import type { DeliveryRecord, WebhookDispatcher, WebhookEndpoint, WebhookEndpointConfig } from './webhooks';

export class PspControl {
  /** Refund lifecycles, disputes, connected balances (set by the simulator's assembly). */
  moneyBack?: MoneyBack;
  /** The asynchronous payout provider (payee-network.ts), set by the simulator's assembly. */
  payees?: PayeeNetwork;
  /** Secret keys and rate limits (set by the simulator's assembly). */
  access?: ApiAccess;

  constructor(
    private readonly engine: PspEngine,
    private readonly clock: SimClock,
    private readonly faults: FaultInjector,
    private readonly gate: HoldGate,
    private readonly webhooks: WebhookDispatcher,
    private readonly settlement: SettlementService,
  ) {}

  /** Connected accounts' bank payouts: outcomes, settle, return, bank account updates. */
  get connect(): ConnectPayouts {
    return connectPayoutsOf(this.engine);
  }

  // clock ---------------------------------------------------------------------------------------------

  /** Simulator time, ms since the epoch. */
  now(): number {
    return this.clock.now();
  }

  /** Moves simulator time forward and runs what became due (expiry, processing payments, async pay-outs). */
  advanceClock(ms: number): number {
    this.clock.advance(ms);
    this.engine.tick();
    return this.clock.now();
  }

  setClock(epochMs: number): number {
    this.clock.setTo(epochMs);
    this.engine.tick();
    return this.clock.now();
  }

  // faults --------------------------------------------------------------------------------------------

  addFault(rule: FaultRule): string {
    return this.faults.add(rule);
  }

  removeFault(id: string): boolean {
    return this.faults.remove(id);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  listFaults(): ReturnType<FaultInjector['list']> {
    return this.faults.list();
  }

  heldRequests(): number {
    return this.gate.size;
  }

  waitForHeld(count = 1): Promise<void> {
    return this.gate.waitFor(count);
  }

  releaseHeld(): number {
    return this.gate.release();
  }

  // keys and rate limits ------------------------------------------------------------------------------

  /** Rolls the secret key: `newKey` works at once, `oldKey` answers 401 `api_key_expired` after `graceMs`. */
  rotateApiKey(oldKey: string, newKey: string, graceMs = 0): void {
    this.requireAccess().rotateKey(oldKey, newKey, graceMs);
  }

  /** A per-account rate limit (429 `rate_limit` past it); `undefined` lifts it. */
  setRateLimit(rule: RateLimitRule | undefined): void {
    this.requireAccess().setRateLimit(rule);
  }

  /** The rate limit in force and how many requests it refused. */
  rateLimit(): ReturnType<ApiAccess['rateLimit']> {
    return this.requireAccess().rateLimit();
  }

  private requireAccess(): ApiAccess {
    if (!this.access) throw new AccessRuleError('this simulator has no access control');
    return this.access;
  }

  // webhooks ------------------------------------------------------------------------------------------

  addWebhookEndpoint(config: WebhookEndpointConfig): WebhookEndpoint {
    return this.webhooks.addEndpoint(config);
  }

  removeWebhookEndpoint(id: string): boolean {
    return this.webhooks.removeEndpoint(id);
  }

  webhookEndpoints(): WebhookEndpoint[] {
    return this.webhooks.listEndpoints();
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.webhooks.deliveries();
  }

  /** Resolves when no delivery is queued, in flight, delayed, held or waiting for a retry. */
  webhooksIdle(timeoutMs?: number): Promise<void> {
    return this.webhooks.idle(timeoutMs);
  }

  /** Webhook deliveries not yet answered 2xx (queued, in flight, held, or waiting to be retried). */
  webhooksPending(): number {
    return this.webhooks.backlog;
  }

  /** Sends an event again (as a "resend" in Stripe's dashboard), ignoring webhook faults. */
  redeliver(eventId: string): void {
    this.webhooks.dispatch(this.engine.store.events.get(eventId), { ignoreFaults: true });
  }

  events(): readonly StripeEvent[] {
    return this.engine.store.events.all();
  }

  // money flows ---------------------------------------------------------------------------------------

  /** Finishes a `requires_action` (3-D Secure) payment, as the customer would on the 3DS page. */
  completeAuthentication(paymentIntentId: string, outcome: 'succeed' | 'fail' = 'succeed'): PaymentIntent {
    return this.engine.completeAuthentication(paymentIntentId, outcome);
  }

  /** Settles a `processing` payment now (default: the outcome its payment method implies). */
  settleProcessing(paymentIntentId: string, outcome?: 'succeed' | 'fail'): PaymentIntent {
    return this.engine.settleProcessing(paymentIntentId, outcome);
  }

  /** Delivers an async pay-out's result now (default: the result its destination implies). */
  settleTransfer(transferId: string, outcome?: 'paid' | 'failed'): Transfer {
    return this.engine.settleTransfer(transferId, outcome);
  }

  setDestinationMode(account: string, mode: DestinationMode): void {
    this.engine.setDestinationMode(account, mode);
  }

  // settlement ----------------------------------------------------------------------------------------

  settlementReport(options: SettlementOptions): SettlementReport {
    this.engine.tick();
    return this.settlement.report(options);
  }

  publishSettlement(options: SettlementOptions & { key?: string }): Promise<PublishedSettlement> {
    this.engine.tick();
    return this.settlement.publish(options);
  }
}

export interface ControlResponse {
  status: number;
  body: unknown;
  contentType?: string;
}

const CONTROL_ROUTES = [
  'health',
  'clock',
  'faults',
  'faults/:id',
  'held/release',
  'api_keys/rotate',
  'rate_limit',
  'webhook_endpoints',
  'webhook_endpoints/:id',
  'webhook_deliveries',
  'events/:id/redeliver',
  'payment_intents/:id/authenticate',
  'payment_intents/:id/settle',
  'transfers/:id/settle',
  'destinations/:id',
  'payouts/:id/settle',
  'payouts/:id/return',
  'accounts/:id/bank_outcome',
  'accounts/:id/bank_account',
  'settlement',
  'settlement/:id',
];

function matchPattern(
  pattern: string,
  parts: readonly string[],
): { pattern: string; id?: string } | undefined {
  const want = pattern.split('/');
  if (want.length !== parts.length) return undefined;
  let id: string | undefined;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === ':id') id = decodeURIComponent(parts[i] as string);
    else if (want[i] !== parts[i]) return undefined;
  }
  return id === undefined ? { pattern } : { pattern, id };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new FaultRuleError(`missing ${what}`);
  return value;
}

/** `/_sim/...` over HTTP: JSON in, JSON out (the settlement CSV as text/csv). */
export async function handleControlRequest(
  control: PspControl,
  method: string,
  pathname: string,
  _query: URLSearchParams,
  body: string,
): Promise<ControlResponse> {
  let json: Record<string, unknown> = {};
  if (body.trim()) {
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { error: 'body must be JSON' } };
    }
  }
  const parts = pathname.split('/').filter(Boolean).slice(1);
  const matched = CONTROL_ROUTES.map((pattern) => matchPattern(pattern, parts)).find((m) => m !== undefined);
  const key = `${method} ${matched?.pattern ?? parts.join('/')}`;
  const b = matched?.id;
  try {
    switch (key) {
      case 'GET health':
        return { status: 200, body: { ok: true } };
      case 'GET clock':
        return { status: 200, body: { now: control.now(), iso: new Date(control.now()).toISOString() } };
      case 'POST clock': {
        const now =
          json.to !== undefined
            ? control.setClock(typeof json.to === 'string' ? Date.parse(json.to) : Number(json.to))
            : control.advanceClock(Number(json.advanceMs ?? 0) + Number(json.advanceSeconds ?? 0) * 1000);
        return { status: 200, body: { now, iso: new Date(now).toISOString() } };
      }
      case 'GET faults':
        return { status: 200, body: { data: control.listFaults() } };
      case 'POST faults':
        return { status: 200, body: { id: control.addFault(json as unknown as FaultRule) } };
      case 'DELETE faults':
        control.clearFaults();
        return { status: 200, body: { cleared: true } };
      case 'DELETE faults/:id':
        return { status: 200, body: { removed: control.removeFault(need(b, 'fault id')) } };
      case 'POST api_keys/rotate':
        control.rotateApiKey(
          String(json.old_key ?? ''),
          String(json.new_key ?? ''),
          json.grace_ms === undefined ? 0 : Number(json.grace_ms),
        );
        return { status: 200, body: { rotated: true } };
      case 'GET rate_limit':
        return { status: 200, body: { rate_limit: control.rateLimit() ?? null } };
      case 'POST rate_limit':
        control.setRateLimit({
          requestsPerSecond: Number(json.requests_per_second),
          ...(json.burst !== undefined ? { burst: Number(json.burst) } : {}),
          ...(typeof json.account === 'string' ? { account: json.account } : {}),
        });
        return { status: 200, body: { rate_limit: control.rateLimit() } };
      case 'DELETE rate_limit':
        control.setRateLimit(undefined);
        return { status: 200, body: { rate_limit: null } };
      case 'POST held/release':
        return { status: 200, body: { released: control.releaseHeld() } };
      case 'GET webhook_endpoints':
        return { status: 200, body: { data: control.webhookEndpoints() } };
      case 'POST webhook_endpoints':
        return { status: 200, body: control.addWebhookEndpoint(json as unknown as WebhookEndpointConfig) };
      case 'DELETE webhook_endpoints/:id':
        return { status: 200, body: { removed: control.removeWebhookEndpoint(need(b, 'endpoint id')) } };
      case 'GET webhook_deliveries':
        return { status: 200, body: { data: control.deliveries() } };
      case 'POST events/:id/redeliver':
        control.redeliver(need(b, 'event id'));
        return { status: 200, body: { redelivered: b } };
      case 'POST payment_intents/:id/authenticate':
        return {
          status: 200,
          body: control.completeAuthentication(
            need(b, 'payment intent'),
            json.outcome === 'fail' ? 'fail' : 'succeed',
          ),
        };
      case 'POST payment_intents/:id/settle':
        return {
          status: 200,
          body: control.settleProcessing(
            need(b, 'payment intent'),
            json.outcome === 'fail' ? 'fail' : json.outcome === 'succeed' ? 'succeed' : undefined,
          ),
        };
      case 'POST transfers/:id/settle':
        return {
          status: 200,
          body: control.settleTransfer(
            need(b, 'transfer'),
            json.outcome === 'failed' ? 'failed' : json.outcome === 'paid' ? 'paid' : undefined,
          ),
        };
      case 'POST destinations/:id':
        control.setDestinationMode(need(b, 'account'), json as unknown as DestinationMode);
        return { status: 200, body: { account: b, ...json } };
      case 'POST payouts/:id/settle':
        return {
          status: 200,
          body: control.connect.settle(
            need(b, 'payout'),
            json.outcome === 'failed' ? 'failed' : json.outcome === 'paid' ? 'paid' : undefined,
          ),
        };
      case 'POST payouts/:id/return':
        return { status: 200, body: control.connect.returnPaid(need(b, 'payout')) };
      case 'POST accounts/:id/bank_outcome':
        control.connect.setBankOutcome(
          need(b, 'account'),
          json.outcome === 'failed' || json.outcome === 'paid_then_returned' ? json.outcome : 'paid',
          typeof json.failure_code === 'string' ? json.failure_code : undefined,
        );
        return { status: 200, body: { account: b, ...json } };
      case 'POST accounts/:id/bank_account':
        control.connect.updateBankAccount(need(b, 'account'));
        return { status: 200, body: { account: b, errored: false } };
      case 'GET settlement/:id': {
        const date = need(b, 'date').replace(/\.csv$/, '');
        const report = control.settlementReport({ date });
        return { status: 200, body: report.csv, contentType: 'text/csv; charset=utf-8' };
      }
      case 'POST settlement': {
        const options = json as unknown as SettlementOptions & { key?: string; publish?: boolean };
        const result = options.publish
          ? await control.publishSettlement(options)
          : control.settlementReport(options);
        return { status: 200, body: result };
      }
      default: {
        const answered = control.moneyBack
          ? handleMoneyBackControl(control.moneyBack, method, parts, _query, json)
          : undefined;
        return answered ?? { status: 404, body: { error: `unknown control route ${method} ${pathname}` } };
      }
    }
  } catch (error) {
    if (error instanceof StripeApiError) return { status: error.statusCode, body: error.toJSON() };
    return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
  }
}
