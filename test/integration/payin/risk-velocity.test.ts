/**
 * The velocity rule on DynamoDB Local, with its clock set by the test: the limit holds over any sliding window
 * (a fixed window let a buyer place the limit just before a boundary and the limit again just after), the
 * previous window's checkouts count by the part of it still inside, and a retried assessment of a counted
 * checkout gets the same answer without being counted twice, on either side of a boundary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DefaultRiskRules, type RiskSubject } from '../../../lambdas/risk/rules';
import { manifest } from '../../../lib/manifest';
import { createTestTables, localDocumentClient } from '../../support/engines';

const WINDOW_MS = 10 * 60_000;
/** The start of a window (10-minute windows count from the epoch). */
const WINDOW_START = Math.floor(Date.UTC(2026, 11, 4, 12, 0, 0) / WINDOW_MS) * WINDOW_MS;
let table: string;
let n = 0;

beforeAll(async () => {
  table =
    (
      await createTestTables(
        manifest.tables.filter((t) => t.id === 'payments'),
        'risk',
      )
    ).payments ?? '';
});

/** Rules whose clock reads `at` (ms since the epoch) when asked. */
function rulesAt(clock: { at: number }) {
  return new DefaultRiskRules(
    { maxCheckoutMinor: {}, blockedBuyers: new Set(), velocity: { maxCheckouts: 10, windowMinutes: 10 } },
    { db: localDocumentClient(), table },
    () => new Date(clock.at),
  );
}

const subject = (buyerId: string, checkoutId: string): RiskSubject => ({
  checkoutId,
  buyerId,
  currency: 'USD',
  totalMinor: 500n,
});

async function decisions(rules: DefaultRiskRules, buyer: string, count: number, label: string) {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push((await rules.assess(subject(buyer, `${label}_${i}`))).decision);
  return out;
}

describe('velocity over a sliding window', () => {
  it('holds the limit across a window boundary: 10 just before it, none just after', async () => {
    const buyer = `buyer_edge_${++n}`;
    const clock = { at: WINDOW_START + WINDOW_MS - 2_000 };
    const rules = rulesAt(clock);
    expect(await decisions(rules, buyer, 10, 'before')).toEqual(Array(10).fill('approve'));
    clock.at = WINDOW_START + WINDOW_MS + 1_000;
    // A fixed window would approve ten more here.
    expect(await decisions(rules, buyer, 2, 'after')).toEqual(['decline', 'decline']);
    expect((await rules.assess(subject(buyer, 'after_0'))).reasons).toEqual(['velocity']);
  });

  it('counts the previous window by the part still inside: half way through, 5 of its 10 still count', async () => {
    const buyer = `buyer_half_${++n}`;
    const clock = { at: WINDOW_START + 60_000 };
    const rules = rulesAt(clock);
    expect(await decisions(rules, buyer, 10, 'early')).toEqual(Array(10).fill('approve'));
    clock.at = WINDOW_START + WINDOW_MS + WINDOW_MS / 2;
    expect(await decisions(rules, buyer, 6, 'half')).toEqual([...Array(5).fill('approve'), 'decline']);
    // A whole window later the first ten are out of it: the limit is the current window's alone.
    clock.at = WINDOW_START + 2 * WINDOW_MS + WINDOW_MS / 2;
    expect(await decisions(rules, buyer, 8, 'late')).toEqual([...Array(7).fill('approve'), 'decline']);
  });

  it('answers a retried assessment the same, without counting it again, on either side of a boundary', async () => {
    const buyer = `buyer_retry_${++n}`;
    const clock = { at: WINDOW_START + WINDOW_MS - 5_000 };
    const rules = rulesAt(clock);
    expect(await decisions(rules, buyer, 10, 'r')).toEqual(Array(10).fill('approve'));
    // The same checkouts again, in the same window: approved, and the count is still 10.
    expect(await decisions(rules, buyer, 10, 'r')).toEqual(Array(10).fill('approve'));
    expect((await rules.assess(subject(buyer, 'r_new'))).decision).toBe('decline');
    // A retry after the boundary of a checkout counted before it: still approved.
    clock.at = WINDOW_START + WINDOW_MS + 1_000;
    expect((await rules.assess(subject(buyer, 'r_3'))).decision).toBe('approve');
    expect((await rules.assess(subject(buyer, 'r_new2'))).decision).toBe('decline');
  });
});
