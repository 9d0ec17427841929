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
