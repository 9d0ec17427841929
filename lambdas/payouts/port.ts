/**
 * The payout provider port. Every call is keyed by our payout id, and `advance` LOOKS UP before it creates:
 * what exists at the provider for this payout (found by metadata or transfer group, never only by an
 * idempotency key, which expires after 24 h) is continued, so a payout is sent once whatever the retries,
 * crashes and lost answers.
 */
import type { Money } from '../money';

export const ProviderState = {
  /** Sent, no final answer yet. */
  InFlight: 'in_flight',
  Paid: 'paid',
  /** Evidence that no money reached the seller (rejected, failed, or returned and taken back). */
  Failed: 'failed',
} as const;
export type ProviderState = (typeof ProviderState)[keyof typeof ProviderState];

export interface PayoutInstruction {
  readonly payoutId: string;
  readonly sellerId: string;
  readonly amount: Money;
  /** The destination at the provider (Stripe: the connected account). */
  readonly destination: string;
}

export interface ProviderPayout {
  readonly state: ProviderState;
  /** Stripe: the transfer. */
  readonly reference?: string;
  /** Stripe: the connected account's bank payout. */
  readonly bankPayoutId?: string;
  readonly failureCode?: string;
  /** The destination itself is broken (a refused or returned bank payment): stop paying it until updated. */
  readonly destinationFailed?: boolean;
  /**
   * In flight and stuck there: the provider refused the step that would carry it on and the step that would
   * take it back (Stripe: the bank payout and the transfer reversal). The money is at the destination; no
   * retry changes that, so a person decides (needs-attention). What was refused, for that person.
   */
  readonly stuck?: string;
}

export interface PayoutProvider {
  /** Find what exists for the payout and carry it forward (create only what is missing). */
  advance(instruction: PayoutInstruction): Promise<ProviderPayout>;
  /** Find what exists, creating nothing: undefined when the provider has nothing for this payout. */
  lookup(instruction: PayoutInstruction): Promise<ProviderPayout | undefined>;
  /**
   * The money came back to the destination's provider balance (a failed or returned bank payout): take it
   * back to the platform. Idempotent.
   */
  recover(instruction: PayoutInstruction, reference: string): Promise<void>;
}
