/**
 * Stripe SDK errors onto our kinds (see errors.ts), by the SDK's class and the raw `type`, never by `code`
 * alone: a reused idempotency key is `type: idempotency_error` with an EMPTY code. The default is transient
 * (indeterminate): an error class we do not know proves nothing about the payment.
 */
import Stripe from 'stripe';
import {
  PspIdempotencyError,
  PspInFlightError,
  PspPermanentError,
  PspTransientError,
  PspUnauthorizedError,
} from './errors';

export type ClassifiedPspError = PspTransientError | PspPermanentError;

/** Our client stopped waiting (the SDK's timeout, or an abort): the request may still be running at the PSP. */
function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const detail = (error as { detail?: unknown }).detail;
  const code = (error as { code?: unknown }).code;
  return (
    code === 'ETIMEDOUT' ||
    error.name === 'AbortError' ||
    error.name === 'TimeoutError' ||
    (detail instanceof Error && isTimeout(detail)) ||
    // stripe-node's StripeConnectionError for its own timeout.
    /timeout being reached/i.test(error.message)
  );
}

export function classifyStripeError(error: unknown): ClassifiedPspError {
  if (!(error instanceof Stripe.errors.StripeError)) {
    // A timeout or a dropped connection can surface as a plain error from the HTTP layer.
    const message = `PSP call failed: ${error instanceof Error ? error.message : String(error)}`;
    return isTimeout(error)
      ? new PspInFlightError(message, { cause: error })
      : new PspTransientError(message, { cause: error });
  }
  const httpStatus = error.statusCode;
  const status = httpStatus ?? 0;
  const code = error.code;
  const message = `stripe ${error.type}${error.rawType ? `/${error.rawType}` : ''}${code ? ` (${code})` : ''}: ${error.message}`;
  const options = { cause: error, ...(httpStatus !== undefined ? { httpStatus } : {}) };
  // Order matters: a 409 "key in use" is also type idempotency_error, but it is a retry-later, not a conflict.
  // In flight: a 409 (the key, or the object, is held by a request still executing) or our own timeout.
  if (status === 409 || (error instanceof Stripe.errors.StripeConnectionError && isTimeout(error))) {
    return new PspInFlightError(message, options);
  }
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error instanceof Stripe.errors.StripeAPIError ||
    status === 0 ||
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
