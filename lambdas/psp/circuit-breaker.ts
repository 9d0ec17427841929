/**
 * The shared "PSP degraded" state (a circuit breaker), so that when the PSP fails every container stops
 * sending new charges within about a second, instead of each one learning it through its own timeouts.
 *
 * State lives in the `coordination` table (a small table of shared operational state, not money: no stream,
 * no KMS key of its own, no backups; see lib/manifest/production.ts for why not the payments table):
 *   pk = PSP_CIRCUIT#{psp}                 state closed | open | half_open, open_until, probe_until, version
 *   pk = PSP_FAILURES#{psp}#{window start}   failures (ADD), expires_at (TTL): one fixed window's count
 *
 *   closed    --(>= threshold indeterminate failures in a sliding window)-->  open (until now + cool-down)
 *   open      --(cool-down passed: ONE caller wins a conditional write)--> half_open (that caller probes)
 *   half_open --(a PSP answer)--> closed          half_open --(another indeterminate failure)--> open
 *
 * Only failures that say the PSP is unwell count: timeouts, dropped connections and 5xx. A decline, a refused
 * request (400/404), our own bad key (401), "key in use" (409, our own concurrency) and a rate limit (429: we
 * are too fast, the PSP is fine; the concurrency caps and retries with backoff answer it) are not degradation. The healthy path costs one eventually consistent read per
 * container per `cacheMs` and no writes; only failures and state changes write. If the table itself cannot
 * be read the circuit fails open (allows): the PSP's own errors and the bounded retries still apply.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PspTransientError } from './errors';
import type { PaymentProvider } from './port';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitSettings {
  /** Indeterminate failures within one window that open the circuit. */
  readonly failureThreshold: number;
  readonly windowMs: number;
  /** How long the circuit stays open before one caller probes the PSP. */
  readonly coolDownMs: number;
  /** A probe that never reports (its container died) is given up after this long; another caller probes. */
  readonly probeTimeoutMs: number;
  /** How long a container trusts the state it read. */
  readonly cacheMs: number;
}

export const DEFAULT_CIRCUIT_SETTINGS: CircuitSettings = {
  failureThreshold: 10,
  windowMs: 30_000,
  coolDownMs: 30_000,
  probeTimeoutMs: 15_000,
  cacheMs: 1_000,
};

/** What a caller may do now: go ahead (perhaps as the one probe), or wait until `retryAt`. */
export type CircuitPermit =
  | { readonly allowed: true; readonly probe: boolean }
  | { readonly allowed: false; readonly retryAt: string };

/** The part of the circuit the executor and the sweeper need. */
export interface CircuitGate {
  permit(): Promise<CircuitPermit>;
}

export interface CircuitStore {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
}

export interface CircuitOptions {
  readonly psp?: string;
  readonly settings?: Partial<CircuitSettings>;
  readonly clock?: () => Date;
  /** Called whenever the circuit is evaluated (the PspCircuitOpen gauge: 1 unless closed). */
  readonly onEvaluated?: (open: boolean) => void;
  /** Called when this caller opened the circuit (logged by the wiring). */
  readonly onOpened?: (failures: number) => void;
  /** The table could not be read or written: the circuit fails open. */
  readonly onStoreError?: (error: unknown) => void;
}

interface StoredCircuit {
  readonly state: CircuitState;
  readonly openUntil: number;
  readonly probeUntil: number;
}

const CLOSED: StoredCircuit = { state: 'closed', openUntil: 0, probeUntil: 0 };

/** The failures that count: the PSP did not answer (timeout, network), or answered that it is unwell (5xx). */
export function isDegradationSignal(error: unknown): boolean {
  if (!(error instanceof PspTransientError)) return false;
  const status = error.httpStatus;
  return status === undefined || status === 0 || status >= 500;
}

export class PspCircuit implements CircuitGate {
  readonly settings: CircuitSettings;
  private readonly psp: string;
  private cached: { value: StoredCircuit; readAt: number } | undefined;

  constructor(
    private readonly store: CircuitStore,
    private readonly options: CircuitOptions = {},
  ) {
    this.settings = { ...DEFAULT_CIRCUIT_SETTINGS, ...options.settings };
    this.psp = options.psp ?? 'stripe';
  }

