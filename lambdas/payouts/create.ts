/**
 * Creating a payout: checks what the seller can be paid, then writes the payout, its first history entry and
 * the hold (available -> reserved, conditioned on the balance) in ONE TransactWriteItems, together with a
 * bump of the seller's version. So a refusal (`insufficient_funds`, not payable) writes nothing, and
 * concurrent requests for one seller are serialized: the loser reads again and re-checks, so neither the
 * balance nor money still in its hold period can be overdrawn. The workflow is started afterwards; if that
 * start is lost, the sweeper finds the payout (CREATED past its first check) and drives it the same way.
 */
import { InsufficientFundsError, reserveHold } from '../ledger';
import { type CurrencyCode, formatAmount, type Money } from '../money';
import { PayoutError } from './errors';
import type { Payout } from './model';
import { blockingReasons, payabilityOf } from './payability';
import {
  getPayout,
  getSeller,
  ledgerOf,
  newPayoutGuards,
  nowOf,
  PayoutExistsError,
  type PayoutsContext,
  SellerChangedError,
  sellerVersionGuard,
} from './store';

export interface CreatePayoutInput {
  readonly payoutId: string;
  readonly sellerId: string;
  readonly currency: CurrencyCode;
  /** Undefined: everything payable now. */
  readonly amount?: Money;
  readonly origin: 'api' | 'schedule';
  /** A scheduled payout is made only when the payable amount reaches the seller's minimum. */
  readonly enforceMinimum?: boolean;
}

export interface CreateTiming {
  /** How long a hold lives before the sweeper must resolve it by lookup. */
  readonly holdTtlMs: number;
  /** When the sweeper first looks at a payout (its workflow should have submitted it by then). */
  readonly firstCheckMs: number;
}

export const DEFAULT_CREATE_TIMING: CreateTiming = { holdTtlMs: 7 * 86_400_000, firstCheckMs: 10 * 60_000 };

const MAX_ATTEMPTS = 8;

export async function createPayout(
  ctx: PayoutsContext,
  input: CreatePayoutInput,
  timing: CreateTiming = DEFAULT_CREATE_TIMING,
): Promise<{ payout: Payout; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const existing = await getPayout(ctx, input.payoutId);
    if (existing) return { payout: existing, created: false };
    const settings = await getSeller(ctx, input.sellerId);
    if (!settings) {
      throw new PayoutError('seller_not_found', `seller ${input.sellerId} has no payout settings`, {
        seller_account: input.sellerId,
      });
    }
    const payability = (await payabilityOf(ctx, input.sellerId, settings)).find(
      (p) => p.currency === input.currency,
    );
    const payable = payability?.payable ?? { currency: input.currency, minor: 0n };
    const reasons = payability ? payability.reasons : ['nothing_available'];
    const blocking = payability ? blockingReasons(payability) : [];
    if (blocking.length > 0) {
      throw new PayoutError(
        'payout_not_payable',
        `seller ${input.sellerId} cannot be paid now: ${blocking.join(', ')}`,
        {
          reasons: blocking,
        },
      );
    }
    const amount = input.amount ?? payable;
    const details = {
      requested: formatAmount(amount),
      payable: formatAmount(payable),
      currency: input.currency,
      reasons,
    };
    if (input.amount === undefined && payable.minor === 0n) {
      throw new PayoutError('payout_not_payable', 'nothing is payable now', details);
    }
    if (amount.minor > payable.minor) {
      throw new PayoutError('insufficient_funds', 'the amount is more than the payable balance', details);
    }
    if (input.enforceMinimum && payability && amount.minor < payability.minimum.minor) {
      throw new PayoutError('payout_not_payable', 'the payable amount is below the seller minimum', details);
    }
    const now = nowOf(ctx);
    const payout: Payout = {
      payout_id: input.payoutId,
      seller_id: input.sellerId,
      currency: input.currency,
      amount: Number(amount.minor),
      status: 'CREATED',
      provider: settings.destination.provider,
      destination_account: settings.destination.account,
      origin: input.origin,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      hold_expires_at: new Date(now.getTime() + timing.holdTtlMs).toISOString(),
      next_check_at: new Date(now.getTime() + timing.firstCheckMs).toISOString(),
      version: 1,
    };
    try {
      await reserveHold(
        ledgerOf(ctx),
        { sellerId: input.sellerId, payoutId: input.payoutId, amount, expiresAt: payout.hold_expires_at },
        { guards: [...newPayoutGuards(ctx, payout, input.origin), sellerVersionGuard(ctx, settings)] },
      );
      return { payout, created: true };
    } catch (error) {
      if (error instanceof PayoutExistsError) continue; // a concurrent retry of the same payout: answer it
      if (error instanceof InsufficientFundsError) {
        throw new PayoutError('insufficient_funds', 'the amount is more than the available balance', details);
      }
      if (!(error instanceof SellerChangedError)) throw error;
      if (attempt >= MAX_ATTEMPTS) {
        throw new PayoutError(
          'contention',
          'too many concurrent payouts for this seller; retry',
          {},
          { cause: error },
        );
      }
      // Full jitter: colliding requests for one seller spread out.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * Math.min(1_000, 20 * 2 ** attempt))));
    }
  }
}
