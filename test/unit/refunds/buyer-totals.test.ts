/** Which changes of the payments table set a buyer-totals line, and what a PaymentIntent says it paid. */
import { describe, expect, it } from 'vitest';
import type { ItemChange } from '../../../lambdas/events';
import { lineOfChange } from '../../../lambdas/refunds/buyer-totals';
import { paymentOrdersOf } from '../../../lambdas/refunds/psp';

const change = (
  pk: string,
  newImage: Record<string, unknown> | undefined,
  oldImage?: Record<string, unknown>,
  eventName: ItemChange['eventName'] = 'MODIFY',
): ItemChange => ({
  pk,
  sk: 'META',
  eventName,
  ...(newImage ? { newImage } : {}),
  ...(oldImage ? { oldImage } : {}),
});

const order = (status: string, version: number) => ({
  payment_order_id: 'po_1',
  checkout_id: 'co_1',
  amount_minor: 2500,
  currency: 'EUR',
  status,
  version,
});
const refund = (status: string, version: number, extra: Record<string, unknown> = {}) => ({
  refund_id: 'rf_1',
  payment_order_id: 'po_1',
  amount_minor: 700,
  currency: 'EUR',
  status,
  version,
  ...extra,
});

describe('lineOfChange', () => {
  it('an order moving into SUCCESS is a paid line keyed by the order; other moves are none', () => {
    expect(lineOfChange(change('ORDER#po_1', order('SUCCESS', 3), order('EXECUTING', 2)))).toEqual({
      kind: 'paid',
      orderId: 'po_1',
      sk: 'ORDER#po_1',
      amountMinor: 2500,
      currency: 'EUR',
      source: 'ORDER#po_1',
      version: 3,
    });
    // A later change that keeps SUCCESS (flags), a FAILED order, a history item, a removal: nothing.
    expect(lineOfChange(change('ORDER#po_1', order('SUCCESS', 4), order('SUCCESS', 3)))).toBeUndefined();
    expect(lineOfChange(change('ORDER#po_1', order('FAILED', 3), order('EXECUTING', 2)))).toBeUndefined();
    expect(
      lineOfChange({ ...change('ORDER#po_1', order('SUCCESS', 3), order('EXECUTING', 2)), sk: 'HIST#3' }),
    ).toBeUndefined();
    expect(lineOfChange(change('ORDER#po_1', undefined, order('SUCCESS', 3), 'REMOVE'))).toBeUndefined();
  });

  it('a refund counts its amount while succeeded, 0 once failed or canceled, nothing while pending', () => {
    const ok = lineOfChange(
      change('REFUND#rf_1', refund('succeeded', 2, { buyer_id: 'b_1' }), refund('pending', 1)),
    );
    expect(ok).toMatchObject({
      kind: 'refunded',
      sk: 'ORDER#po_1#REFUND#rf_1',
      amountMinor: 700,
      version: 2,
      buyerId: 'b_1',
    });
    const failed = lineOfChange(change('REFUND#rf_1', refund('failed', 3), refund('succeeded', 2)));
    expect(failed).toMatchObject({ kind: 'refunded', amountMinor: 0, version: 3 });
    expect(failed).not.toHaveProperty('buyerId');
    expect(lineOfChange(change('REFUND#rf_1', refund('canceled', 2), refund('pending', 1)))).toMatchObject({
      amountMinor: 0,
    });
    expect(lineOfChange(change('REFUND#rf_1', refund('pending', 1), undefined, 'INSERT'))).toBeUndefined();
  });

  it('only a lost dispute is a line', () => {
    const dispute = (status: string, version: number) => ({
      dispute_id: 'dp_1',
      payment_order_id: 'po_1',
      amount_minor: 900,
      currency: 'EUR',
      status,
      version,
    });
    expect(
      lineOfChange(change('DISPUTE#dp_1', dispute('lost', 4), dispute('needs_response', 3))),
    ).toMatchObject({ kind: 'dispute_lost', sk: 'ORDER#po_1#DISPUTE#dp_1', amountMinor: 900, version: 4 });
    for (const status of ['needs_response', 'won', 'warning_closed']) {
      expect(
        lineOfChange(change('DISPUTE#dp_1', dispute(status, 4), dispute('x', 3))),
        status,
      ).toBeUndefined();
    }
  });

  it('refuses an item without its amount rather than counting a guess', () => {
    expect(() =>
      lineOfChange(
        change('ORDER#po_1', { ...order('SUCCESS', 3), amount_minor: 'a lot' }, order('PENDING', 2)),
      ),
    ).toThrow(/amount_minor/);
  });
});

describe('paymentOrdersOf', () => {
  it('reads one order, several orders of a hosted page, or none', () => {
    expect(paymentOrdersOf({ payment_order_id: 'po_1', checkout_id: 'co_1' })).toEqual({
      orderIds: ['po_1'],
      checkoutId: 'co_1',
    });
    expect(paymentOrdersOf({ checkout_id: 'co_2', payment_order_ids: 'po_a, po_b,po_a,' })).toEqual({
      orderIds: ['po_a', 'po_b'],
      checkoutId: 'co_2',
    });
    expect(paymentOrdersOf({ payment_order_ids: 'po_only' })).toEqual({ orderIds: ['po_only'] });
    expect(paymentOrdersOf(null)).toEqual({ orderIds: [] });
  });
});