  private now(): number {
    return (this.options.clock ? this.options.clock() : new Date()).getTime();
  }

  private get key() {
    return { pk: `PSP_CIRCUIT#${this.psp}` };
  }

  /** The state as this container knows it (read again after `cacheMs`). */
  async state(): Promise<StoredCircuit> {
    const now = this.now();
    if (this.cached && now - this.cached.readAt < this.settings.cacheMs) return this.cached.value;
    try {
      const got = await this.store.db.send(new GetCommand({ TableName: this.store.table, Key: this.key }));
      const item = got.Item;
      const value: StoredCircuit = item
        ? {
            state: (item.state as CircuitState | undefined) ?? 'closed',
            openUntil: Number(item.open_until ?? 0),
            probeUntil: Number(item.probe_until ?? 0),
          }
        : CLOSED;
      this.remember(value);
      return value;
    } catch (error) {
      this.options.onStoreError?.(error);
      return CLOSED;
    }
  }

  private remember(value: StoredCircuit): void {
    this.cached = { value, readAt: this.now() };
  }

  /**
   * May a new PSP call start now? Closed: yes. Open within the cool-down, or half-open with a probe out: no,
   * come back at `retryAt`. Past the cool-down: the one caller whose conditional write wins is the probe.
   */
  async permit(): Promise<CircuitPermit> {
    const current = await this.state();
    const now = this.now();
    let permit: CircuitPermit;
    if (current.state === 'closed') {
      permit = { allowed: true, probe: false };
    } else if (current.state === 'open' && now < current.openUntil) {
      permit = { allowed: false, retryAt: new Date(current.openUntil).toISOString() };
    } else if (current.state === 'half_open' && now < current.probeUntil) {
      permit = { allowed: false, retryAt: new Date(current.probeUntil).toISOString() };
    } else {
      permit = await this.claimProbe(now);
    }
    this.options.onEvaluated?.(!(permit.allowed && !permit.probe));
    return permit;
  }

  private async claimProbe(now: number): Promise<CircuitPermit> {
    const probeUntil = now + this.settings.probeTimeoutMs;
    try {
      await this.store.db.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: this.key,
          UpdateExpression: 'SET #state = :half, probe_until = :probe, changed_at = :at',
          ConditionExpression:
            '(#state = :open AND open_until <= :now) OR (#state = :half AND probe_until <= :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':half': 'half_open',
            ':open': 'open',
            ':probe': probeUntil,
            ':now': now,
            ':at': new Date(now).toISOString(),
          },
        }),
      );
      this.remember({ state: 'half_open', openUntil: 0, probeUntil });
      return { allowed: true, probe: true };
    } catch (error) {
      this.cached = undefined;
      if (error instanceof ConditionalCheckFailedException) {
        // Another caller is probing (or closed it meanwhile: the next permit reads that).
        return { allowed: false, retryAt: new Date(probeUntil).toISOString() };
      }
      this.options.onStoreError?.(error);
      return { allowed: true, probe: false };
    }
  }

  /** The PSP answered: a half-open (or open) circuit closes. Closed: nothing is written. */
  async recordSuccess(): Promise<void> {
    const known = this.cached?.value ?? (await this.state());
    if (known.state === 'closed') return;
    try {
      await this.store.db.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: this.key,
          UpdateExpression: 'SET #state = :closed, changed_at = :at REMOVE open_until, probe_until',
          ConditionExpression: '#state <> :closed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':closed': 'closed', ':at': new Date(this.now()).toISOString() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) this.options.onStoreError?.(error);
    }
    this.remember(CLOSED);
  }

  /** A PSP call failed. Counts it if it says the PSP is unwell; opens the circuit at the threshold. */
  async recordFailure(error: unknown): Promise<void> {
    if (!isDegradationSignal(error)) return;
    const now = this.now();
    try {
      const known = this.cached?.value ?? (await this.state());
      if (known.state === 'half_open') {
        // The probe failed: open again for another cool-down.
        await this.open(now, '#state = :half', 0);
        return;
      }
      const windowStart = now - (now % this.settings.windowMs);
      const counted = await this.store.db.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: { pk: `PSP_FAILURES#${this.psp}#${windowStart}` },
          UpdateExpression: 'ADD failures :one SET expires_at = if_not_exists(expires_at, :expires)',
          ExpressionAttributeValues: {
            ':one': 1,
            ':expires': Math.ceil((windowStart + this.settings.windowMs) / 1000) + 3600,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      let failures = Number(counted.Attributes?.failures ?? 0);
      if (failures < this.settings.failureThreshold && known.state === 'closed') {
        // Fixed windows alone miss a burst that straddles a boundary (2 failures at :29, 1 at :31): a sliding
        // window, estimated as this window's count plus the previous one's for the part of it still within
        // one window of now (rounded up, so a burst just across the boundary counts whole).
        const stillIn = 1 - (now - windowStart) / this.settings.windowMs;
        const previous = await this.failuresIn(windowStart - this.settings.windowMs);
        failures += Math.ceil(previous * stillIn);
      }
      if (failures >= this.settings.failureThreshold && known.state === 'closed') {
        await this.open(now, 'attribute_not_exists(#state) OR #state = :closed', failures);
      }
    } catch (storeError) {
      if (!(storeError instanceof ConditionalCheckFailedException)) this.options.onStoreError?.(storeError);
      this.cached = undefined;
    }
  }

  private async failuresIn(windowStart: number): Promise<number> {
    const got = await this.store.db.send(
      new GetCommand({ TableName: this.store.table, Key: { pk: `PSP_FAILURES#${this.psp}#${windowStart}` } }),
    );
    return Number(got.Item?.failures ?? 0);
  }

  private async open(now: number, condition: string, failures: number): Promise<void> {
    const openUntil = now + this.settings.coolDownMs;
    await this.store.db.send(
      new UpdateCommand({
        TableName: this.store.table,
        Key: this.key,
        UpdateExpression:
          'SET #state = :open, open_until = :until, opened_at = :at, changed_at = :at REMOVE probe_until',
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':open': 'open',
          ':until': openUntil,
          ':at': new Date(now).toISOString(),
          ...(condition.includes(':half') ? { ':half': 'half_open' } : {}),
          ...(condition.includes(':closed') ? { ':closed': 'closed' } : {}),
        },
      }),
    );
    this.remember({ state: 'open', openUntil, probeUntil: 0 });
    this.options.onOpened?.(failures);
  }
}

