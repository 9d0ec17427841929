/**
 * The chaos run's schedule, a pure function of (checkouts, seed): who buys what from whom, how each checkout
 * pays (card outcome, 3-D Secure, hosted page), which requests are sent as concurrent duplicates, and the
 * fault rates of the PSP, its webhooks and DynamoDB. The same seed gives the same schedule, byte for byte
 * (test/unit/chaos/plan.test.ts).
 */
import { seededRng } from '../../sandbox/psp/random';

export const PayMode = { Card: 'card', ThreeDs: '3ds', Hosted: 'hosted' } as const;
export type PayMode = (typeof PayMode)[keyof typeof PayMode];

/** What the buyer does when asked (3-D Secure challenge or the hosted page). */
export const BuyerStep = { Complete: 'complete', Fail: 'fail', Abandon: 'abandon' } as const;
export type BuyerStep = (typeof BuyerStep)[keyof typeof BuyerStep];

export interface PlannedOrder {
  readonly paymentOrderId: string;
  readonly seller: string;
  /** Minor units (USD cents). */
  readonly amountMinor: number;
}

export interface PlannedCheckout {
  readonly index: number;
  readonly checkoutId: string;
  readonly buyerId: string;
  readonly mode: PayMode;
  /** Card mode: the PSP test token (its outcome: success, decline, insufficient funds, ...). */
  readonly paymentMethod?: string;
  readonly buyerStep: BuyerStep;
  readonly orders: readonly PlannedOrder[];
  /** Extra copies of the POST sent at the same time with the same Idempotency-Key. */
  readonly duplicates: number;
  /** Also POST the same checkout under another Idempotency-Key (a storefront retry that lost its key). */
  readonly rekeyed: boolean;
}

export interface FaultRates {
  readonly pspError: number;
  readonly pspRateLimit: number;
  readonly pspDrop: number;
  readonly pspSlow: number;
  readonly webhookDuplicate: number;
  readonly webhookReorder: number;
  readonly webhookDelay: number;
  readonly webhookLoss: number;
  readonly dynamoThrottle: number;
  readonly dynamoConflict: number;
}

export interface ChaosPlan {
  readonly seed: string;
  readonly checkouts: readonly PlannedCheckout[];
  readonly faults: FaultRates;
}

/** Card outcomes, weighted: mostly successes, then the declines a real card mix has. */
const CARD_MIX: readonly [string, number][] = [
  ['pm_card_visa', 55],
  ['pm_card_mastercard', 10],
  ['pm_card_chargeDeclined', 6],
  ['pm_card_chargeDeclinedInsufficientFunds', 6],
  ['pm_card_chargeDeclinedExpiredCard', 3],
  ['pm_card_chargeDeclinedIncorrectCvc', 2],
  ['pm_card_chargeDeclinedProcessingError', 3],
];

export const DEFAULT_FAULTS: FaultRates = {
  pspError: 0.04,
  pspRateLimit: 0.03,
  pspDrop: 0.02,
  pspSlow: 0.01,
  webhookDuplicate: 0.1,
  webhookReorder: 0.1,
  webhookDelay: 0.05,
  webhookLoss: 0.03,
  dynamoThrottle: 0.02,
  dynamoConflict: 0.02,
};

function weighted<T>(rng: () => number, mix: readonly [T, number][]): T {
  const total = mix.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng() * total;
  for (const [value, w] of mix) {
    roll -= w;
    if (roll < 0) return value;
  }
  return (mix.at(-1) as [T, number])[0];
}

export function planChaos(options: {
  checkouts: number;
  seed: string | number;
  faults?: Partial<FaultRates>;
  /** No duplicates or re-keyed requests (the dice are still rolled, so the rest of the schedule is the same). */
  clean?: boolean;
  /** Distinguishes ids between runs on the same tables; not part of the schedule. */
  runId?: string;
}): ChaosPlan {
  const seed = String(options.seed);
  const rng = seededRng(seed, 'plan');
  const int = (below: number) => Math.floor(rng() * below);
  const run = options.runId ? `${options.runId}_` : '';
  // Many buyers and sellers, but few enough that buyers repeat (velocity limits) and sellers collect.
  const buyers = Math.max(8, Math.ceil(options.checkouts / 3));
  const sellers = Math.max(5, Math.ceil(options.checkouts / 10));
  const checkouts: PlannedCheckout[] = [];
  for (let index = 0; index < options.checkouts; index++) {
    const checkoutId = `co_chaos_${run}${index}`;
    const mode = weighted<PayMode>(rng, [
      [PayMode.Card, 70],
      [PayMode.ThreeDs, 15],
      [PayMode.Hosted, 15],
    ]);
    const orderCount = weighted(rng, [
      [1, 45],
      [2, 35],
      [3, 15],
      [5, 5],
    ]);
    const orders: PlannedOrder[] = [];
    for (let o = 0; o < orderCount; o++) {
      orders.push({
        paymentOrderId: `${checkoutId}_po${o + 1}`,
        seller: `seller_${int(sellers)}`,
        // 0.50 .. 500.00, with a few large ones (a checkout above 10,000.00 is declined by risk).
        amountMinor: rng() < 0.01 ? 400_000 + int(300_000) : 50 + int(50_000),
      });
    }
    const buyerStep = weighted<BuyerStep>(rng, [
      [BuyerStep.Complete, 80],
      [BuyerStep.Fail, 10],
      [BuyerStep.Abandon, 10],
    ]);
    const duplicates = rng() < 0.15 ? 1 + int(3) : 0;
    const rekeyed = rng() < 0.05;
    checkouts.push({
      index,
      checkoutId,
      buyerId: `buyer_${int(buyers)}`,
      mode,
      ...(mode === PayMode.Card ? { paymentMethod: weighted(rng, CARD_MIX) } : {}),
      ...(mode === PayMode.ThreeDs ? { paymentMethod: 'pm_card_authenticationRequired' } : {}),
      buyerStep,
      orders,
      duplicates: options.clean ? 0 : duplicates,
      rekeyed: rekeyed && !options.clean,
    });
  }
  return { seed, checkouts, faults: { ...DEFAULT_FAULTS, ...options.faults } };
}
