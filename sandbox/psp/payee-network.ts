/**
 * An asynchronous payout provider shaped like Tipalti ("the payee network"), served by the same simulator
 * under `/payee/v1` with its own API key and its own signed webhooks. A payment to a payee goes
 *   submitted -> paid (not final: the bank may still send it back) -> cleared (final)
 * or ends rejected or canceled; `deferred` holds it (payee details incomplete) until it moves on. Results are
 * told ONLY by webhooks (`payment.<status>`, header `X-Payee-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">`), retried with backoff until the endpoint answers 2xx; `GET /payee/v1/payments?ref_code=`
 * lets the platform look a payment up by its own reference.
 *
 * API (JSON bodies, `Authorization: Bearer payee_test_...`):
 *   POST /payee/v1/payments   { ref_code, payee_id, amount, currency }  (Idempotency-Key, 24 h of simulator
 *                              time; past the window a new payment is created: the caller must look up first)
 *   GET  /payee/v1/payments?ref_code=...   GET /payee/v1/payments/:id
 * Outcome per payee id (`payee_reject...`, `payee_cancel...`, `payee_return...` paid then returned,
 * `payee_defer...` deferred first; anything else clears) or by `setOutcome`; each step comes after `delayMs` of
 * simulator time, or at once with `step(id)`. Faults: the simulator's API rules on `POST /payee/v1/payments`
 * (and the GET routes) — `error` (a failure before anything is done), `drop` (a lost response: done, never
 * answered), `latency` (a slow answer); webhook rules with event types `payee.payment.*` — `loss`, `duplicate`.
 */
import { createHmac } from 'node:crypto';
import type { SimClock } from './clock';
import type { FaultInjector } from './faults';
import { newId } from './random';

export const PayeeOutcome = {
  Cleared: 'cleared',
  Rejected: 'rejected',
  Canceled: 'canceled',
  PaidThenReturned: 'paid_then_returned',
  DeferredThenCleared: 'deferred_then_cleared',
} as const;
export type PayeeOutcome = (typeof PayeeOutcome)[keyof typeof PayeeOutcome];

export type PayeePaymentStatus =
  | 'submitted'
  | 'deferred'
  | 'paid'
  | 'cleared'
  | 'rejected'
  | 'canceled'
  | 'returned';
const FINAL: ReadonlySet<PayeePaymentStatus> = new Set(['cleared', 'rejected', 'canceled', 'returned']);

export interface PayeePayment {
  id: string;
  object: 'payee_payment';
  ref_code: string;
  payee_id: string;
  amount: number;
  currency: string;
  status: PayeePaymentStatus;
  failure_reason: string | null;
  created: number;
  updated: number;
}

export interface PayeeEvent {
  id: string;
  type: string;
  created: number;
  data: { payment: PayeePayment };
}

export interface PayeeEndpoint {
  readonly url: string;
  readonly secret: string;
}

export interface PayeeDelivery {
  readonly eventId: string;
  readonly type: string;
  readonly attempt: number;
  readonly outcome: number | 'error' | 'lost';
}

interface Internals {
  outcome: PayeeOutcome;
  dueAt: number;
}

const deliveredKey = (eventId: string, url: string) => `${eventId} ${url}`;

