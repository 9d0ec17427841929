import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../../lambdas/ops/ledger-watch';

const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', seq: string): DynamoDBRecord => ({
  eventName,
  dynamodb: {
    SequenceNumber: seq,
    Keys: { pk: { S: 'ACCT#platform_revenue#03' }, sk: { S: 'E#2026#tx_1#0' } },
    NewImage: { amount: { N: '1000' } },
  },
});

describe('ledgerViolations', () => {
  it('picks out every MODIFY and REMOVE, by keys only, and no INSERT', () => {
    // Act
    const violations = ledgerViolations([
      record('INSERT', '1'),
      record('MODIFY', '2'),
      record('REMOVE', '3'),
    ]);

    // Assess
    expect(violations).toEqual([
      {
        eventName: 'MODIFY',
        keys: { pk: 'ACCT#platform_revenue#03', sk: 'E#2026#tx_1#0' },
        sequenceNumber: '2',
      },
      {
        eventName: 'REMOVE',
        keys: { pk: 'ACCT#platform_revenue#03', sk: 'E#2026#tx_1#0' },
        sequenceNumber: '3',
      },
    ]);
    expect(JSON.stringify(violations)).not.toContain('1000');
  });

  it('finds nothing in a batch of inserts', () => {
    expect(ledgerViolations([record('INSERT', '1'), record('INSERT', '2')])).toEqual([]);
  });
});
