/**
 * The payout provider port on Stripe Connect (separate charges and transfers): a transfer from the platform to
 * the seller's connected account (`transfer_group` = payout id, metadata.payout_id, idempotency key from the
 * payout id), then a payout of that amount from the connected account to its bank (`Stripe-Account`, metadata
 * payout_id). The bank payout's `payout.paid` / `payout.failed` events give the result; a failed or returned
 * bank payout is recovered by reversing the transfer, so the money is back in the platform's balance.
 *
 * Exactly once beyond the 24 h idempotency window: every step first lists what exists (transfers by
 * transfer_group; the account's payouts by metadata), so a retry days later continues instead of re-sending.
 */
import Stripe from 'stripe';
import { toStripeAmount } from '../psp/currencies';
import { PayoutProviderPermanentError, PayoutProviderTransientError } from './errors';
import type { PayoutInstruction, PayoutProvider, ProviderPayout } from './port';

/** A refusal that proves nothing moved (Stripe's 4xx invalid request): the payout fails with this code. */
export class ProviderRejectedError extends Error {
  constructor(
    message: string,
    readonly providerCode: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderRejectedError';
  }
}

function classify(error: unknown): Error {
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode ?? 0;
    const message = `stripe ${error.type}${error.code ? ` (${error.code})` : ''}: ${error.message}`;
    if (
      error instanceof Stripe.errors.StripeConnectionError ||
      error instanceof Stripe.errors.StripeRateLimitError ||
      error instanceof Stripe.errors.StripeAPIError ||
      status === 0 ||
      status === 409 ||
      status === 429 ||
      status >= 500
    ) {
      return new PayoutProviderTransientError(message, { cause: error });
    }
    // A key reused with other parameters, or our own credentials: proves nothing about the money.
    if (
      error instanceof Stripe.errors.StripeIdempotencyError ||
      error instanceof Stripe.errors.StripeAuthenticationError ||
      error instanceof Stripe.errors.StripePermissionError
    ) {
      return new PayoutProviderPermanentError(message, error.code, { cause: error });
    }
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      return new ProviderRejectedError(message, error.code ?? 'invalid_request', { cause: error });
    }
    return new PayoutProviderPermanentError(message, error.code, { cause: error });
  }
  return new PayoutProviderTransientError(
    `payout provider call failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw classify(error);
  }
}

function bankState(payout: Stripe.Payout): ProviderPayout['state'] {
  switch (payout.status) {
    case 'paid':
      return 'paid';
    case 'failed':
    case 'canceled':
      return 'failed';
    case 'pending':
    case 'in_transit':
      return 'in_flight';
    default:
      // A status we do not know is not an answer.
      return 'in_flight';
  }
}

export class StripeConnectProvider implements PayoutProvider {
  constructor(private readonly stripe: Stripe) {}

  private async findTransfer(i: PayoutInstruction): Promise<Stripe.Transfer | undefined> {
    const list = await call(() => this.stripe.transfers.list({ transfer_group: i.payoutId, limit: 10 }));
    const mine = list.data.filter(
      (t) => t.metadata?.payout_id === i.payoutId || t.transfer_group === i.payoutId,
    );
    if (mine.length > 1) {
      // Never expected (every create is looked up first); a person must see it.
      throw new PayoutProviderPermanentError(
        `payout ${i.payoutId} has ${mine.length} transfers at Stripe`,
        'duplicate_transfer',
      );
    }
    return mine[0];
  }

  private async findBankPayout(i: PayoutInstruction): Promise<Stripe.Payout | undefined> {
    // Payouts are few per account; the newest 100 cover any retry of this one.
    const list = await call(() => this.stripe.payouts.list({ limit: 100 }, { stripeAccount: i.destination }));
    return list.data.find((p) => p.metadata?.payout_id === i.payoutId);
  }

  async lookup(i: PayoutInstruction): Promise<ProviderPayout | undefined> {
    const transfer = await this.findTransfer(i);
    if (!transfer) return undefined;
    const bank = await this.findBankPayout(i);
    return this.stateOf(transfer, bank);
  }

  private stateOf(transfer: Stripe.Transfer, bank: Stripe.Payout | undefined): ProviderPayout {
    if (!bank) {
      // A transfer the platform reversed in full never reached the bank.
      if (transfer.reversed)
        return { state: 'failed', reference: transfer.id, failureCode: 'transfer_reversed' };
      return { state: 'in_flight', reference: transfer.id };
    }
    const state = bankState(bank);
    return {
      state,
      reference: transfer.id,
      bankPayoutId: bank.id,
      ...(state === 'failed' ? { failureCode: bank.failure_code ?? 'could_not_process' } : {}),
    };
  }

  async advance(i: PayoutInstruction): Promise<ProviderPayout> {
    const { amount, currency } = toStripeAmount(i.amount);
    let transfer = await this.findTransfer(i);
    if (!transfer) {
      try {
        transfer = await call(() =>
          this.stripe.transfers.create(
            {
              amount,
              currency,
              destination: i.destination,
              transfer_group: i.payoutId,
              metadata: { payout_id: i.payoutId, seller_id: i.sellerId },
            },
            { idempotencyKey: `payout-${i.payoutId}-transfer` },
          ),
        );
      } catch (error) {
        if (error instanceof ProviderRejectedError)
          return { state: 'failed', failureCode: error.providerCode };
        throw error;
      }
    }
    const existing = await this.findBankPayout(i);
    if (existing) return this.stateOf(transfer, existing);
    if (transfer.reversed) return this.stateOf(transfer, undefined);
    try {
      const bank = await call(() =>
        this.stripe.payouts.create(
          { amount, currency, metadata: { payout_id: i.payoutId, seller_id: i.sellerId } },
          { stripeAccount: i.destination, idempotencyKey: `payout-${i.payoutId}-bank` },
        ),
      );
      return this.stateOf(transfer, bank);
    } catch (error) {
      if (!(error instanceof ProviderRejectedError)) throw error;
      // The bank payout was refused (an errored bank account): the money sits in the connected account.
      // Take it back before the payout is reported failed, so "failed" means the platform has it again.
      try {
        await this.recover(i, transfer.id);
      } catch (recovery) {
        if (!(recovery instanceof ProviderRejectedError)) throw recovery;
        // Refused too (the connected account's balance no longer covers it): not failed, since the money left
        // the platform, and no retry moves it. In flight, stuck, for a person.
        return {
          state: 'in_flight',
          reference: transfer.id,
          stuck: `bank payout refused (${error.providerCode}); transfer reversal refused (${recovery.providerCode})`,
        };
      }
      return { state: 'failed', reference: transfer.id, failureCode: error.providerCode };
    }
  }

  async recover(i: PayoutInstruction, reference: string): Promise<void> {
    const transfer = await call(() => this.stripe.transfers.retrieve(reference));
    if (transfer.amount_reversed >= transfer.amount) return;
    await call(() =>
      this.stripe.transfers.createReversal(
        reference,
        { amount: transfer.amount - transfer.amount_reversed, metadata: { payout_id: i.payoutId } },
        { idempotencyKey: `payout-${i.payoutId}-recover` },
      ),
    );
  }
}
