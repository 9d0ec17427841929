/**
 * DynamoDB Local's stream-record lookup must be one index seek, not a walk over every earlier record: without the
 * index, each write to a table first written late costs time in proportion to all stream records before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DynamoDbEngine, startDynamoDb } from '../../../sandbox/engines/dynamodb';

const dataDir = mkdtempSync(join(tmpdir(), 'ddb-streams-'));
let engine: DynamoDbEngine;

beforeAll(async () => {
  engine = await startDynamoDb({ dataDir });
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('looks up a stream first record through the (StreamID, SequenceNumber) index', () => {
  const db = new DatabaseSync(join(dataDir, 'shared-local-instance.db'), { readOnly: true });
  try {
    // The subquery DynamoDB Local runs on every write to a stream-enabled table.
    const plan = db
      .prepare('EXPLAIN QUERY PLAN SELECT MIN(SequenceNumber) FROM us WHERE StreamID = ?')
      .all('any-stream') as { detail: string }[];
    expect(plan.map((row) => row.detail).join(' | ')).toContain('us_stream_sequence');
  } finally {
    db.close();
  }
});

it("looks up a shard's earliest live record through the (ShardID, SequenceNumber) index, not a scan", () => {
  const db = new DatabaseSync(join(dataDir, 'shared-local-instance.db'), { readOnly: true });
  try {
    // What a stream reader's GetShardIterator and GetRecords run (DynamoDB Local's own statement).
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT SequenceNumber, CreationDateTime FROM us WHERE ShardID = ? AND CreationDateTime >= ? ORDER BY SequenceNumber ASC LIMIT 1',
      )
      .all('any-shard', 0) as { detail: string }[];
    const detail = plan.map((row) => row.detail).join(' | ');
    expect(detail).toContain('us_shard_sequence');
    expect(detail).not.toMatch(/SCAN us\b/);
  } finally {
    db.close();
  }
});
