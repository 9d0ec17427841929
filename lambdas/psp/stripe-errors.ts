/**
 * Stripe SDK errors onto our kinds (see errors.ts), by the SDK's class and the raw `type`, never by `code`
 * alone: a reused idempotency key is `type: idempotency_error` with an EMPTY code. The default is transient
 * (indeterminate): an error class we do not know proves nothing about the payment.
 */
import Stripe from 'stripe';
import { PspIdempotencyError, PspPermanentError, PspTransientError, PspUnauthorizedError } from './errors';

export type ClassifiedPspError = PspTransientError | PspPermanentError;

export function classifyStripeError(error: unknown): ClassifiedPspError {
  if (!(error instanceof Stripe.errors.StripeError)) {
    // A timeout or a dropped connection can surface as a plain error from the HTTP layer.
    return new PspTransientError(
      `PSP call failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const httpStatus = error.statusCode;
  const status = httpStatus ?? 0;
  const code = error.code;
  const message = `stripe ${error.type}${error.rawType ? `/${error.rawType}` : ''}${code ? ` (${code})` : ''}: ${error.message}`;
  const options = { cause: error, ...(httpStatus !== undefined ? { httpStatus } : {}) };
  // Order matters: a 409 "key in use" is also type idempotency_error, but it is a retry-later, not a conflict.
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeAPIError ||
    status === 0 ||
    status === 409 ||
    status === 429 ||
    status >= 500
  ) {
    return new PspTransientError(message, options);
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError || error.rawType === 'idempotency_error') {
    return new PspIdempotencyError(message, code, options);
  }
  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError ||
    status === 401 ||
    status === 403
  ) {
    return new PspUnauthorizedError(message, code, options);
  }
  // A 400/404 invalid request: the PSP did nothing. A card error reaching here (the caller answers a decline
  // with its PaymentIntent first) carries no PaymentIntent, so it is also a refusal of the request.
  if (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeCardError
  ) {
    return new PspPermanentError(message, code, options);
  }
  return new PspTransientError(message, options);
}
