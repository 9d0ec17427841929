import { describe, expect, it } from 'vitest';
import { planChaos } from '../../chaos/plan';

describe('chaos plan', () => {
  it('is a pure function of the seed: same seed, same schedule; another seed, another', () => {
    const a = planChaos({ checkouts: 500, seed: 7 });
    expect(planChaos({ checkouts: 500, seed: 7 })).toEqual(a);
    expect(planChaos({ checkouts: 500, seed: 8 }).checkouts).not.toEqual(a.checkouts);
  });

  it('mixes every payment mode, buyer step, duplicates and repeat buyers', () => {
    const { checkouts } = planChaos({ checkouts: 1000, seed: 'mix' });
    const modes = new Set(checkouts.map((c) => c.mode));
    expect(modes).toEqual(new Set(['card', '3ds', 'hosted']));
    expect(new Set(checkouts.map((c) => c.buyerStep)).size).toBe(3);
    expect(checkouts.filter((c) => c.duplicates > 0).length).toBeGreaterThan(50);
    expect(new Set(checkouts.map((c) => c.buyerId)).size).toBeLessThan(checkouts.length);
    expect(
      checkouts.every((c) => c.orders.every((o) => Number.isInteger(o.amountMinor) && o.amountMinor > 0)),
    ).toBe(true);
  });
});

describe('chaos plan: money workloads', () => {
  const payIn = (plan: ReturnType<typeof planChaos>) =>
    plan.checkouts.map(({ cancel: _c, orders, ...c }) => ({
      ...c,
      orders: orders.map(({ refund: _r, dispute: _d, ...o }) => o),
    }));

  it('cancels, refunds, disputes and pay-outs are seeded too: same seed, same schedule', () => {
    const a = planChaos({ checkouts: 400, seed: 'money' });
    expect(planChaos({ checkouts: 400, seed: 'money' })).toEqual(a);
    const b = planChaos({ checkouts: 400, seed: 'money2' });
    expect(b.checkouts.map((c) => c.cancel)).not.toEqual(a.checkouts.map((c) => c.cancel));
    expect(b.payouts).not.toEqual(a.payouts);
  });

  it('draws from its own stream: the pay-in schedule is the same whatever the workload rates', () => {
    const none = { cancel: 0, refund: 0, dispute: 0, disputeHosted: 0, payoutDuplicate: 0, payoutRival: 0 };
    const withMoney = planChaos({ checkouts: 300, seed: 5 });
    const without = planChaos({ checkouts: 300, seed: 5, workloads: none });
    expect(payIn(without)).toEqual(payIn(withMoney));
    expect(without.checkouts.some((c) => c.cancel || c.orders.some((o) => o.refund || o.dispute))).toBe(
      false,
    );
  });

  it('mixes every cancel timing and refund kind; over-asking groups exceed the amount; clean has no cancels', () => {
    const { checkouts, payouts } = planChaos({ checkouts: 1000, seed: 'mix' });
    const cancels = checkouts.filter((c) => c.cancel);
    expect(new Set(cancels.map((c) => c.cancel))).toEqual(
      new Set(['after_submit', 'during_3ds', 'page_open']),
    );
    expect(cancels.length).toBeGreaterThan(50);
    expect(cancels.length).toBeLessThan(200);
    for (const c of cancels) {
      const expected = { card: 'after_submit', '3ds': 'during_3ds', hosted: 'page_open' }[c.mode];
      expect(c.cancel).toBe(expected);
    }
    const refunds = checkouts.flatMap((c) => c.orders.flatMap((o) => (o.refund ? [o.refund] : [])));
    expect(new Set(refunds.map((r) => r.kind))).toEqual(
      new Set(['full', 'partial', 'duplicate', 'overdraw']),
    );
    for (const r of refunds.filter((x) => x.kind === 'overdraw'))
      expect(r.parts.reduce((n: number, p) => n + (p ?? 0), 0)).toBeGreaterThan(1000);
    for (const r of refunds.filter((x) => x.kind === 'duplicate')) expect(r.copies).toBeGreaterThanOrEqual(2);
    const orders = checkouts.flatMap((c) => c.orders);
    expect(orders.filter((o) => o.dispute).length).toBeGreaterThan(0);
    expect(orders.some((o) => o.dispute && o.refund)).toBe(false);
    expect(payouts.some((p) => p.duplicates > 0)).toBe(true);
    expect(payouts.some((p) => p.rival)).toBe(true);
    expect(new Set(payouts.map((p) => p.seller)).size).toBe(payouts.length);
    const clean = planChaos({ checkouts: 1000, seed: 'mix', clean: true });
    expect(clean.checkouts.some((c) => c.cancel)).toBe(false);
    expect(clean.payouts.some((p) => p.duplicates > 0 || p.rival)).toBe(false);
  });
});
