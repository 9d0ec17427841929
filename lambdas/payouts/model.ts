/**
 * The pay-out vocabulary: sellers' payout settings, payouts and their statuses, why a seller cannot be paid,
 * and what a seller is told when a payout fails. Pure: no storage, no provider.
 *
 * Statuses move forward only:
 *   CREATED (hold reserved) -> SUBMITTED (the provider has it) -> PAID (hold posted) -> RETURNED (paid, then
 *   the bank sent it back: posting reversed, hold voided, money available again);
 *   CREATED | SUBMITTED -> FAILED (hold voided) only on the provider's evidence that no money reached the seller.
 */
import type { CurrencyCode, Money } from '../money';

export const PayoutStatus = {
  Created: 'CREATED',
  Submitted: 'SUBMITTED',
  Paid: 'PAID',
  Failed: 'FAILED',
  Returned: 'RETURNED',
} as const;
export type PayoutStatus = (typeof PayoutStatus)[keyof typeof PayoutStatus];

/** Still waiting on the provider: looked up by the workflow and the sweeper. */
export const OPEN_STATUSES: readonly PayoutStatus[] = ['CREATED', 'SUBMITTED'];
export const isOpen = (status: PayoutStatus): boolean => OPEN_STATUSES.includes(status);

/**
 * Who pays the seller: Stripe Connect (a transfer to the connected account, then its bank payout), or the
 * payee network, an asynchronous provider shaped like Tipalti (submitted -> paid -> cleared, results by its
 * own signed webhook). The seller's destination chooses.
 */
export const ProviderKind = { StripeConnect: 'stripe_connect', PayeeNetwork: 'payee_network' } as const;
export type ProviderKind = (typeof ProviderKind)[keyof typeof ProviderKind];

export const Schedule = { Manual: 'manual', Daily: 'daily', Weekly: 'weekly' } as const;
export type Schedule = (typeof Schedule)[keyof typeof Schedule];

export const DestinationStatus = { Ok: 'ok', Errored: 'errored' } as const;
export type DestinationStatus = (typeof DestinationStatus)[keyof typeof DestinationStatus];

export interface Destination {
  readonly provider: ProviderKind;
  /** Stripe: the connected account `acct_...`; the payee network: the payee id `payee_...`. */
  readonly account: string;
}

export interface SellerPayoutSettings {
  readonly sellerId: string;
  readonly destination: Destination;
  readonly destinationStatus: DestinationStatus;
  /** Why the destination is errored, as the provider said it (e.g. account_closed). */
  readonly destinationError?: string;
  readonly schedule: Schedule;
  /** Per currency: below this the scheduled sweep does not pay (a request still may, at or above it). */
  readonly minimums: Readonly<Partial<Record<CurrencyCode, bigint>>>;
  /** Days after a pay-in before its money is payable. */
  readonly holdDays: number;
  readonly paused: boolean;
  /** Optimistic lock: every payout created for the seller moves it, so payability checks are serialized. */
  readonly version: number;
  readonly updatedAt: string;
}

/** Why nothing (or not this much) can be paid now. */
export const NotPayableReason = {
  NoDestination: 'no_destination',
  Paused: 'paused',
  DestinationErrored: 'destination_errored',
  NegativeBalance: 'negative_balance',
  DisputeHold: 'dispute_hold',
  InHoldPeriod: 'in_hold_period',
  BelowMinimum: 'below_minimum',
  NothingAvailable: 'nothing_available',
} as const;
export type NotPayableReason = (typeof NotPayableReason)[keyof typeof NotPayableReason];

/** Reasons that block every payout, whatever the amount. */
export const BLOCKING_REASONS: ReadonlySet<NotPayableReason> = new Set([
  'no_destination',
  'paused',
  'destination_errored',
  'negative_balance',
  'dispute_hold',
]);

export interface Payability {
  readonly currency: CurrencyCode;
  readonly available: Money;
  /** Part of available still in its hold period (not payable yet). */
  readonly pending: Money;
  readonly payable: Money;
  readonly reserved: Money;
  readonly paidOut: Money;
  /** Owed to the platform (refunds/disputes the wallet could not cover); > 0 blocks payouts. */
  readonly receivable: Money;
  /** Held for open disputes; > 0 blocks payouts. */
  readonly disputeHeld: Money;
  readonly minimum: Money;
  /** Empty when `payable` can be paid now. */
  readonly reasons: readonly NotPayableReason[];
}

export interface PayoutHistoryEntry {
  readonly at: string;
  readonly from: PayoutStatus | null;
  readonly to: PayoutStatus;
  /** Who moved it: api, schedule, pay-out-workflow, psp-webhook, sweeper. */
  readonly by: string;
  readonly reason?: string;
}

export interface Payout {
  readonly payout_id: string;
  readonly seller_id: string;
  readonly currency: CurrencyCode;
  /** Minor units. */
  readonly amount: number;
  readonly status: PayoutStatus;
  readonly provider: ProviderKind;
  readonly destination_account: string;
  readonly origin: 'api' | 'schedule';
  readonly created_at: string;
  readonly updated_at: string;
  /** When the hold lapses: past it, the sweeper looks the payout up at the provider. */
  readonly hold_expires_at: string;
  readonly next_check_at?: string;
  /** Stripe: the transfer id. */
  readonly provider_reference?: string;
  /** Stripe: the connected account's bank payout id. */
  readonly bank_payout_id?: string;
  readonly failure_code?: string;
  readonly failure_message?: string;
  readonly task_token?: string;
  readonly lookups?: number;
  /** Lookups that threw, in a row (the sweeper backs off and, past a few, tells a person). */
  readonly failed_lookups?: number;
  readonly version: number;
}

/** What a seller reads when a payout did not reach them, by the provider's failure code. */
const SELLER_MESSAGES: Record<string, string> = {
  account_closed: 'Your bank account is closed. Update your payout bank account to be paid.',
  no_account: 'Your bank could not find the account. Check the account number and update it.',
  invalid_account_number: 'The bank account number is not valid. Update your payout bank account.',
  account_frozen: 'Your bank account is frozen. Contact your bank, then update your payout details.',
  debit_not_authorized: 'Your bank refused the payment. Contact your bank or use another account.',
  insufficient_funds:
    'The payout could not be funded; the money is back in your balance and will be retried.',
  bank_account_unusable: 'Your bank account cannot receive payouts. Update your payout bank account.',
  balance_insufficient: 'The payout could not be funded; the money is back in your balance.',
  destination_invalid: 'Your payout account is not set up to receive money. Update your payout details.',
  payee_details_invalid:
    'The payout provider refused your payee details. Check your bank details and update them to be paid.',
  bank_returned: 'Your bank sent the payout back. Check your bank details and update them to be paid.',
  payee_not_found: 'The payout provider does not know your payee account. Update your payout details.',
};

export function sellerFailureMessage(code: string | undefined): string {
  return (
    (code ? SELLER_MESSAGES[code] : undefined) ??
    'The payout could not be completed; the money is back in your balance.'
  );
}