export function signPayeePayload(payload: string, secret: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

const KEY_WINDOW_MS = 24 * 3_600_000;
const FAILURE_REASONS: Record<string, string> = {
  rejected: 'payee_details_invalid',
  canceled: 'canceled_by_payer',
  returned: 'bank_returned',
};

export interface PayeeAnswer {
  readonly status: number;
  readonly body: unknown;
  /** Destroy the socket without answering (the work is done). */
  readonly drop?: boolean;
  readonly delayMs?: number;
}

/**
 * What the payee network keeps across a restart of the simulator on a data folder (persistence.ts), as the
 * PSP's side does: payments and their next steps, events, outcomes set by tests, idempotency keys still in
 * their window, and which events each endpoint URL acknowledged (the rest are sent again on `resumeWebhooks`).
 */
export interface PayeeNetworkState {
  readonly payments: PayeePayment[];
  readonly events: PayeeEvent[];
  readonly internals: [string, Internals][];
  readonly outcomes: [string, PayeeOutcome][];
  readonly keys: [string, { at: number; fingerprint: string; answer: PayeeAnswer }][];
  readonly delivered: string[];
}

export class PayeeNetwork {
  readonly payments = new Map<string, PayeePayment>();
  readonly events: PayeeEvent[] = [];
  readonly deliveries: PayeeDelivery[] = [];
  private readonly internals = new Map<string, Internals>();
  private readonly outcomes = new Map<string, PayeeOutcome>();
  private readonly keys = new Map<string, { at: number; fingerprint: string; answer: PayeeAnswer }>();
  private readonly endpoints: PayeeEndpoint[] = [];
  /** `<event id> <endpoint url>` pairs an endpoint acknowledged (2xx). */
  private readonly delivered = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private delayMs = 10_000;
  private stopped = false;

  constructor(
    private readonly clock: SimClock,
    private readonly faults: FaultInjector,
    private readonly options: {
      retryBaseMs: number;
      log: (line: string) => void;
      /** Something worth persisting changed outside a request (a delivery acknowledged). */
      onChange?: () => void;
    },
  ) {}

  /** Simulator time between two steps of a payment; tests set it long and step payments themselves. */
  setDelayMs(ms: number): void {
    this.delayMs = ms;
  }

  setOutcome(payeeId: string, outcome: PayeeOutcome): void {
    this.outcomes.set(payeeId, outcome);
  }

  addWebhookEndpoint(endpoint: PayeeEndpoint): void {
    this.endpoints.push(endpoint);
  }

  /** The state worth keeping (persistence.ts): keys past their window are dropped, as they would be. */
  snapshot(): PayeeNetworkState {
    const now = this.clock.now();
    return {
      payments: [...this.payments.values()].map((p) => ({ ...p })),
      events: [...this.events],
      internals: [...this.internals].map(([id, i]) => [id, { ...i }]),
      outcomes: [...this.outcomes],
      keys: [...this.keys].filter(([, k]) => now - k.at < KEY_WINDOW_MS),
      delivered: [...this.delivered],
    };
  }

  restore(state: PayeeNetworkState): void {
    this.payments.clear();
    for (const payment of state.payments ?? []) this.payments.set(payment.id, { ...payment });
    this.events.length = 0;
    this.events.push(...(state.events ?? []));
    this.internals.clear();
    for (const [id, internals] of state.internals ?? []) this.internals.set(id, { ...internals });
    this.outcomes.clear();
    for (const [payee, outcome] of state.outcomes ?? []) this.outcomes.set(payee, outcome);
    this.keys.clear();
    for (const [key, entry] of state.keys ?? []) this.keys.set(key, entry);
    this.delivered.clear();
    for (const pair of state.delivered ?? []) this.delivered.add(pair);
  }

  /**
   * After a restart: sends again, to every endpoint registered now, each event its URL never acknowledged
   * (the network keeps retrying, as the PSP does). Answers how many deliveries were started.
   */
  resumeWebhooks(): number {
    let started = 0;
    for (const endpoint of this.endpoints) {
      for (const event of this.events) {
        if (this.delivered.has(deliveredKey(event.id, endpoint.url))) continue;
        const payload = JSON.stringify(event);
        this.later(0, () => void this.deliver(endpoint, event, payload, 1));
        started++;
      }
    }
    return started;
  }

  list(filter: { refCode?: string } = {}): PayeePayment[] {
    return [...this.payments.values()]
      .filter((p) => filter.refCode === undefined || p.ref_code === filter.refCode)
      .sort((a, b) => b.created - a.created);
  }

  private outcomeOf(payeeId: string): PayeeOutcome {
    const configured = this.outcomes.get(payeeId);
    if (configured) return configured;
    if (payeeId.includes('payee_reject')) return 'rejected';
    if (payeeId.includes('payee_cancel')) return 'canceled';
    if (payeeId.includes('payee_return')) return 'paid_then_returned';
    if (payeeId.includes('payee_defer')) return 'deferred_then_cleared';
    return 'cleared';
  }

  create(input: { ref_code: string; payee_id: string; amount: number; currency: string }): PayeePayment {
    const now = this.clock.now();
    const payment: PayeePayment = {
      id: newId('pp'),
      object: 'payee_payment',
      ref_code: input.ref_code,
      payee_id: input.payee_id,
      amount: input.amount,
      currency: input.currency,
      status: 'submitted',
      failure_reason: null,
      created: Math.floor(now / 1000),
      updated: Math.floor(now / 1000),
    };
    this.payments.set(payment.id, payment);
    this.internals.set(payment.id, { outcome: this.outcomeOf(input.payee_id), dueAt: now + this.delayMs });
    this.emit(payment);
    return payment;
  }

  /** The payment's next step now (submitted -> paid / rejected / ...). Answers the payment. */
  step(paymentId: string): PayeePayment {
    const payment = this.payments.get(paymentId);
    const internals = this.internals.get(paymentId);
    if (!payment || !internals) throw new Error(`no payee payment ${paymentId}`);
    if (FINAL.has(payment.status)) throw new Error(`payee payment ${paymentId} is ${payment.status} already`);
    const next = this.nextStatus(payment.status, internals.outcome);
    payment.status = next;
    payment.updated = Math.floor(this.clock.now() / 1000);
    if (next === 'rejected' || next === 'canceled' || next === 'returned')
      payment.failure_reason = FAILURE_REASONS[next] ?? null;
    internals.dueAt = this.clock.now() + this.delayMs;
    this.emit(payment);
    return payment;
  }

  /** Steps the payment until it is final. */
  finish(paymentId: string): PayeePayment {
    let payment = this.payments.get(paymentId);
    while (payment && !FINAL.has(payment.status)) payment = this.step(paymentId);
    if (!payment) throw new Error(`no payee payment ${paymentId}`);
    return payment;
  }

  private nextStatus(status: PayeePaymentStatus, outcome: PayeeOutcome): PayeePaymentStatus {
    if (status === 'submitted') {
      if (outcome === 'rejected') return 'rejected';
      if (outcome === 'canceled') return 'canceled';
      if (outcome === 'deferred_then_cleared') return 'deferred';
      return 'paid';
    }
    if (status === 'deferred') return 'paid';
    if (status === 'paid') return outcome === 'paid_then_returned' ? 'returned' : 'cleared';
    return status;
  }

  tick(now: number): void {
    for (const payment of this.payments.values()) {
      const internals = this.internals.get(payment.id);
      if (internals && !FINAL.has(payment.status) && internals.dueAt <= now) this.step(payment.id);
    }
  }

  // ------------------------------------------------------------------------------------------------ HTTP

  /** Answers a request under `/payee/v1` (auth already checked by the caller with `acceptsKey`). */
  handle(method: string, url: URL, body: string, idempotencyKey: string | undefined): PayeeAnswer {
    const path = url.pathname;
    const template = /^\/payee\/v1\/payments\/[^/]+$/.test(path) ? '/payee/v1/payments/:id' : path;
    const fault = this.faults.pickApi(method, template, path);
    if (fault) this.options.log(`fault ${fault.kind} on ${method} ${path}`);
    if (fault?.kind === 'error' || fault?.kind === 'rate_limit') {
      const status = fault.kind === 'rate_limit' ? 429 : (fault.status ?? 500);
      return { status, body: { error: { code: 'unavailable', message: 'try again later' } } };
    }
    const extra = {
      ...(fault?.kind === 'drop' ? { drop: true } : {}),
      ...(fault?.kind === 'latency' ? { delayMs: fault.delayMs ?? 5000 } : {}),
    };
    if (method === 'POST' && path === '/payee/v1/payments')
      return { ...this.post(body, idempotencyKey), ...extra };
    if (method === 'GET' && path === '/payee/v1/payments') {
      const refCode = url.searchParams.get('ref_code') ?? undefined;
      return { status: 200, body: { data: this.list(refCode === undefined ? {} : { refCode }) }, ...extra };
    }
    if (method === 'GET' && template === '/payee/v1/payments/:id') {
      const payment = this.payments.get(decodeURIComponent(path.split('/').pop() ?? ''));
      if (!payment)
        return { status: 404, body: { error: { code: 'not_found', message: 'no such payment' } } };
      return { status: 200, body: payment, ...extra };
    }
    return { status: 404, body: { error: { code: 'not_found', message: `no route ${method} ${path}` } } };
  }

  private post(body: string, idempotencyKey: string | undefined): PayeeAnswer {
    const now = this.clock.now();
    if (idempotencyKey) {
      const seen = this.keys.get(idempotencyKey);
      if (seen && now - seen.at < KEY_WINDOW_MS) {
        if (seen.fingerprint !== body) {
          return {
            status: 409,
            body: { error: { code: 'idempotency_conflict', message: 'key reused with other parameters' } },
          };
        }
        return seen.answer;
      }
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return { status: 400, body: { error: { code: 'invalid_json', message: 'body is not JSON' } } };
    }
    const { ref_code, payee_id, amount, currency } = input;
    if (
      typeof ref_code !== 'string' ||
      !ref_code ||
      typeof payee_id !== 'string' ||
      !payee_id ||
      typeof currency !== 'string' ||
      !/^[a-z]{3}$/.test(currency) ||
      typeof amount !== 'number' ||
      !Number.isInteger(amount) ||
      amount <= 0
    ) {
      return {
        status: 400,
        body: {
          error: { code: 'invalid_request', message: 'ref_code, payee_id, amount, currency required' },
        },
      };
    }
    if (payee_id.includes('payee_unknown'))
      return { status: 422, body: { error: { code: 'payee_not_found', message: 'no such payee' } } };
    const answer: PayeeAnswer = { status: 201, body: this.create({ ref_code, payee_id, amount, currency }) };
    if (idempotencyKey) this.keys.set(idempotencyKey, { at: now, fingerprint: body, answer });
    return answer;
  }

  // -------------------------------------------------------------------------------------------- webhooks

  private emit(payment: PayeePayment): void {
    const event: PayeeEvent = {
      id: newId('evt_pn'),
      type: `payment.${payment.status}`,
      created: Math.floor(this.clock.now() / 1000),
      data: { payment: { ...payment } },
    };
    this.events.push(event);
    const payload = JSON.stringify(event);
    for (const endpoint of this.endpoints) {
      const faults = this.faults.pickWebhook(`payee.${event.type}`, { id: endpoint.url, url: endpoint.url });
      if (faults.some((f) => f.kind === 'loss')) {
        this.deliveries.push({ eventId: event.id, type: event.type, attempt: 0, outcome: 'lost' });
        this.options.log(`payee webhook ${event.type} ${event.id} lost (fault)`);
        continue;
      }
      const copies =
        1 + faults.filter((f) => f.kind === 'duplicate').reduce((n, f) => n + (f.copies ?? 1), 0);
      for (let i = 0; i < copies; i++) this.later(0, () => void this.deliver(endpoint, event, payload, 1));
    }
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private async deliver(endpoint: PayeeEndpoint, event: PayeeEvent, payload: string, attempt: number) {
    if (this.stopped) return;
    let outcome: number | 'error';
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        body: payload,
        headers: {
          'Content-Type': 'application/json',
          'X-Payee-Signature': signPayeePayload(payload, endpoint.secret, Math.floor(Date.now() / 1000)),
        },
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      outcome = response.status;
    } catch {
      outcome = 'error';
    }
    this.deliveries.push({ eventId: event.id, type: event.type, attempt, outcome });
    this.options.log(`payee webhook ${event.type} ${event.id} attempt ${attempt}: ${outcome}`);
    if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
      this.delivered.add(deliveredKey(event.id, endpoint.url));
      this.options.onChange?.();
      return;
    }
    if (attempt >= 12) return;
    const delay = Math.min(this.options.retryBaseMs * 2 ** (attempt - 1), 60_000);
    this.later(delay, () => void this.deliver(endpoint, event, payload, attempt + 1));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
