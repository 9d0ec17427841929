/**
 * Fault injection, deterministic from a seed. A rule names where it applies (an API route such as
 * `POST /v1/payment_intents`, or a webhook event type), what goes wrong, and how often: with a `probability`
 * (dice from a generator seeded by `seed` + the rule's sequence number, so rules do not disturb each other),
 * for the `count` next matching requests, or both (fires with the probability until it has fired `count` times).
 *
 * API faults (first firing rule wins):
 * - `error`: answer a 5xx (`status`, default 500) before doing anything; nothing is stored for the idempotency
 *   key, so a retry with the same key executes.
 * - `stored_error`: a 5xx (`status`, default 500) raised after the request began executing. Stripe saves it for
 *   the idempotency key like any result: every retry with the same key gets the same 5xx (for 24 h). With
 *   `executed` (default true) the work itself was committed first (the client cannot know); with
 *   `executed: false` it failed before committing anything.
 * - `rate_limit`: answer 429 `rate_limit` before doing anything (see also the per-account limit, access.ts).
 * - `latency`: wait `delayMs` (default 5000) before executing, holding the idempotency key (a concurrent retry
 *   with the same key gets 409); the work is done even if the client already gave up.
 * - `hold`: like latency, but wait until `releaseHeld()` (deterministic concurrency and timeout tests).
 * - `drop`: execute and store the result, then destroy the socket without answering.
 *
 * Webhook faults (every firing rule applies): `duplicate` (deliver `copies`+1 times, default 1 extra),
 * `delay` (`delayMs`, default 2000, before the first attempt), `reorder` (hold the event until the next event
 * to the same endpoint has been sent, or `delayMs` passes), `loss` (never delivered; still in the Events API).
 */
import { type Rng, seededRng } from './random';

export const API_FAULT_KINDS = ['error', 'stored_error', 'rate_limit', 'latency', 'hold', 'drop'] as const;
export const WEBHOOK_FAULT_KINDS = ['duplicate', 'delay', 'reorder', 'loss'] as const;
export type ApiFaultKind = (typeof API_FAULT_KINDS)[number];
export type WebhookFaultKind = (typeof WEBHOOK_FAULT_KINDS)[number];

interface FaultFrequency {
  /** 0..1, default 1. */
  probability?: number;
  /** Fire for this many matching requests/events, then retire. Unlimited if absent. */
  count?: number;
}

export interface ApiFaultRule extends FaultFrequency {
  kind: ApiFaultKind;
  /** `METHOD /v1/template` (`POST /v1/payment_intents/:id/confirm`), a concrete path, or `*`. */
  route: string;
  /** For `error` and `stored_error`: 500, 502, 503 or 504 (any 5xx). */
  status?: number;
  /** For `stored_error`: whether the work was committed before the error (default true). */
  executed?: boolean;
  /** For `latency`. */
  delayMs?: number;
}

export interface WebhookFaultRule extends FaultFrequency {
  kind: WebhookFaultKind;
  /** Exact type, a prefix wildcard (`payment_intent.*`) or `*` (default). */
  eventType?: string;
  /** Endpoint id (`we_...`) or URL; all endpoints if absent. */
  endpoint?: string;
  delayMs?: number;
  /** For `duplicate`: extra deliveries (default 1). */
  copies?: number;
}

export type FaultRule = ApiFaultRule | WebhookFaultRule;

export interface ActiveRule {
  readonly id: string;
  readonly rule: FaultRule;
  remaining: number | undefined;
  fired: number;
  readonly rng: Rng;
}

export function isApiFault(rule: FaultRule): rule is ApiFaultRule {
  return (API_FAULT_KINDS as readonly string[]).includes(rule.kind);
}

export class FaultRuleError extends Error {
  override readonly name = 'FaultRuleError';
}

