import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedFrom, canTransition, isTerminal, OrderStatus } from '../../../lambdas/payments/model';

const statuses = Object.values(OrderStatus);
const ORDER: Record<OrderStatus, number> = {
  NOT_STARTED: 0,
  EXECUTING: 1,
  PENDING: 2,
  SUCCESS: 3,
  FAILED: 3,
};

describe('order statuses move forward only', () => {
  it('never leaves a terminal status', () => {
    for (const from of statuses.filter(isTerminal)) {
      for (const to of statuses) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('never moves to an earlier or equal status', () => {
    fc.assert(
      fc.property(fc.constantFrom(...statuses), fc.constantFrom(...statuses), (from, to) => {
        if (canTransition(from, to)) expect(ORDER[to]).toBeGreaterThan(ORDER[from]);
      }),
    );
  });

  it('any sequence of news ends where the furthest news points (or the first terminal one)', () => {
    // Prepare: apply random news in random order, as late, duplicate and reordered webhooks would.
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...statuses), { maxLength: 12 }), (news) => {
        let status: OrderStatus = 'NOT_STARTED';
        for (const to of news) if (canTransition(status, to)) status = to;
        // Assess: the first terminal news wins; without one, the furthest non-terminal news does.
        const firstTerminal = news.find(isTerminal);
        if (firstTerminal) expect(status).toBe(firstTerminal);
        else expect(ORDER[status]).toBe(Math.max(0, ...news.map((s) => ORDER[s])));
      }),
    );
  });

  it('reaches SUCCESS from every non-terminal status', () => {
    expect(allowedFrom('SUCCESS').sort()).toEqual(['EXECUTING', 'NOT_STARTED', 'PENDING']);
    expect(allowedFrom('EXECUTING')).toEqual(['NOT_STARTED']);
  });
});
