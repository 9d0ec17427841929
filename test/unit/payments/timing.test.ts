import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMING, waitingRecheckAt } from '../../../lambdas/payments/timing';

const MIN = 60_000;
const created = '2026-12-01T00:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(created) + ms);
const waitAfter = (ageMs: number) =>
  Date.parse(waitingRecheckAt(DEFAULT_TIMING, created, at(ageMs))) - at(ageMs).getTime();

describe('waitingRecheckAt (an order waiting on its buyer)', () => {
  it('looks again after the base interval while the order is young', () => {
    expect(waitAfter(0)).toBe(10 * MIN);
    expect(waitAfter(20 * MIN)).toBe(10 * MIN);
  });

  it('waits half the order age after that, up to the cap', () => {
    expect(waitAfter(60 * MIN)).toBe(30 * MIN);
    expect(waitAfter(3 * 60 * MIN)).toBe(90 * MIN);
    expect(waitAfter(10 * 60 * MIN)).toBe(120 * MIN);
  });

  it('never waits past the expiry, where the look cancels the order', () => {
    expect(waitAfter(23 * 60 * MIN + 30 * MIN)).toBe(30 * MIN);
    // Already past it: the base interval (the look that cancels is due now; this is only a fallback).
    expect(waitAfter(25 * 60 * MIN)).toBe(10 * MIN);
  });

  it('looks about 18 times in the 24 hours before the expiry, where a fixed 10 minutes looked 144 times', () => {
    let age = 0;
    let looks = 0;
    while (age < DEFAULT_TIMING.pendingExpiryMs) {
      age += waitAfter(age);
      looks++;
    }
    expect(looks).toBeGreaterThanOrEqual(15);
    expect(looks).toBeLessThanOrEqual(20);
  });
});
