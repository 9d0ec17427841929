/**
 * The idempotency table's conditional writes on DynamoDB Local, with a clock the test moves: claims, replays,
 * scopes, crashed holders whose claims expire, and the 24 h retention.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../lambdas/api/errors';
import { type BeginRequest, IdempotencyStore, type StoredResponse } from '../../../lambdas/api/idempotency';
import { manifest } from '../../../lib/manifest';
import { createTestTables, localDocumentClient } from '../../support/engines';
import { uid } from './support';

let table: string;
let now: number;
let store: IdempotencyStore;

beforeAll(async () => {
  const spec = manifest.tables.filter((t) => t.id === 'idempotency');
  table = (await createTestTables(spec, 'idem')).idempotency as string;
});

function freshStore(): IdempotencyStore {
  now = Date.parse('2026-11-24T10:00:00Z');
  store = new IdempotencyStore(localDocumentClient(), table, { clock: () => now });
  return store;
}

const response: StoredResponse = {
  statusCode: 201,
  headers: { 'content-type': 'application/json' },
  body: '{"checkout_id":"co_1"}',
};

function request(patch: Partial<BeginRequest> = {}): BeginRequest {
  return { scope: 'key-a', key: uid('k'), fingerprint: 'hash-1', lockMs: 10_000, ...patch };
}

async function codeOf(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('IdempotencyStore.begin', () => {
  it('claims a new key, then replays the completed answer', async () => {
    // Prepare
    freshStore();
    const req = request();

    // Act
    const first = await store.begin(req);
    if (first.kind !== 'execute') throw new Error('expected to execute');
    const completed = await store.complete(first.lock, response);
    const second = await store.begin(req);

    // Assess
    expect(completed).toBe(true);
    expect(second).toEqual({ kind: 'replay', response });
  });

  it('answers request_in_progress while the claim holds, and idempotency_error for another body', async () => {
    // Prepare
    freshStore();
    const req = request();
    await store.begin(req);

    // Act
    const same = await codeOf(store.begin(req));
    const other = await codeOf(store.begin({ ...req, fingerprint: 'hash-2' }));

    // Assess
    expect(same).toBe('request_in_progress');
    expect(other).toBe('idempotency_error');
  });

  it('keeps the keys of two callers apart', async () => {
    // Prepare
    freshStore();
    const key = uid('shared');

    // Act
    const a = await store.begin(request({ scope: 'storefront-a', key, fingerprint: 'a' }));
    const b = await store.begin(request({ scope: 'storefront-b', key, fingerprint: 'b' }));

    // Assess
    expect(a.kind).toBe('execute');
    expect(b.kind).toBe('execute');
  });

  it("lets the same request take over a crashed holder's claim once it expired; the old holder lost it", async () => {
    // Prepare
    freshStore();
    const req = request({ lockMs: 1_000 });
    const crashed = await store.begin(req);
    if (crashed.kind !== 'execute') throw new Error('expected to execute');
    now += 500;
    const early = await codeOf(store.begin(req));
    now += 1_000;

    // Act
    const takeover = await store.begin(req);
    const lateCompletion = await store.complete(crashed.lock, response);
    await store.release(crashed.lock);

    // Assess
    expect(early).toBe('request_in_progress');
    expect(takeover.kind).toBe('execute');
    expect(lateCompletion).toBe(false);
    // The stale holder's release did not free the new holder's claim.
    expect(await codeOf(store.begin(req))).toBe('request_in_progress');
  });

  it('never lets another body take over an expired claim', async () => {
    // Prepare
    freshStore();
    const req = request({ lockMs: 1_000 });
    await store.begin(req);
    now += 5_000;

    // Act
    const other = await codeOf(store.begin({ ...req, fingerprint: 'hash-2' }));

    // Assess
    expect(other).toBe('idempotency_error');
  });

  it('forgets a key after 24 hours (even before TTL deletes it), and a released key at once', async () => {
    // Prepare
    freshStore();
    const req = request();
    const first = await store.begin(req);
    if (first.kind !== 'execute') throw new Error('expected to execute');
    await store.complete(first.lock, response);
    const released = request();
    const claim = await store.begin(released);
    if (claim.kind !== 'execute') throw new Error('expected to execute');
    await store.release(claim.lock);

    // Act
    const afterRelease = await store.begin({ ...released, fingerprint: 'anything' });
    now += 23 * 3600_000;
    const within = await store.begin(req);
    now += 3600_000 + 1_000;
    const after = await store.begin({ ...req, fingerprint: 'hash-2' });

    // Assess
    expect(afterRelease.kind).toBe('execute');
    expect(within.kind).toBe('replay');
    expect(after.kind).toBe('execute');
  });

  it('gives a key to exactly one of 50 concurrent requests', async () => {
    // Prepare
    freshStore();
    const req = request();

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        store.begin(req).then(
          (o) => o.kind,
          (e: ApiError) => e.code,
        ),
      ),
    );

    // Assess
    expect(outcomes.filter((o) => o === 'execute')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'request_in_progress')).toHaveLength(49);
  });
});

describe('IdempotencyStore locks', () => {
  it('excludes a second holder until released or expired', async () => {
    // Prepare
    freshStore();
    const name = `checkout#${uid('co')}`;
    const first = await store.acquireLock(name, 1_000);

    // Act
    const busy = await codeOf(store.acquireLock(name, 1_000));
    now += 1_500;
    const second = await store.acquireLock(name, 1_000);
    await store.releaseLock(first);
    const stillHeld = await codeOf(store.acquireLock(name, 1_000));
    await store.releaseLock(second);
    const third = await store.acquireLock(name, 1_000);

    // Assess
    expect(busy).toBe('request_in_progress');
    expect(second.lockId).not.toBe(first.lockId);
    expect(stillHeld).toBe('request_in_progress');
    expect(third.pk).toBe(first.pk);
  });

  it('runs work under the lock and frees it after a failure', async () => {
    // Prepare
    freshStore();
    const name = `checkout#${uid('co')}`;

    // Act
    const failed = await store
      .withLock(name, 10_000, async () => {
        throw new Error('boom');
      })
      .catch((e: Error) => e.message);
    const result = await store.withLock(name, 10_000, async () => 'done');

    // Assess
    expect(failed).toBe('boom');
    expect(result).toBe('done');
  });
});