function validate(rule: FaultRule): void {
  const kinds: readonly string[] = [...API_FAULT_KINDS, ...WEBHOOK_FAULT_KINDS];
  if (!rule || !kinds.includes(rule.kind)) throw new FaultRuleError(`unknown fault kind: ${rule?.kind}`);
  const p = rule.probability;
  if (p !== undefined && !(typeof p === 'number' && p >= 0 && p <= 1)) {
    throw new FaultRuleError(`probability must be within 0..1 (got ${p})`);
  }
  const n = rule.count;
  if (n !== undefined && !(Number.isInteger(n) && n > 0))
    throw new FaultRuleError(`count must be a positive integer`);
  if (rule.delayMs !== undefined && !(Number.isFinite(rule.delayMs) && rule.delayMs >= 0)) {
    throw new FaultRuleError('delayMs must be >= 0');
  }
  if (isApiFault(rule)) {
    if (typeof rule.route !== 'string' || rule.route === '')
      throw new FaultRuleError('an API fault needs a route');
    if (
      rule.status !== undefined &&
      !(Number.isInteger(rule.status) && rule.status >= 500 && rule.status <= 599)
    ) {
      throw new FaultRuleError('status must be a 5xx');
    }
  } else if (rule.copies !== undefined && !(Number.isInteger(rule.copies) && rule.copies > 0)) {
    throw new FaultRuleError('copies must be a positive integer');
  }
}

/** `POST /v1/payment_intents/:id` matches `POST /v1/payment_intents/pi_123`. */
function routeMatches(pattern: string, method: string, template: string, path: string): boolean {
  if (pattern === '*') return true;
  const [pm, pp] = pattern.includes(' ') ? pattern.split(' ', 2) : ['*', pattern];
  if (pm !== '*' && pm?.toUpperCase() !== method) return false;
  return pp === template || pp === path || pp === '*';
}

function typeMatches(pattern: string | undefined, type: string): boolean {
  if (!pattern || pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

export class FaultInjector {
  private readonly rules: ActiveRule[] = [];
  private sequence = 0;

  constructor(private readonly seed: string | number) {}

  add(rule: FaultRule): string {
    validate(rule);
    this.sequence += 1;
    const id = `fault_${this.sequence}`;
    this.rules.push({
      id,
      rule: { ...rule },
      remaining: rule.count,
      fired: 0,
      rng: seededRng(this.seed, id),
    });
    return id;
  }

  remove(id: string): boolean {
    const index = this.rules.findIndex((r) => r.id === id);
    if (index >= 0) this.rules.splice(index, 1);
    return index >= 0;
  }

  clear(): void {
    this.rules.length = 0;
  }

  list(): { id: string; rule: FaultRule; remaining: number | undefined; fired: number }[] {
    return this.rules.map(({ id, rule, remaining, fired }) => ({ id, rule, remaining, fired }));
  }

  private fires(active: ActiveRule): boolean {
    if (active.remaining === 0) return false;
    // Roll the dice for every matching request (even at p = 1), so a seed fixes the whole sequence.
    const roll = active.rng();
    if (roll >= (active.rule.probability ?? 1)) return false;
    active.fired += 1;
    if (active.remaining !== undefined) active.remaining -= 1;
    return true;
  }

  pickApi(method: string, template: string, path: string): ApiFaultRule | undefined {
    for (const active of this.rules) {
      const rule = active.rule;
      if (!isApiFault(rule) || !routeMatches(rule.route, method, template, path)) continue;
      if (this.fires(active)) return rule;
    }
    return undefined;
  }

  pickWebhook(eventType: string, endpoint: { id: string; url: string }): WebhookFaultRule[] {
    const picked: WebhookFaultRule[] = [];
    for (const active of this.rules) {
      const rule = active.rule;
      if (isApiFault(rule) || !typeMatches(rule.eventType, eventType)) continue;
      if (rule.endpoint && rule.endpoint !== endpoint.id && rule.endpoint !== endpoint.url) continue;
      if (this.fires(active)) picked.push(rule);
    }
    return picked;
  }
}
