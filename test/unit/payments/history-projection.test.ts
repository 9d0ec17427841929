/**
 * Which committed changes append a history entry: a new version of an order item that carries its move
 * (`last_transition` of that version), and nothing else — not writes that keep the version, not history items,
 * not removals, not orders written before moves carried themselves.
 */
import { describe, expect, it } from 'vitest';
import { itemChange, MalformedChangeError } from '../../../lambdas/events';
import { historyEntryOfChange } from '../../../lambdas/payments/history-projection';
import { checkoutItem, type Item, orderItem, streamRecord } from '../../fixtures/events/records';

const move = (version: number, from: string | null, to: string) => ({
  version,
  from,
  to,
  at: '2026-11-24T10:00:05.000Z',
  actor: 'pay-in-workflow',
  reason: `to ${to}`,
});

const entryOf = (change: { before?: Item; after?: Item }) =>
  historyEntryOfChange(itemChange(streamRecord(change)));

describe('historyEntryOfChange', () => {
  it("answers a new version's move, and the first entry of a new order", () => {
    const before = orderItem({
      status: 'NOT_STARTED',
      version: 1,
      last_transition: move(1, null, 'NOT_STARTED'),
    });
    const after = orderItem({
      status: 'EXECUTING',
      version: 2,
      last_transition: move(2, 'NOT_STARTED', 'EXECUTING'),
    });

    expect(entryOf({ before, after })).toEqual({
      orderId: 'po_1',
      entry: move(2, 'NOT_STARTED', 'EXECUTING'),
    });
    expect(entryOf({ after: before })).toEqual({ orderId: 'po_1', entry: move(1, null, 'NOT_STARTED') });
  });

  it('answers nothing for writes that keep the version, removals, history items and other items', () => {
    const order = orderItem({ version: 2, last_transition: move(2, 'NOT_STARTED', 'EXECUTING') });
    const history = { pk: 'ORDER#po_1', sk: 'HIST#000002', ...move(2, 'NOT_STARTED', 'EXECUTING') };

    expect(entryOf({ before: order, after: { ...order, psp_reference: 'pi_1' } })).toBeUndefined();
    expect(entryOf({ before: order })).toBeUndefined();
    expect(entryOf({ after: history })).toBeUndefined();
    expect(entryOf({ after: checkoutItem() })).toBeUndefined();
  });

  it('answers nothing for an order whose move is not of its version (written before moves carried it)', () => {
    const before = orderItem({ version: 2 });
    expect(entryOf({ before, after: orderItem({ version: 3, status: 'SUCCESS' }) })).toBeUndefined();
    const stale = orderItem({
      version: 3,
      status: 'SUCCESS',
      last_transition: move(2, 'NOT_STARTED', 'EXECUTING'),
    });
    expect(entryOf({ before, after: stale })).toBeUndefined();
  });

  it('refuses a malformed move of the new version (reported, never skipped)', () => {
    const after = orderItem({ version: 3, last_transition: { version: 3, to: 'SUCCESS' } });
    expect(() => entryOf({ before: orderItem({ version: 2 }), after })).toThrow(MalformedChangeError);
  });
});
