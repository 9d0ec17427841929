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

/** When the storefront cancels a checkout, racing its pay-in. */
export const CancelAt = {
  /** Right after the submission was answered (the workflow is confirming the card). */
  AfterSubmit: 'after_submit',
  /** While 3-D Secure waits on the buyer (and, half the time, while the buyer completes it). */
  During3ds: 'during_3ds',
  /** While the hosted page is open (and, half the time, while the buyer pays on it). */
  PageOpen: 'page_open',
} as const;
export type CancelAt = (typeof CancelAt)[keyof typeof CancelAt];

/** How an order is refunded once it is SUCCESS (nothing happens to an order that is not). */
export const RefundKind = {
  /** One refund of everything (no amount). */
  Full: 'full',
  /** A part, then (half the time) the rest with no amount. */
  Partial: 'partial',
  /** Concurrent copies of one request with the same Idempotency-Key: one refund. */
  Duplicate: 'duplicate',
  /** Concurrent requests under different keys that together exceed the captured amount. */
  Overdraw: 'overdraw',
} as const;
export type RefundKind = (typeof RefundKind)[keyof typeof RefundKind];

export interface PlannedRefund {
  readonly kind: RefundKind;
  /**
   * The requests, as fractions of the order's amount in per mille (undefined: no amount, i.e. what remains).
   * Partial: sent one after the other; Duplicate: one request sent `copies` times at once; Overdraw: at once.
   */
  readonly parts: readonly (number | undefined)[];
  readonly copies: number;
}

export interface PlannedOrder {
  readonly paymentOrderId: string;
  readonly seller: string;
  /** Minor units (USD cents). */
  readonly amountMinor: number;
  readonly refund?: PlannedRefund;
  /** A chargeback opened at the PSP, then closed with this outcome (only on orders not refunded). */
  readonly dispute?: 'won' | 'lost';
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
  /** The storefront cancels the checkout, racing the pay-in. */
  readonly cancel?: CancelAt;
}

/**
 * Each seller is registered and paid everything payable three times: while pay-ins are still in flight, while
 * refunds and disputes are, and once everything settled (each round under its own key).
 */
export interface PlannedPayout {
  readonly seller: string;
  /** Extra copies of the payout request sent at once with the same Idempotency-Key. */
  readonly duplicates: number;
  /** Also a concurrent request under another key (all payable twice at once: one of them gets nothing). */
  readonly rival: boolean;
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
  /** A function dies after the PSP answered, before writing it (sandbox/crash-injection.ts `afterPsp`). */
  readonly crashAfterPsp: number;
  /** The same in the pay-out executor, after the provider's transfer (`payout.advanced`). */
  readonly crashAfterPayout: number;
  /**
   * The same in the API functions that move money out: after the PSP created a refund (`refund.created`), after
   * a payout's hold was reserved (`payout.requested`). A run has few of those: their own rate.
   */
  readonly crashAfterApi: number;
  /** A workflow step's function did its work, its answer is lost; the step is retried (`afterStep`). */
  readonly crashAfterStep: number;
  /** A stream batch consumer dies after part of its batch; the batch is retried (`midBatch`). */
  readonly crashMidBatch: number;
}

export interface ChaosPlan {
  readonly seed: string;
  /** The run's id prefix (`runId` option), '' without one. */
  readonly runId: string;
  readonly checkouts: readonly PlannedCheckout[];
  readonly payouts: readonly PlannedPayout[];
  readonly faults: FaultRates;
}

/** Fractions of the money workloads (their own dice, so the pay-in schedule is the same with or without them). */
export interface WorkloadRates {
  readonly cancel: number;
  readonly refund: number;
  readonly dispute: number;
  /** The same for the orders of hosted-page checkouts (one charge for the checkout's orders). */
  readonly disputeHosted: number;
  readonly payoutDuplicate: number;
  readonly payoutRival: number;
}

export const DEFAULT_WORKLOAD_RATES: WorkloadRates = {
  cancel: 0.1,
  refund: 0.3,
  dispute: 0.04,
  disputeHosted: 0.04,
  payoutDuplicate: 0.3,
  payoutRival: 0.15,
};

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
  crashAfterPsp: 0.03,
  crashAfterPayout: 0.03,
  crashAfterApi: 0.03,
  crashAfterStep: 0.03,
  crashMidBatch: 0.05,
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
  workloads?: Partial<WorkloadRates>;
}): ChaosPlan {
  const seed = String(options.seed);
  const rng = seededRng(seed, 'plan');
  const int = (below: number) => Math.floor(rng() * below);
  const run = options.runId ? `${options.runId}_` : '';
  // Many buyers and sellers, but few enough that buyers repeat (velocity limits) and sellers collect.
  const buyers = Math.max(8, Math.ceil(options.checkouts / 3));
  const sellers = Math.max(5, Math.ceil(options.checkouts / 10));
  const rates = { ...DEFAULT_WORKLOAD_RATES, ...options.workloads };
  // The money workloads draw from their own streams: adding them left the pay-in schedule of a seed unchanged.
  const moneyRng = seededRng(seed, 'money');
  const money = (below: number) => Math.floor(moneyRng() * below);
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
    const cancel =
      moneyRng() < rates.cancel && !options.clean
        ? mode === PayMode.Card
          ? CancelAt.AfterSubmit
          : mode === PayMode.ThreeDs
            ? CancelAt.During3ds
            : CancelAt.PageOpen
        : undefined;
    for (let o = 0; o < orders.length; o++) {
      const order = orders[o] as PlannedOrder;
      const refund = moneyRng() < rates.refund ? planRefund(moneyRng, money) : undefined;
      const disputed = moneyRng() < (mode === PayMode.Hosted ? rates.disputeHosted : rates.dispute);
      const outcome = moneyRng() < 0.5 ? 'won' : 'lost';
      orders[o] = {
        ...order,
        ...(refund ? { refund } : {}),
        ...(disputed && !refund ? { dispute: outcome } : {}),
      };
    }
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
      ...(cancel ? { cancel } : {}),
    });
  }
  const payouts: PlannedPayout[] = [];
  for (let s = 0; s < sellers; s++) {
    const duplicates = moneyRng() < rates.payoutDuplicate ? 1 + money(3) : 0;
    const rival = moneyRng() < rates.payoutRival;
    payouts.push({
      seller: `seller_${s}`,
      duplicates: options.clean ? 0 : duplicates,
      rival: rival && !options.clean,
    });
  }
  return {
    seed,
    runId: options.runId ?? '',
    checkouts,
    payouts,
    faults: { ...DEFAULT_FAULTS, ...options.faults },
  };
}

function planRefund(rng: () => number, int: (below: number) => number): PlannedRefund {
  const kind = weighted<RefundKind>(rng, [
    [RefundKind.Full, 25],
    [RefundKind.Partial, 35],
    [RefundKind.Duplicate, 20],
    [RefundKind.Overdraw, 20],
  ]);
  const part = () => 100 + int(700); // 10% .. 80%
  switch (kind) {
    case RefundKind.Full:
      return { kind, parts: [undefined], copies: 1 };
    case RefundKind.Partial:
      return { kind, parts: rng() < 0.5 ? [part(), undefined] : [part()], copies: 1 };
    case RefundKind.Duplicate:
      return { kind, parts: [rng() < 0.5 ? part() : undefined], copies: 2 + int(3) };
    case RefundKind.Overdraw: {
      // Two or three requests at once of 55-90% each: together more than was captured.
      const count = 2 + int(2);
      return { kind, parts: Array.from({ length: count }, () => 550 + int(350)), copies: 1 };
    }
  }
}
