/** The pay-in's deadlines: when the sweeper looks at an order, and for how long a PSP key may be reused. */

export interface Timing {
  /** How long an order may stay EXECUTING before the sweeper asks the PSP (a lost response, a crash). */
  readonly executingTimeoutMs: number;
  /** How often the sweeper re-checks a PENDING order, and backs off from one it could not move. */
  readonly pendingRecheckMs: number;
  /** How long an order may stay PENDING (3-D Secure never answered) before it is canceled and FAILED. */
  readonly pendingExpiryMs: number;
  /**
   * How long after creation a charge may still be retried with the same idempotency key. Stripe keeps keys
   * 24 h; past this margin a retry could create a second charge, so the order goes to a person instead.
   */
  readonly idempotencyWindowMs: number;
}

export const DEFAULT_TIMING: Timing = {
  executingTimeoutMs: 2 * 60_000,
  pendingRecheckMs: 10 * 60_000,
  pendingExpiryMs: 24 * 60 * 60_000,
  idempotencyWindowMs: 20 * 60 * 60_000,
};
