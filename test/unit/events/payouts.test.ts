/** Domain events of payouts, derived from their current-state items' changes in the payouts table. */
import { describe, expect, it } from 'vitest';
import { deriveEvents } from '../../../lambdas/events';
import { MalformedChangeError } from '../../../lambdas/events/errors';
import { streamRecord } from '../../fixtures/events/records';

const payout = (status: string, version: number, extra: Record<string, unknown> = {}) => ({
  pk: 'PAYOUT#pout_1',
  sk: 'PAYOUT',
  payout_id: 'pout_1',
  seller_id: 's1',
  currency: 'USD',
  amount: 1250,
  status,
  provider: 'payee_network',
  destination_account: 'payee_1',
  origin: 'api',
  created_at: '2026-12-02T05:00:00.000Z',
  updated_at: `2026-12-02T05:0${version}:00.000Z`,
  hold_expires_at: '2026-12-09T05:00:00.000Z',
  task_token: 'secret-token-of-the-workflow',
  version,
  ...extra,
});

describe('payout events', () => {
  it('publishes payout.paid when the status moves into PAID, with the amount three ways', () => {
    const events = deriveEvents(
      streamRecord({
        before: payout('SUBMITTED', 2, { provider_reference: 'pp_1' }),
        after: payout('PAID', 3, { provider_reference: 'pp_1' }),
      }),
    );
    expect(events).toEqual([
      {
        id: 'PAYOUT#pout_1#v3',
        type: 'payout.paid',
        occurred_at: '2026-12-02T05:03:00.000Z',
        version: 1,
        data: {
          payout_id: 'pout_1',
          seller_account: 's1',
          amount: '12.50',
          amount_minor: 1250,
          currency: 'USD',
          provider: 'payee_network',
          destination: 'payee_1',
          provider_reference: 'pp_1',
          payout_version: 3,
        },
      },
    ]);
    expect(JSON.stringify(events)).not.toMatch(/secret-token/);
  });

  it('publishes payout.failed with the failure, and payout.returned after a paid payout', () => {
    const failure = { failure_code: 'bank_returned', failure_message: 'Your bank sent the payout back.' };
    const failed = deriveEvents(
      streamRecord({ before: payout('SUBMITTED', 2), after: payout('FAILED', 3, failure) }),
    );
    expect(failed).toMatchObject([{ type: 'payout.failed', data: failure }]);
    const returned = deriveEvents(
      streamRecord({ before: payout('PAID', 3), after: payout('RETURNED', 4, failure) }),
    );
    expect(returned).toMatchObject([{ id: 'PAYOUT#pout_1#v4', type: 'payout.returned', data: failure }]);
  });

  it('publishes nothing for open statuses, a status kept, history items, seller settings or removals', () => {
    expect(deriveEvents(streamRecord({ after: payout('CREATED', 1) }))).toEqual([]);
    expect(
      deriveEvents(streamRecord({ before: payout('CREATED', 1), after: payout('SUBMITTED', 2) })),
    ).toEqual([]);
    expect(deriveEvents(streamRecord({ before: payout('PAID', 3), after: payout('PAID', 3) }))).toEqual([]);
    expect(
      deriveEvents(
        streamRecord({ after: { ...payout('PAID', 3), sk: 'H#000003', from: 'SUBMITTED', to: 'PAID' } }),
      ),
    ).toEqual([]);
    expect(
      deriveEvents(streamRecord({ after: { pk: 'SELLER#s1', sk: 'SETTINGS', status: 'PAID', version: 1 } })),
    ).toEqual([]);
    expect(deriveEvents(streamRecord({ before: payout('PAID', 3), eventName: 'REMOVE' } as never))).toEqual(
      [],
    );
  });

  it('refuses a payout item it cannot read (so the stream retries and the on-failure queue describes it)', () => {
    expect(() =>
      deriveEvents(
        streamRecord({ before: payout('SUBMITTED', 2), after: payout('PAID', 3, { currency: 'XXX1' }) }),
      ),
    ).toThrow(MalformedChangeError);
  });
});
