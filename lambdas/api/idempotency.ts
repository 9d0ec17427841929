/**
 * API idempotency with Stripe's contract, on the manifest's `idempotency` table (pk, TTL on `expires_at`):
 *
 * - `begin` claims a key with ONE conditional PutItem (IN_PROGRESS, holding a lock until the function's
 *   deadline). The condition admits a new key, a record past its 24 h retention, or an IN_PROGRESS record whose
 *   lock expired (a crashed Lambda) for the same request. When it fails, DynamoDB returns the record it found
 *   (ReturnValuesOnConditionCheckFailure ALL_OLD) and that decides, without another read: another request body
 *   -> 400 `idempotency_error`; a stored response -> replay it; still running -> 409 `request_in_progress`.
 * - `complete` stores the response, conditioned on still holding the lock; `release` deletes the claim so that
 *   a retry executes again (5xx answers and refusals before execution are not stored, as Stripe does).
 * - `acquireLock` / `releaseLock` are the same claim without a stored response: mutual exclusion of requests
 *   for one resource (a checkout_id), expiring by itself if its holder dies.
 *
 * Keys are scoped by the caller (the API key id), so two storefronts cannot collide on one key.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { containsCardNumber } from './card-data';
import { ApiError, ApiErrorCode } from './errors';
import { cardDataError } from './request';

export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 60 * 60;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

const IN_PROGRESS = 'IN_PROGRESS';
const COMPLETED = 'COMPLETED';

/** A response as stored and replayed: status, headers and the body text, byte for byte. */
export interface StoredResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Proof of holding a claim: only its holder can complete or release it. */
export interface IdempotencyLock {
  readonly pk: string;
  readonly lockId: string;
}

export type BeginOutcome =
  | { readonly kind: 'execute'; readonly lock: IdempotencyLock }
  | { readonly kind: 'replay'; readonly response: StoredResponse };

export interface BeginRequest {
  /** Who is calling (the API key id): keys of different callers never meet. */
  readonly scope: string;
  readonly key: string;
  /** `requestFingerprint` of the request: the same key with another fingerprint is refused. */
  readonly fingerprint: string;
  /** How long the claim holds if its holder never completes or releases it: about the function's timeout. */
  readonly lockMs: number;
}

interface StoredRecord {
  readonly pk: string;
  readonly status?: string;
  readonly request_hash?: string;
  readonly locked_until?: number;
  readonly expires_at?: number;
  readonly response?: StoredResponse;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * What "the same request" means for a key: the route and the parsed body, so key order and whitespace do not
 * matter but any value does.
 */
export function requestFingerprint(
  method: string,
  resource: string,
  body: unknown,
  /** The path's parameters: one key for a refund of order A, then of order B, is two requests. */
  pathParameters?: Readonly<Record<string, string | undefined>> | null,
): string {
  const params =
    pathParameters && Object.keys(pathParameters).length > 0 ? canonicalJson(pathParameters) : '';
  return createHash('sha256')
    .update(`${method.toUpperCase()} ${resource}${params ? ` ${params}` : ''}\n${canonicalJson(body)}`)
    .digest('hex');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * An id for what one idempotent request creates (a refund, a payout), the same every time that request
 * executes: from the caller's scope, the key and the request's fingerprint. A request whose function died
 * after the PSP acted and before its answer was stored executes again once its claim lapses; with this id it
 * finds what the first run created (and the PSP's idempotency key is the same), instead of creating a second
 * refund or payout. 26 Crockford base32 characters, the length of the ULIDs the ids otherwise carry.
 */
export function idempotentId(prefix: string, scope: string, key: string, fingerprint: string): string {
  const digest = createHash('sha256').update(`${scope}\u0000${key}\u0000${fingerprint}`).digest();
  let out = '';
  for (let i = 0; i < 26; i++) out += CROCKFORD[(digest[i] ?? 0) % 32];
  return `${prefix}_${out}`;
}

/** The `Idempotency-Key` header, checked: absent is fine; present, it is 1-255 visible ASCII characters. */
export function checkIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ApiError(
      400,
      ApiErrorCode.IdempotencyKeyInvalid,
      `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters`,
      { max_length: MAX_IDEMPOTENCY_KEY_LENGTH },
    );
  }
  // The key is part of a stored item's key and of log lines: a card number must never become one.
  if (containsCardNumber(value)) throw cardDataError();
  return value;
}

export function requestInProgress(): ApiError {
  return new ApiError(
    409,
    ApiErrorCode.RequestInProgress,
    'a request with the same idempotency key or checkout is still being processed; retry later',
    undefined,
    { retryAfterSeconds: 1 },
  );
}

export interface IdempotencyStoreOptions {
  /** Epoch milliseconds. */
  readonly clock?: () => number;
  readonly retentionSeconds?: number;
}

export class IdempotencyStore {
  private readonly clock: () => number;
  private readonly retentionSeconds: number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    options: IdempotencyStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.retentionSeconds = options.retentionSeconds ?? IDEMPOTENCY_RETENTION_SECONDS;
  }