/** What observing a PSP call reports: its latency, and whether it failed for a reason not the buyer's. */
export type PspCallObserver = (latencyMs: number, failed: boolean) => void;

/**
 * The provider with every call's outcome reported to the circuit (and its latency to `observe`): an answer
 * closes a half-open circuit, an indeterminate failure counts toward opening it. Gating (whether to call at
 * all) is the caller's decision (`permit`), taken once per order, so a probe is one order's calls.
 */
export function observedProvider(
  psp: PaymentProvider,
  circuit: Pick<PspCircuit, 'recordSuccess' | 'recordFailure'>,
  observe?: PspCallObserver,
): PaymentProvider {
  const wrap =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = Date.now();
      try {
        const result = await call(...args);
        observe?.(Date.now() - started, false);
        await circuit.recordSuccess();
        return result;
      } catch (error) {
        const degraded = isDegradationSignal(error);
        observe?.(Date.now() - started, degraded);
        // A refusal (400, 401, 402, 409) is still an answer: the PSP is up.
        if (degraded) await circuit.recordFailure(error);
        else await circuit.recordSuccess();
        throw error;
      }
    };
  return {
    buyerAction: wrap((id: string) => psp.buyerAction(id)),
    createPayment: wrap((request: Parameters<PaymentProvider['createPayment']>[0]) =>
      psp.createPayment(request),
    ),
    confirmPayment: wrap((id: string, orderId: string) => psp.confirmPayment(id, orderId)),
    retrievePayment: wrap((id: string) => psp.retrievePayment(id)),
    cancelPayment: wrap((id: string, key: string) => psp.cancelPayment(id, key)),
    createHostedCheckout: wrap((request: Parameters<PaymentProvider['createHostedCheckout']>[0]) =>
      psp.createHostedCheckout(request),
    ),
    retrieveHostedCheckout: wrap((id: string) => psp.retrieveHostedCheckout(id)),
    expireHostedCheckout: wrap((id: string, key: string) => psp.expireHostedCheckout(id, key)),
  };
}
