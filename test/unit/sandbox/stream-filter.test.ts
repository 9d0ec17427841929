/**
 * The stream filter of the checkout closer, as the sandbox applies it (sandbox/dynamodb-stream-source.ts
 * matchesFilter) and Lambda would: only an order's current state written SUCCESS or FAILED invokes it.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { manifest } from '../../../lib/manifest';
import { matchesFilter } from '../../../sandbox/dynamodb-stream-source';

const closer = manifest.tableStreamEventSources.find((s) => s.function === 'close-finished-checkouts');

function record(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  pk: string,
  sk: string,
  status?: string,
): DynamoDBRecord {
  return {
    eventName,
    dynamodb: {
      Keys: { pk: { S: pk }, sk: { S: sk } },
      ...(status ? { NewImage: { pk: { S: pk }, sk: { S: sk }, status: { S: status } } } : {}),
    },
  };
}

describe('the checkout closer stream filter', () => {
  it('passes an order written terminal, and nothing else', () => {
    // Prepare
    const filter = closer?.filter;
    if (!filter) throw new Error('the closer has no filter in the manifest');

    // Act + Assess
    expect(matchesFilter(filter, record('MODIFY', 'ORDER#po_1', 'META', 'SUCCESS'))).toBe(true);
    expect(matchesFilter(filter, record('MODIFY', 'ORDER#po_1', 'META', 'FAILED'))).toBe(true);
    expect(matchesFilter(filter, record('INSERT', 'ORDER#po_1', 'META', 'FAILED'))).toBe(true);
    expect(matchesFilter(filter, record('MODIFY', 'ORDER#po_1', 'META', 'PENDING'))).toBe(false);
    expect(matchesFilter(filter, record('INSERT', 'ORDER#po_1', 'HISTORY#0003', 'FAILED'))).toBe(false);
    expect(matchesFilter(filter, record('MODIFY', 'CHECKOUT#co_1', 'META', 'SUCCESS'))).toBe(false);
    expect(matchesFilter(filter, record('REMOVE', 'ORDER#po_1', 'META'))).toBe(false);
    expect(matchesFilter(filter, record('MODIFY', 'ORDER#po_1', 'META'))).toBe(false);
  });
});
