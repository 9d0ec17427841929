/**
 * The simulator's memory across restarts, as Stripe's is: with a data folder, every object, event, internal
 * fact and idempotency key is written to `psp-state.json` before the response that acknowledges it is sent
 * (and after every tick that changed something), durably: written to a temporary file, fsync'd, renamed over
 * the previous state, and the folder fsync'd. A crash (SIGKILL) therefore loses nothing a client was told
 * about; a request that was executing when the process died is forgotten whole (its idempotency key is free
 * again, as Stripe frees the key of a request that did not complete).
 *
 * Webhook deliveries: which (event, endpoint URL) pairs were delivered (2xx) is kept too, so after a restart
 * every event an endpoint has not acknowledged is sent again (`resumeWebhooks`), as Stripe keeps retrying.
 *
 * The payee network (payee-network.ts) is kept in the same file: its payments, events, keys and acknowledged
 * deliveries, so both providers of the simulator remember alike.
 *
 * The whole state is rewritten each time (simple and crash-safe; fine for a local simulator's volumes, not
 * meant for millions of objects). Without a data folder nothing is written and the state lives in memory.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SimClock } from './clock';
import type { IdempotencyStore } from './idempotency';
import type { StripeEvent } from './objects';
import type { PayeeNetwork, PayeeNetworkState } from './payee-network';
import type { Collection, Store } from './store';
import type { WebhookDispatcher } from './webhooks';

const FILE = 'psp-state.json';
const VERSION = 1;

interface Snapshot {
  readonly version: number;
  readonly clockOffsetMs: number;
  readonly collections: Record<string, unknown[]>;
  readonly maps: Record<string, [string, unknown][]>;
  readonly idempotency: [string, unknown][];
  readonly delivered: string[];
  /** The payee network's own state (absent in files written before it was kept). */
  readonly payees?: PayeeNetworkState;
}

const COLLECTIONS = [
  'paymentIntents',
  'paymentMethods',
  'charges',
  'refunds',
  'transfers',
  'reversals',
  'sessions',
  'balanceTransactions',
  'events',
] as const satisfies readonly (keyof Store)[];

const MAPS = [
  'methodBehaviour',
  'intentInternals',
  'transferInternals',
  'sessionInternals',
] as const satisfies readonly (keyof Store)[];

export interface PersistenceParts {
  readonly store: Store;
  readonly clock: SimClock;
  readonly idempotency: IdempotencyStore;
  readonly webhooks: WebhookDispatcher;
  /** The asynchronous payout provider served by the same simulator (`/payee/v1`). */
  readonly payees?: PayeeNetwork;
}

export class SimulatorPersistence {
  private last = '';
  private readonly delivered = new Set<string>();
  private readonly path: string;

  constructor(
    dir: string,
    private readonly parts: PersistenceParts,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, FILE);
  }

  /** Loads the state a previous run left, if any. Answers whether there was one. */
  load(): boolean {
    if (!existsSync(this.path)) return false;
    const snapshot = JSON.parse(readFileSync(this.path, 'utf8')) as Snapshot;
    if (snapshot.version !== VERSION)
      throw new Error(`${this.path}: unknown state version ${snapshot.version}`);
    const { store, clock, idempotency } = this.parts;
    for (const name of COLLECTIONS) {
      (store[name] as Collection<{ id: string; created: number }>).restore(
        (snapshot.collections[name] ?? []) as { id: string; created: number }[],
      );
    }
    for (const name of MAPS) {
      const map = store[name] as Map<string, unknown>;
      map.clear();
      for (const [key, value] of snapshot.maps[name] ?? []) map.set(key, value);
    }
    clock.restoreOffset(snapshot.clockOffsetMs);
    idempotency.restore(snapshot.idempotency as Parameters<IdempotencyStore['restore']>[0]);
    for (const pair of snapshot.delivered) this.delivered.add(pair);
    if (snapshot.payees) this.parts.payees?.restore(snapshot.payees);
    this.last = JSON.stringify(snapshot);
    return true;
  }

  /** Writes the state if it changed since the last write; returns once it is on disk. */
  save(): void {
    const { store, clock, idempotency, webhooks } = this.parts;
    const urls = new Map(webhooks.listEndpoints().map((e) => [e.id, e.url]));
    for (const record of webhooks.deliveries()) {
      const url = urls.get(record.endpointId);
      if (url && typeof record.outcome === 'number' && record.outcome >= 200 && record.outcome < 300) {
        this.delivered.add(deliveryKey(record.eventId, url));
      }
    }
    const snapshot: Snapshot = {
      version: VERSION,
      clockOffsetMs: clock.offset(),
      collections: Object.fromEntries(COLLECTIONS.map((name) => [name, [...store[name].all()]])),
      maps: Object.fromEntries(MAPS.map((name) => [name, [...(store[name] as Map<string, unknown>)]])),
      idempotency: idempotency.entriesToKeep(),
      delivered: [...this.delivered],
      ...(this.parts.payees ? { payees: this.parts.payees.snapshot() } : {}),
    };
    const text = JSON.stringify(snapshot);
    if (text === this.last) return;
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    syncFolder(this.path.slice(0, -FILE.length - 1));
    this.last = text;
  }

  /** The events an endpoint at this URL has not acknowledged, oldest first. */
  undelivered(url: string, subscribed: (event: StripeEvent) => boolean): StripeEvent[] {
    return this.parts.store.events
      .all()
      .filter((event) => subscribed(event) && !this.delivered.has(deliveryKey(event.id, url)));
  }
}

const deliveryKey = (eventId: string, url: string) => `${eventId} ${url}`;

/** A rename is durable once the folder's entry is: fsync the folder (not possible on every platform). */
function syncFolder(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a folder for fsync; the rename is as durable as the platform makes it.
  }
}
