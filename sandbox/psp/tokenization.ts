/**
 * Card tokenization from a browser, as Stripe.js does it: `POST /v1/payment_methods` with the PUBLISHABLE key
 * (`key=pk_test_...` in the form body, so the request is a CORS "simple request" with no preflight) and
 * `type=card&card[number]&card[exp_month]&card[exp_year]&card[cvc]`. It answers a PaymentMethod (`pm_...`) that
 * the storefront passes to its backend; the card number goes from the browser to here and nowhere else. It is
 * classified (cards.ts) and dropped in this function: only brand, last4 and expiry are kept.
 *
 * A publishable key can do nothing else: every other route still needs a secret key (server.ts).
 */
import { classifyCardNumber } from './cards';
import type { PspEngine } from './engine';
import { invalidRequest, StripeApiError } from './errors';
import { parseForm } from './form';

export const TOKENIZATION_PATH = '/v1/payment_methods';

export interface TokenizationResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

/** Browsers on any origin may tokenize (Stripe.js runs on the merchant's page). */
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '600',
};

/** Is this a browser tokenization (publishable key in the body), rather than a server call with a secret key? */
export function isTokenization(method: string, pathname: string, body: string): boolean {
  if (pathname !== TOKENIZATION_PATH) return false;
  if (method === 'OPTIONS') return true;
  return method === 'POST' && (new URLSearchParams(body).get('key') ?? '').startsWith('pk_');
}

function cardError(code: string, message: string, param: string): StripeApiError {
  return new StripeApiError(402, { type: 'card_error', code, message, param });
}

export function tokenize(
  engine: PspEngine,
  method: string,
  body: string,
  acceptsPublishableKey: (key: string) => boolean,
): TokenizationResponse {
  const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...CORS };
  if (method === 'OPTIONS') return { status: 204, body: '', headers };
  const fail = (error: StripeApiError) => ({ status: error.statusCode, body: error.toJSON(), headers });
  const form = parseForm(body) as Record<string, unknown>;
  const key = String(form.key ?? '');
  if (!acceptsPublishableKey(key)) {
    return fail(
      new StripeApiError(401, {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: ${key.slice(0, 8)}...`,
      }),
    );
  }
  if (form.type !== 'card') return fail(invalidRequest('Invalid type: must be card', { param: 'type' }));
  const card = (form.card ?? {}) as Record<string, unknown>;
  // Read the number into a local, classify it, and let it go out of scope with this function.
  const check = classifyCardNumber(String(card.number ?? ''));
  delete card.number;
  if (!check.ok) return fail(cardError(check.code, check.message, 'card[number]'));
  const month = Number(card.exp_month);
  let year = Number(card.exp_year);
  if (year < 100) year += 2000;
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    return fail(
      cardError('invalid_expiry_month', "Your card's expiration month is invalid.", 'card[exp_month]'),
    );
  }
  const now = new Date(engine.clock.now());
  if (!Number.isInteger(year) || year * 12 + month < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1) {
    return fail(
      cardError('invalid_expiry_year', "Your card's expiration year is invalid.", 'card[exp_year]'),
    );
  }
  if (!/^\d{3,4}$/.test(String(card.cvc ?? ''))) {
    return fail(cardError('invalid_cvc', "Your card's security code is invalid.", 'card[cvc]'));
  }
  delete card.cvc;
  engine.tick();
  const billing = (form.billing_details ?? {}) as Record<string, unknown>;
  const pm = engine.cardPaymentMethod(check.card, check.outcome, {
    expMonth: month,
    expYear: year,
    email: typeof billing.email === 'string' ? billing.email : null,
    name: typeof billing.name === 'string' ? billing.name : null,
  });
  return { status: 200, body: pm, headers };
}
