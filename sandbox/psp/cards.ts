/**
 * Stripe's test payment methods and test card numbers, and what each does when confirmed.
 *
 * A card number entered on the hosted page is used for exactly one thing: choosing a behaviour and a brand.
 * Only brand, last4 and expiry are kept; the number itself is never stored, echoed or logged.
 */

export type Outcome =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; declineCode?: string; message: string }
  /** 3-D Secure: the PaymentIntent goes to `requires_action` and is finished on the 3DS page or by control. */
  | { kind: 'authenticate' }
  /** Asynchronous method: `processing` now, settles (to `settleAs`) later. */
  | { kind: 'processing'; settleAs: 'succeed' | 'fail' };

export interface CardFacts {
  readonly brand: string;
  readonly last4: string;
  readonly funding: 'credit' | 'debit' | 'prepaid';
  readonly country: string;
}

/**
 * What a refund of this method's charge does (Stripe's test cards 4000000000007726 and 4000000000005126):
 * `pending` then succeeds, `pending_fails` then fails, `fails_later` reports succeeded and fails afterwards.
 * Absent: succeeds at once.
 */
export type RefundBehaviour = 'pending' | 'pending_fails' | 'fails_later';

export interface TestMethod {
  readonly type: 'card' | 'sepa_debit';
  readonly card?: CardFacts;
  readonly outcome: Outcome;
  readonly refund?: RefundBehaviour;
}

const visa = (last4: string): CardFacts => ({ brand: 'visa', last4, funding: 'credit', country: 'US' });

const DECLINED = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
} as const;
const INSUFFICIENT = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'insufficient_funds',
  message: 'Your card has insufficient funds.',
} as const;
const EXPIRED = {
  kind: 'decline',
  code: 'expired_card',
  declineCode: 'expired_card',
  message: 'Your card has expired.',
} as const;
const BAD_CVC = {
  kind: 'decline',
  code: 'incorrect_cvc',
  declineCode: 'incorrect_cvc',
  message: "Your card's security code is incorrect.",
} as const;
const PROCESSING_ERROR = {
  kind: 'decline',
  code: 'processing_error',
  declineCode: 'processing_error',
  message: 'An error occurred while processing your card. Try again in a little bit.',
} as const;

/** `payment_method` tokens accepted on PaymentIntents (Stripe's test PaymentMethods, plus two `pm_sim_*`). */
export const TEST_PAYMENT_METHODS: Readonly<Record<string, TestMethod>> = {
  pm_card_visa: { type: 'card', card: visa('4242'), outcome: { kind: 'succeed' } },
  tok_visa: { type: 'card', card: visa('4242'), outcome: { kind: 'succeed' } },
  pm_card_mastercard: {
    type: 'card',
    card: { brand: 'mastercard', last4: '4444', funding: 'credit', country: 'US' },
    outcome: { kind: 'succeed' },
  },
  pm_card_bypassPending: { type: 'card', card: visa('0077'), outcome: { kind: 'succeed' } },
  pm_card_chargeDeclined: { type: 'card', card: visa('0002'), outcome: DECLINED },
  pm_card_visa_chargeDeclined: { type: 'card', card: visa('0002'), outcome: DECLINED },
  tok_chargeDeclined: { type: 'card', card: visa('0002'), outcome: DECLINED },
  pm_card_chargeDeclinedInsufficientFunds: { type: 'card', card: visa('9995'), outcome: INSUFFICIENT },
  pm_card_visa_chargeDeclinedInsufficientFunds: { type: 'card', card: visa('9995'), outcome: INSUFFICIENT },
  pm_card_chargeDeclinedExpiredCard: { type: 'card', card: visa('0069'), outcome: EXPIRED },
  pm_card_chargeDeclinedIncorrectCvc: { type: 'card', card: visa('0127'), outcome: BAD_CVC },
  pm_card_chargeDeclinedProcessingError: { type: 'card', card: visa('0119'), outcome: PROCESSING_ERROR },
  pm_card_authenticationRequired: { type: 'card', card: visa('3184'), outcome: { kind: 'authenticate' } },
  pm_card_authenticationRequiredOnSetup: {
    type: 'card',
    card: visa('3155'),
    outcome: { kind: 'authenticate' },
  },
  pm_card_threeDSecure2Required: { type: 'card', card: visa('3220'), outcome: { kind: 'authenticate' } },
  // Simulator-only: Stripe's real "processing" case is a SEPA debit (IBAN AT32...3204), which settles days
  // later. These two tokens reproduce it: `processing` now, then succeeded / failed when settled.
  pm_sim_processing_succeeds: { type: 'sepa_debit', outcome: { kind: 'processing', settleAs: 'succeed' } },
  pm_sim_processing_fails: { type: 'sepa_debit', outcome: { kind: 'processing', settleAs: 'fail' } },
  // Simulator-only tokens for Stripe's refund test cards (no pm_card_* exists for them).
  pm_sim_refund_pending: {
    type: 'card',
    card: visa('7726'),
    outcome: { kind: 'succeed' },
    refund: 'pending',
  },
  pm_sim_refund_pending_fails: {
    type: 'card',
    card: visa('7726'),
    outcome: { kind: 'succeed' },
    refund: 'pending_fails',
  },
  pm_sim_refund_fails: {
    type: 'card',
    card: visa('5126'),
    outcome: { kind: 'succeed' },
    refund: 'fails_later',
  },
};

/** Card numbers for the hosted page. Any other Luhn-valid number is refused as a live card (test mode). */
const TEST_CARD_NUMBERS: Readonly<Record<string, Outcome>> = {
  '4242424242424242': { kind: 'succeed' },
  '4000056655665556': { kind: 'succeed' },
  '5555555555554444': { kind: 'succeed' },
  '2223003122003222': { kind: 'succeed' },
  '378282246310005': { kind: 'succeed' },
  '6011111111111117': { kind: 'succeed' },
  '4000000000000077': { kind: 'succeed' },
  '4000000000000002': DECLINED,
  '4000000000009995': INSUFFICIENT,
  '4000000000000069': EXPIRED,
  '4000000000000127': BAD_CVC,
  '4000000000000119': PROCESSING_ERROR,
  '4000002500003155': { kind: 'authenticate' },
  '4000002760003184': { kind: 'authenticate' },
  '4000000000003220': { kind: 'authenticate' },
};

export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export function brandOf(digits: string): string {
  if (digits.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  return 'unknown';
}

export type CardCheck =
  | { ok: true; card: CardFacts; outcome: Outcome }
  | { ok: false; code: 'incorrect_number' | 'invalid_number'; message: string };

/** Classifies an entered number; the caller must drop the number once this returns. */
export function classifyCardNumber(entered: string): CardCheck {
  const digits = entered.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) {
    return { ok: false, code: 'invalid_number', message: 'Your card number is invalid.' };
  }
  if (!luhnValid(digits)) {
    return { ok: false, code: 'incorrect_number', message: 'Your card number is incorrect.' };
  }
  const card: CardFacts = {
    brand: brandOf(digits),
    last4: digits.slice(-4),
    funding: 'credit',
    country: 'US',
  };
  const outcome: Outcome = TEST_CARD_NUMBERS[digits] ?? {
    kind: 'decline',
    code: 'card_declined',
    declineCode: 'test_mode_live_card',
    message: 'Your card was declined. Your request was in test mode, but used a non test card.',
  };
  return { ok: true, card, outcome };
}
