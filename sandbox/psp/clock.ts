/**
 * The simulator's notion of "now". Everything time-dependent (object `created`, session expiry, async
 * settlement, the settlement day of a balance transaction) reads this clock, never `Date.now()`, so tests can
 * inject a fixed start and move time forward on demand. Time only moves forward.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class SimClock implements Clock {
  private offsetMs = 0;

  constructor(private readonly base: Clock = systemClock) {}

  now(): number {
    return this.base.now() + this.offsetMs;
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** How far the clock was moved ahead of its base (saved across restarts). */
  offset(): number {
    return this.offsetMs;
  }

  /** Restores a saved offset: a restarted simulator keeps the time it had moved to. */
  restoreOffset(ms: number): void {
    if (Number.isFinite(ms) && ms > this.offsetMs) this.offsetMs = ms;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`clock can only move forward (got ${ms} ms)`);
    this.offsetMs += ms;
  }

  /** Moves the clock to an absolute instant, which must not be in the past. */
  setTo(epochMs: number): void {
    this.advance(epochMs - this.now());
  }
}
