/**
 * Stripe's idempotency contract for POST requests, keyed by (API key, Idempotency-Key):
 * - the first request takes the key; once its endpoint executed, its status and body are saved for 24 h
 *   (of simulator clock) and replayed to every retry with `Idempotent-Replayed: true`;
 * - a retry whose endpoint or parameters differ gets 400 `idempotency_error`;
 * - a retry that arrives while the first is still executing gets 409 `idempotency_key_in_use` and nothing is
 *   saved for it;
 * - a first request that failed validation (400/404 `invalid_request_error`) or was refused before executing
 *   (401, 429, injected 5xx) saves nothing: the key is free again.
 */
import type { Clock } from './clock';
import { docUrl, invalidRequest, StripeApiError } from './errors';

export interface StoredResponse {
  readonly status: number;
  readonly body: string;
  readonly requestId: string;
}

export type Entry =
  | { state: 'in_flight'; fingerprint: string; createdAt: number }
  | { state: 'done'; fingerprint: string; createdAt: number; response: StoredResponse };

export type Claim =
  | { kind: 'fresh'; complete(response: StoredResponse): void; release(): void }
  | { kind: 'replay'; response: StoredResponse };

const RETENTION_MS = 24 * 60 * 60 * 1000;
export const MAX_KEY_LENGTH = 255;

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock) {}

  /**
   * The entries worth keeping across a restart: completed ones still within retention. A request in flight
   * when the process died never answered, so its key is free again.
   */
  entriesToKeep(): [string, Entry][] {
    const now = this.clock.now();
    return [...this.entries].filter(([, e]) => e.state === 'done' && now - e.createdAt < RETENTION_MS);
  }

  restore(entries: readonly [string, Entry][]): void {
    this.entries.clear();
    for (const [key, entry] of entries) if (entry.state === 'done') this.entries.set(key, entry);
  }

  /**
   * Claims `key` for a request. A check and a write with no await between them: in one Node process this is
   * the conditional write (two requests cannot both see the key free).
   */
  claim(apiKey: string, key: string, fingerprint: string): Claim {
    if (key.length > MAX_KEY_LENGTH) {
      throw invalidRequest(`Idempotency-Key must be at most ${MAX_KEY_LENGTH} characters long.`, {
        param: 'Idempotency-Key',
      });
    }
    const scoped = `${apiKey}\u0000${key}`;
    const now = this.clock.now();
    const existing = this.entries.get(scoped);
    if (existing && existing.state === 'done' && now - existing.createdAt >= RETENTION_MS) {
      this.entries.delete(scoped);
    } else if (existing) {
      if (existing.fingerprint !== fingerprint) {
        throw new StripeApiError(
          400,
          {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          },
          false,
        );
      }
      if (existing.state === 'in_flight') {
        throw new StripeApiError(
          409,
          {
            type: 'idempotency_error',
            code: 'idempotency_key_in_use',
            doc_url: docUrl('idempotency_key_in_use'),
            message:
              'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ' +
              `${key}. Please try again later.`,
          },
          false,
        );
      }
      return { kind: 'replay', response: existing.response };
    }
    this.entries.set(scoped, { state: 'in_flight', fingerprint, createdAt: now });
    return {
      kind: 'fresh',
      complete: (response) => {
        this.entries.set(scoped, { state: 'done', fingerprint, createdAt: now, response });
      },
      release: () => {
        this.entries.delete(scoped);
      },
    };
  }
}
