/**
 * Who may call the API, and how fast: the simulator's secret keys (with Stripe's "roll key": the old key stops
 * working, at once or after a grace period, and answers 401 `api_key_expired`) and a per-account rate limit
 * (a token bucket per account, Stripe's 429 `rate_limit` once it is empty). Rate limits are about real time,
 * not the simulator's clock (which tests move by hours).
 */

export type KeyCheck = 'ok' | 'unknown' | 'expired';

export interface RateLimitRule {
  /** Requests per second refilled into each account's bucket. */
  readonly requestsPerSecond: number;
  /** Bucket size (the burst allowed). Default: requestsPerSecond. */
  readonly burst?: number;
  /** Only this account (`acct_...` in Stripe-Account, or `platform` for requests without it). Default: every account. */
  readonly account?: string;
}

export class AccessRuleError extends Error {
  override readonly name = 'AccessRuleError';
}

export class ApiAccess {
  /** Keys rolled in (accepted besides the configured ones). */
  private readonly rolledIn = new Set<string>();
  /** Rolled-out keys and the wall time from which they stop working. */
  private readonly rolledOut = new Map<string, number>();
  /** A rolled key belongs to the same account as the key it replaced (idempotency keys stay shared). */
  private readonly scopes = new Map<string, string>();
  private rule: RateLimitRule | undefined;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private limited = 0;

  constructor(
    private readonly accepts: (key: string) => boolean,
    private readonly now: () => number = () => Date.now(),
  ) {}

  check(key: string): KeyCheck {
    const until = this.rolledOut.get(key);
    if (until !== undefined && this.now() >= until) return 'expired';
    return this.accepts(key) || this.rolledIn.has(key) ? 'ok' : 'unknown';
  }

  /** The account a key belongs to, for scoping idempotency keys. */
  scopeOf(key: string): string {
    return this.scopes.get(key) ?? key;
  }

  /** Stripe's "roll key": `newKey` works from now on; `oldKey` stops after `graceMs` (default: at once). */
  rotateKey(oldKey: string, newKey: string, graceMs = 0): void {
    if (!oldKey || !newKey || oldKey === newKey) throw new AccessRuleError('give an old and a new key');
    if (!(Number.isFinite(graceMs) && graceMs >= 0)) throw new AccessRuleError('graceMs must be >= 0');
    this.scopes.set(newKey, this.scopeOf(oldKey));
    this.rolledIn.add(newKey);
    this.rolledOut.delete(newKey);
    this.rolledOut.set(oldKey, this.now() + graceMs);
  }

  setRateLimit(rule: RateLimitRule | undefined): void {
    if (rule) {
      if (!(Number.isFinite(rule.requestsPerSecond) && rule.requestsPerSecond > 0))
        throw new AccessRuleError('requestsPerSecond must be > 0');
      if (rule.burst !== undefined && !(Number.isFinite(rule.burst) && rule.burst >= 1))
        throw new AccessRuleError('burst must be >= 1');
    }
    this.rule = rule ? { ...rule } : undefined;
    this.buckets.clear();
  }

  rateLimit(): (RateLimitRule & { limited: number }) | undefined {
    return this.rule ? { ...this.rule, limited: this.limited } : undefined;
  }

  /** Takes one request from the account's bucket; false when it is empty (answer 429). */
  admit(scope: string, stripeAccount: string | null): boolean {
    const rule = this.rule;
    if (!rule) return true;
    const account = stripeAccount ?? 'platform';
    if (rule.account && rule.account !== account) return true;
    const size = rule.burst ?? rule.requestsPerSecond;
    const id = `${scope}\u0000${account}`;
    const now = this.now();
    const bucket = this.buckets.get(id) ?? { tokens: size, at: now };
    bucket.tokens = Math.min(size, bucket.tokens + ((now - bucket.at) / 1000) * rule.requestsPerSecond);
    bucket.at = now;
    this.buckets.set(id, bucket);
    if (bucket.tokens < 1) {
      this.limited++;
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }
}
