/**
 * Webhook delivery, as Stripe does it: each event is POSTed as JSON to every endpoint subscribed to its type,
 * signed with `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (so
 * `stripe.webhooks.constructEvent` accepts it), and retried with exponential backoff
 * (`retryBaseMs * 2^(attempt-1)`, capped at `retryMaxDelayMs`) until the endpoint answers 2xx.
 *
 * The signature timestamp is wall-clock time (the receiver checks it against its own clock with a 300 s
 * tolerance), even when the simulator clock has been moved; the event's `created` is simulator time.
 * First attempts to one endpoint go out one at a time in event order, so the order a test sees is
 * deterministic unless a `reorder`/`delay` fault says otherwise; retries do not block later events.
 */
import { createHmac } from 'node:crypto';
import type { WebhookFaultRule } from './faults';
import type { StripeEvent } from './objects';
import { newId } from './random';

export interface WebhookEndpointConfig {
  url: string;
  /** `whsec_...`; one is minted if absent. */
  secret?: string;
  /** Event types (exact, `prefix.*` or `*`). Default: every event. */
  enabledEvents?: string[];
}

export interface WebhookEndpoint {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  readonly enabledEvents: readonly string[];
}

export interface DeliveryRecord {
  readonly eventId: string;
  readonly eventType: string;
  readonly endpointId: string;
  readonly attempt: number;
  /** HTTP status, or `error` (connection refused, timeout), or `lost` (a loss fault). */
  readonly outcome: number | 'error' | 'lost';
  readonly at: number;
}

export interface WebhookOptions {
  retryBaseMs: number;
  retryMaxDelayMs: number;
  attemptTimeoutMs: number;
  pickFaults(eventType: string, endpoint: WebhookEndpoint): WebhookFaultRule[];
  log(line: string): void;
}

export function signPayload(payload: string, secret: string, timestampSeconds: number): string {
  const signature = createHmac('sha256', secret)
    .update(`${timestampSeconds}.${payload}`, 'utf8')
    .digest('hex');
  return `t=${timestampSeconds},v1=${signature}`;
}

