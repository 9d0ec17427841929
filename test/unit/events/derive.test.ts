/** Which committed changes of the payments table become domain events, and what those events say. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveEvents, MalformedChangeError } from '../../../lambdas/events';
import { checkoutItem, orderItem, orderMove, streamRecord } from '../../fixtures/events/records';

const STATUSES = ['NOT_STARTED', 'EXECUTING', 'PENDING', 'SUCCESS', 'FAILED'] as const;

describe('payment order events', () => {
  it('publishes payment_order.succeeded when an order moves into SUCCESS', () => {
    // Prepare
    const record = orderMove('EXECUTING', 'SUCCESS', { psp_reference: 'pi_123' });

    // Act
    const events = deriveEvents(record);

    // Assess
    expect(events).toEqual([
      {
        id: 'ORDER#po_1#v3',
        type: 'payment_order.succeeded',
        occurred_at: '2026-11-24T10:00:05.000Z',
        version: 1,
        data: {
          payment_order_id: 'po_1',
          checkout_id: 'co_1',
          seller_account: 'acct_seller_1',
          amount: '12.34',
          amount_minor: 1234,
          currency: 'USD',
          psp_reference: 'pi_123',
          order_version: 3,
        },
      },
    ]);
  });

  it('publishes payment_order.failed with the failure code and reason', () => {
    const record = orderMove('EXECUTING', 'FAILED', {
      failure_code: 'card_declined',
      failure_reason: 'Your card was declined.',
    });

    const [event, ...rest] = deriveEvents(record);

    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      id: 'ORDER#po_1#v3',
      type: 'payment_order.failed',
      data: { failure_code: 'card_declined', failure_reason: 'Your card was declined.', amount: '12.34' },
    });
  });

  it('publishes nothing when a change keeps the status (flags, references, the version)', () => {
    const before = orderItem({ status: 'SUCCESS', version: 4, ledger_updated: false });
    const after = orderItem({ status: 'SUCCESS', version: 5, ledger_updated: true, psp_reference: 'pi_9' });

    expect(deriveEvents(streamRecord({ before, after }))).toEqual([]);
  });

  it('publishes nothing for moves between non-terminal statuses', () => {
    const records = [
      streamRecord({ after: orderItem({ status: 'NOT_STARTED', version: 1 }) }),
      orderMove('NOT_STARTED', 'EXECUTING'),
      orderMove('EXECUTING', 'PENDING'),
    ];

    expect(records.flatMap(deriveEvents)).toEqual([]);
  });

  it('publishes an order created directly in a terminal status', () => {
    const record = streamRecord({ after: orderItem({ status: 'SUCCESS', version: 1 }) });

    expect(deriveEvents(record).map((e) => [e.type, e.id])).toEqual([
      ['payment_order.succeeded', 'ORDER#po_1#v1'],
    ]);
  });

  it('publishes nothing for history items, removals and items of other kinds', () => {
    const history = { pk: 'ORDER#po_1', sk: 'HIST#000003', version: 3, from: 'EXECUTING', to: 'SUCCESS' };
    const records = [
      streamRecord({ after: { ...history, status: 'SUCCESS' } }),
      streamRecord({ before: orderItem({ status: 'SUCCESS' }) }),
      streamRecord({ after: { pk: 'IDEMPOTENCY#k', sk: 'META', status: 'SUCCESS', version: 1 } }),
    ];

    expect(records.flatMap(deriveEvents)).toEqual([]);
  });

  it('writes amounts with the exponent of the currency', () => {
    const amounts = [
      ['JPY', 1000, '1000'],
      ['BHD', 1234, '1.234'],
      ['USD', 5, '0.05'],
    ] as const;

    const derived = amounts.map(([currency, minor]) =>
      deriveEvents(orderMove('EXECUTING', 'SUCCESS', { currency, amount_minor: minor })).map((e) =>
        e.type === 'payment_order.succeeded' ? [e.data.currency, e.data.amount_minor, e.data.amount] : e.type,
      ),
    );

    expect(derived.flat(1)).toEqual(amounts.map(([currency, minor, decimal]) => [currency, minor, decimal]));
  });

  it('publishes exactly the moves into SUCCESS or FAILED, with the id of the new version', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATUSES),
        fc.constantFrom(...STATUSES),
        fc.integer({ min: 1, max: 1_000_000 }),
        (from, to, version) => {
          const events = deriveEvents(orderMove(from, to, { version }));
          const expected =
            from !== to && (to === 'SUCCESS' || to === 'FAILED')
              ? [
                  {
                    type: to === 'SUCCESS' ? 'payment_order.succeeded' : 'payment_order.failed',
                    id: `ORDER#po_1#v${version + 1}`,
                  },
                ]
              : [];
          expect(events.map((e) => ({ type: e.type, id: e.id }))).toEqual(expected);
        },
      ),
    );
  });

  it('derives the same event, id included, every time the same record is delivered', () => {
    const record = orderMove('PENDING', 'SUCCESS');

    const first = deriveEvents(record);
    const redelivered = deriveEvents(structuredClone(record));

    expect(redelivered).toEqual(first);
    expect(JSON.stringify(redelivered)).toBe(JSON.stringify(first));
  });
});

describe('checkout events', () => {
  it('publishes checkout.completed when is_payment_done becomes true', () => {
    const before = checkoutItem({ version: 3 });
    const after = checkoutItem({ version: 4, is_payment_done: true, updated_at: '2026-11-24T10:01:00.000Z' });

    const events = deriveEvents(streamRecord({ before, after }));

    expect(events).toEqual([
      {
        id: 'CHECKOUT#co_1#v4',
        type: 'checkout.completed',
        occurred_at: '2026-11-24T10:01:00.000Z',
        version: 1,
        data: { checkout_id: 'co_1', buyer_id: 'buyer_1', order_count: 1, checkout_version: 4 },
      },
    ]);
  });

  it('reads a top-level buyer_id too, and treats an absent flag as false', () => {
    const { is_payment_done: _absent, buyer: _buyer, ...before } = checkoutItem({ version: 3 });
    const after = { ...before, buyer_id: 'buyer_7', is_payment_done: true, version: 4 };

    const [event] = deriveEvents(streamRecord({ before, after }));

    expect(event?.data).toMatchObject({ buyer_id: 'buyer_7' });
  });

  it('publishes nothing while the checkout stays open or after it is done', () => {
    const records = [
      streamRecord({ after: checkoutItem() }),
      streamRecord({ before: checkoutItem({ version: 1 }), after: checkoutItem({ version: 2 }) }),
      streamRecord({
        before: checkoutItem({ version: 4, is_payment_done: true }),
        after: checkoutItem({ version: 5, is_payment_done: true, note: 'receipt sent' }),
      }),
    ];

    expect(records.flatMap(deriveEvents)).toEqual([]);
  });

  it('never carries buyer details, payment-method tokens or other attributes of the item', () => {
    const after = checkoutItem({ version: 2, is_payment_done: true, card_last4: '4242' });
    const order = orderMove('EXECUTING', 'SUCCESS', { payment_method: 'pm_card_visa_secret_token' });

    const serialized = JSON.stringify([
      ...deriveEvents(streamRecord({ before: checkoutItem(), after })),
      ...deriveEvents(order),
    ]);

    for (const leaked of [
      'ada@example.com',
      'Ada Lovelace',
      'pm_card_visa_secret_token',
      '4242',
      'request_hash',
    ])
      expect(serialized).not.toContain(leaked);
  });
});

describe('changes that cannot be read', () => {
  it('rejects a terminal order without its amount, naming the attribute and not the values', () => {
    const { amount_minor: _missing, ...after } = orderItem({ status: 'SUCCESS', version: 3 });
    const record = streamRecord({ before: orderItem(), after });

    expect(() => deriveEvents(record)).toThrow(MalformedChangeError);
    expect(() => deriveEvents(record)).toThrow(/amount_minor/);
  });

  it('says where the change is, never what the item holds', () => {
    const record = orderMove('EXECUTING', 'SUCCESS', { currency: 'XXY', payment_method: 'pm_secret' });

    const error = (() => {
      try {
        deriveEvents(record);
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(MalformedChangeError);
    expect((error as MalformedChangeError).details).toEqual({
      pk: 'ORDER#po_1',
      sk: 'META',
      sequenceNumber: record.dynamodb?.SequenceNumber,
    });
    expect(JSON.stringify(error)).not.toContain('pm_secret');
  });

  it('rejects an unknown currency and an amount that is not an integer of minor units', () => {
    expect(() => deriveEvents(orderMove('EXECUTING', 'SUCCESS', { currency: 'XXY' }))).toThrow(
      MalformedChangeError,
    );
    expect(() => deriveEvents(orderMove('EXECUTING', 'SUCCESS', { amount_minor: 12.5 }))).toThrow(
      MalformedChangeError,
    );
  });

  it('rejects a change of an order without a new image (a stream with the wrong view type)', () => {
    const record = orderMove('EXECUTING', 'SUCCESS');
    delete record.dynamodb?.NewImage;

    expect(() => deriveEvents(record)).toThrow(/NEW_AND_OLD_IMAGES/);
  });
});
