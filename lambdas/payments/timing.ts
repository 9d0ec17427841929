/** The pay-in's deadlines: when the sweeper looks at an order, and for how long a PSP key may be reused. */

export interface Timing {
  /** How long an order may stay EXECUTING before the sweeper asks the PSP (a lost response, a crash). */
  readonly executingTimeoutMs: number;
  /** How often the sweeper re-checks a PENDING order, and backs off from one it could not move. */
  readonly pendingRecheckMs: number;
  /**
   * The longest wait between two looks at an order still waiting on its buyer: the wait grows with the
   * order's age (half of it) from `pendingRecheckMs` up to this. Its events are what normally moves such an
   * order; the look only catches a lost one, so a buyer who left is not asked after every 10 minutes for a day
   * (144 PSP reads and due-index writes) but about 18 times.
   */
  readonly pendingRecheckMaxMs: number;
  /** How long an order may stay PENDING (3-D Secure never answered) before it is canceled and FAILED. */
  readonly pendingExpiryMs: number;
  /** After this many sweeps that could not move an order, a person is told (a needs-attention record). */
  readonly attentionAfterSweeps: number;
}

export const DEFAULT_TIMING: Timing = {
  executingTimeoutMs: 2 * 60_000,
  pendingRecheckMs: 10 * 60_000,
  pendingRecheckMaxMs: 2 * 60 * 60_000,
  pendingExpiryMs: 24 * 60 * 60_000,
  attentionAfterSweeps: 10,
};

/**
 * When to look again at an order that is still waiting on its buyer: half its age, at least
 * `pendingRecheckMs`, at most `pendingRecheckMaxMs`, and never past its expiry (the look then cancels it).
 */
export function waitingRecheckAt(timing: Timing, createdAt: string, now: Date): string {
  const age = Math.max(0, now.getTime() - Date.parse(createdAt));
  const wait = Math.min(timing.pendingRecheckMaxMs, Math.max(timing.pendingRecheckMs, age / 2));
  const expiry = Date.parse(createdAt) + timing.pendingExpiryMs;
  const at = Math.max(now.getTime() + timing.pendingRecheckMs, Math.min(now.getTime() + wait, expiry));
  return new Date(Number.isFinite(at) ? at : now.getTime() + timing.pendingRecheckMs).toISOString();
}