export function subscribed(endpoint: WebhookEndpoint, type: string): boolean {
  return endpoint.enabledEvents.some(
    (p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}

interface Held {
  readonly send: () => void;
  readonly timer: NodeJS.Timeout;
}

export class WebhookDispatcher {
  private readonly endpoints = new Map<string, WebhookEndpoint>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly held = new Map<string, Held[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly controllers = new Set<AbortController>();
  private readonly log: DeliveryRecord[] = [];
  private pending = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: WebhookOptions) {}

  addEndpoint(config: WebhookEndpointConfig): WebhookEndpoint {
    if (!/^https?:\/\//.test(config.url))
      throw new Error(`webhook endpoint url must be http(s): ${config.url}`);
    const endpoint: WebhookEndpoint = {
      id: newId('we'),
      url: config.url,
      secret: config.secret ?? `whsec_${newId('sim', 32).slice(4)}`,
      enabledEvents: config.enabledEvents?.length ? [...config.enabledEvents] : ['*'],
    };
    this.endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }

  removeEndpoint(id: string): boolean {
    return this.endpoints.delete(id);
  }

  listEndpoints(): WebhookEndpoint[] {
    return [...this.endpoints.values()];
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.log;
  }

  /** How many endpoints the event will be sent to (the event's `pending_webhooks`). */
  countSubscribers(type: string): number {
    return [...this.endpoints.values()].filter((e) => subscribed(e, type)).length;
  }

  /** Sends an event to one endpoint, without faults (a restarted simulator's redelivery). */
  dispatchTo(endpointId: string, event: StripeEvent): void {
    const endpoint = this.endpoints.get(endpointId);
    if (this.stopped || !endpoint) return;
    this.enqueue(endpoint, event, JSON.stringify(event, null, 2), 1);
  }

  dispatch(event: StripeEvent, options: { ignoreFaults?: boolean } = {}): void {
    if (this.stopped) return;
    const payload = JSON.stringify(event, null, 2);
    for (const endpoint of this.endpoints.values()) {
      if (!subscribed(endpoint, event.type)) continue;
      const faults = options.ignoreFaults ? [] : this.options.pickFaults(event.type, endpoint);
      const send = () => this.enqueue(endpoint, event, payload, 1);
      if (faults.some((f) => f.kind === 'loss')) {
        this.record(event, endpoint, 0, 'lost');
        continue;
      }
      const copies =
        1 + faults.filter((f) => f.kind === 'duplicate').reduce((n, f) => n + (f.copies ?? 1), 0);
      const delay = faults.filter((f) => f.kind === 'delay').reduce((ms, f) => ms + (f.delayMs ?? 2000), 0);
      const reorder = faults.find((f) => f.kind === 'reorder');
      const sendAll = () => {
        for (let i = 0; i < copies; i++) send();
      };
      if (reorder) {
        this.hold(endpoint.id, sendAll, reorder.delayMs ?? 2000);
      } else if (delay > 0) {
        this.later(delay, sendAll);
      } else {
        sendAll();
        this.releaseHeld(endpoint.id);
      }
    }
  }

  /** Deliveries queued, in flight, held or waiting to be retried (a backlog the chaos run watches drain). */
  get backlog(): number {
    return this.pending;
  }

  /** Resolves once nothing is queued, in flight, held or waiting to be retried. */
  idle(timeoutMs = 10_000): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(new Error(`webhooks still pending after ${timeoutMs} ms (${this.pending} deliveries)`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const list of this.held.values()) for (const h of list) clearTimeout(h.timer);
    this.held.clear();
    for (const controller of this.controllers) controller.abort();
    await Promise.allSettled([...this.chains.values()]);
  }

  private hold(endpointId: string, send: () => void, maxHoldMs: number): void {
    this.pending += 1;
    const list = this.held.get(endpointId) ?? [];
    const entry: Held = {
      send,
      timer: setTimeout(() => {
        const current = this.held.get(endpointId) ?? [];
        this.held.set(
          endpointId,
          current.filter((h) => h !== entry),
        );
        send();
        this.settle();
      }, maxHoldMs),
    };
    list.push(entry);
    this.held.set(endpointId, list);
  }

  private releaseHeld(endpointId: string): void {
    const list = this.held.get(endpointId);
    if (!list?.length) return;
    this.held.delete(endpointId);
    for (const h of list) {
      clearTimeout(h.timer);
      h.send();
      this.settle();
    }
  }

  private later(ms: number, fn: () => void): void {
    this.pending += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
      this.settle();
    }, ms);
    this.timers.add(timer);
  }

  private enqueue(endpoint: WebhookEndpoint, event: StripeEvent, payload: string, attempt: number): void {
    if (this.stopped) return;
    this.pending += 1;
    const previous = this.chains.get(endpoint.id) ?? Promise.resolve();
    const next = previous
      .then(() => this.attempt(endpoint, event, payload, attempt))
      .finally(() => this.settle());
    this.chains.set(endpoint.id, next);
  }

  private async attempt(endpoint: WebhookEndpoint, event: StripeEvent, payload: string, attempt: number) {
    if (this.stopped || !this.endpoints.has(endpoint.id)) return;
    const controller = new AbortController();
    this.controllers.add(controller);
    const timeout = setTimeout(() => controller.abort(), this.options.attemptTimeoutMs);
    let outcome: number | 'error';
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        body: payload,
        signal: controller.signal,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signPayload(payload, endpoint.secret, Math.floor(Date.now() / 1000)),
        },
      });
      await response.arrayBuffer().catch(() => undefined);
      outcome = response.status;
    } catch {
      outcome = 'error';
    } finally {
      clearTimeout(timeout);
      this.controllers.delete(controller);
    }
    this.record(event, endpoint, attempt, outcome);
    if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) return;
    if (this.stopped) return;
    const delay = Math.min(this.options.retryBaseMs * 2 ** (attempt - 1), this.options.retryMaxDelayMs);
    this.later(delay, () => this.enqueue(endpoint, event, payload, attempt + 1));
  }

  private record(
    event: StripeEvent,
    endpoint: WebhookEndpoint,
    attempt: number,
    outcome: DeliveryRecord['outcome'],
  ) {
    this.log.push({
      eventId: event.id,
      eventType: event.type,
      endpointId: endpoint.id,
      attempt,
      outcome,
      at: Date.now(),
    });
    this.options.log(`webhook ${event.type} ${event.id} -> ${endpoint.url} attempt ${attempt}: ${outcome}`);
  }

  private settle(): void {
    this.pending -= 1;
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
