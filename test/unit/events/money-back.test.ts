/** Domain events of refunds and disputes, derived from their items' changes in the payments table. */
import { describe, expect, it } from 'vitest';
import { deriveEvents } from '../../../lambdas/events';
import { streamRecord } from '../../fixtures/events/records';

const refund = (status: string, version: number, extra: Record<string, unknown> = {}) => ({
  pk: 'REFUND#rf_1',
  sk: 'META',
  refund_id: 'rf_1',
  payment_order_id: 'po_1',
  seller_account: 's1',
  currency: 'USD',
  amount_minor: 1000,
  origin: 'api',
  status,
  version,
  updated_at: '2026-12-02T05:00:00.000Z',
  ...extra,
});

const dispute = (status: string, version: number) => ({
  pk: 'DISPUTE#dp_1',
  sk: 'META',
  dispute_id: 'dp_1',
  payment_order_id: 'po_1',
  seller_account: 's1',
  currency: 'USD',
  amount_minor: 5000,
  status,
  is_inquiry: false,
  version,
  updated_at: '2026-12-02T05:00:00.000Z',
});

describe('refund events', () => {
  it('publishes refund.succeeded and refund.failed once, when the status moves into them', () => {
    const succeeded = deriveEvents(
      streamRecord({ before: refund('pending', 1), after: refund('succeeded', 2) }),
    );
    expect(succeeded).toMatchObject([
      { id: 'REFUND#rf_1#v2', type: 'refund.succeeded', data: { refund_id: 'rf_1', amount: '10.00' } },
    ]);
    const failed = deriveEvents(
      streamRecord({
        before: refund('succeeded', 2),
        after: refund('failed', 3, { failure_reason: 'expired_or_canceled_card' }),
      }),
    );
    expect(failed).toMatchObject([
      { type: 'refund.failed', data: { failure_reason: 'expired_or_canceled_card' } },
    ]);
    expect(deriveEvents(streamRecord({ after: refund('pending', 1) }))).toEqual([]);
    expect(
      deriveEvents(streamRecord({ before: refund('succeeded', 2), after: refund('succeeded', 3) })),
    ).toEqual([]);
  });
});

describe('dispute events', () => {
  it('publishes dispute.opened on the first record and dispute.closed when it is won or lost', () => {
    expect(deriveEvents(streamRecord({ after: dispute('needs_response', 1) }))).toMatchObject([
      { type: 'dispute.opened', data: { dispute_id: 'dp_1', amount: '50.00' } },
    ]);
    expect(
      deriveEvents(streamRecord({ before: dispute('needs_response', 2), after: dispute('under_review', 3) })),
    ).toEqual([]);
    expect(
      deriveEvents(streamRecord({ before: dispute('under_review', 3), after: dispute('lost', 4) })),
    ).toMatchObject([{ id: 'DISPUTE#dp_1#closed', type: 'dispute.closed', data: { status: 'lost' } }]);
    expect(deriveEvents(streamRecord({ before: dispute('lost', 4), after: dispute('lost', 5) }))).toEqual([]);
  });
});