  static keyOf(scope: string, key: string): string {
    return `KEY#${scope}#${key}`;
  }

  static lockOf(name: string): string {
    return `LOCK#${name}`;
  }

  async begin(request: BeginRequest): Promise<BeginOutcome> {
    const pk = IdempotencyStore.keyOf(request.scope, request.key);
    // A record can vanish between the failed write and the read that replaces a missing ALL_OLD: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const lock = { pk, lockId: randomUUID() };
      const now = this.clock();
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk,
              status: IN_PROGRESS,
              request_hash: request.fingerprint,
              lock_id: lock.lockId,
              locked_until: now + request.lockMs,
              expires_at: Math.floor(now / 1000) + this.retentionSeconds,
              created_at: new Date(now).toISOString(),
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR expires_at < :now_s OR ' +
              '(#status = :in_progress AND locked_until < :now_ms AND request_hash = :hash)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':now_s': Math.floor(now / 1000),
              ':now_ms': now,
              ':in_progress': IN_PROGRESS,
              ':hash': request.fingerprint,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { kind: 'execute', lock };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const existing = error.Item ? (unmarshall(error.Item) as StoredRecord) : await this.read(pk);
        if (!existing) continue;
        if (existing.request_hash !== request.fingerprint) {
          throw new ApiError(
            400,
            ApiErrorCode.IdempotencyError,
            'this Idempotency-Key was already used with a different request; use a new key for a new request',
          );
        }
        if (existing.status === COMPLETED && existing.response) {
          return { kind: 'replay', response: existing.response };
        }
        throw requestInProgress();
      }
    }
    throw requestInProgress();
  }

  /** Stores the response under the key for replays; false if the claim was lost (it expired and was taken). */
  async complete(lock: IdempotencyLock, response: StoredResponse): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: lock.pk },
          UpdateExpression:
            'SET #status = :completed, #response = :response, completed_at = :at REMOVE locked_until',
          ConditionExpression: 'lock_id = :lock AND #status = :in_progress',
          ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
          ExpressionAttributeValues: {
            ':completed': COMPLETED,
            ':in_progress': IN_PROGRESS,
            ':lock': lock.lockId,
            ':at': new Date(this.clock()).toISOString(),
            ':response': {
              statusCode: response.statusCode,
              headers: { ...response.headers },
              body: response.body,
            },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives the key back unanswered, so that the next request with it executes; a no-op if no longer held. */
  async release(lock: IdempotencyLock): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: lock.pk },
          ConditionExpression: 'lock_id = :lock AND #status = :in_progress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':lock': lock.lockId, ':in_progress': IN_PROGRESS },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Mutual exclusion on a name (e.g. `checkout#{id}`): 409 `request_in_progress` while another holds it. */
  async acquireLock(name: string, lockMs: number): Promise<IdempotencyLock> {
    const lock = { pk: IdempotencyStore.lockOf(name), lockId: randomUUID() };
    const now = this.clock();
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: lock.pk,
            status: IN_PROGRESS,
            lock_id: lock.lockId,
            locked_until: now + lockMs,
            // Deleted by TTL if its holder died and nobody took it over.
            expires_at: Math.floor((now + lockMs) / 1000) + this.retentionSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR locked_until < :now_ms',
          ExpressionAttributeValues: { ':now_ms': now },
        }),
      );
      return lock;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw requestInProgress();
      throw error;
    }
  }

  releaseLock(lock: IdempotencyLock): Promise<void> {
    return this.release(lock);
  }

  async withLock<T>(name: string, lockMs: number, work: () => Promise<T>): Promise<T> {
    const lock = await this.acquireLock(name, lockMs);
    try {
      return await work();
    } finally {
      // A failed release must not turn a finished request into a failure: the lock expires by itself.
      await this.releaseLock(lock).catch(() => undefined);
    }
  }

  private async read(pk: string): Promise<StoredRecord | undefined> {
    const got = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { pk }, ConsistentRead: true }),
    );
    return got.Item as StoredRecord | undefined;
  }
}
