/**
 * Stripe's error envelope (`{ "error": { type, code, message, param, ... } }`) and the HTTP statuses Stripe
 * pairs with each kind. Handlers throw `StripeApiError`; the server turns it into the wire response.
 */

export type StripeErrorType = 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  code?: string;
  decline_code?: string;
  message?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
  request_log_url?: string;
}

export class StripeApiError extends Error {
  override readonly name = 'StripeApiError';

  constructor(
    readonly statusCode: number,
    readonly body: StripeErrorBody,
    /** Stripe saves a result for an idempotency key only once endpoint execution began (not for bad input). */
    readonly replayable = !(statusCode === 400 || statusCode === 404) ||
      body.type !== 'invalid_request_error',
  ) {
    super(body.message ?? body.type);
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

export function docUrl(code: string): string {
  return `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
}

export function invalidRequest(
  message: string,
  options: { param?: string; code?: string; status?: number; replayable?: boolean } = {},
): StripeApiError {
  const body: StripeErrorBody = { type: 'invalid_request_error', message };
  if (options.code) {
    body.code = options.code;
    body.doc_url = docUrl(options.code);
  }
  if (options.param) body.param = options.param;
  return new StripeApiError(options.status ?? 400, body, options.replayable);
}

export function missingParam(param: string): StripeApiError {
  return invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing' });
}

export function resourceMissing(kind: string, id: string, param = 'id'): StripeApiError {
  return invalidRequest(`No such ${kind}: '${id}'`, { param, code: 'resource_missing', status: 404 });
}

export function unexpectedState(message: string, code = 'payment_intent_unexpected_state'): StripeApiError {
  // Execution began (the object was read and judged), so Stripe stores and replays this one.
  return invalidRequest(message, { code, replayable: true });
}

export function authenticationError(message: string): StripeApiError {
  return new StripeApiError(401, { type: 'invalid_request_error', message }, false);
}

/** A key rolled out (Stripe's "roll key" with its expiry passed). */
export function expiredKeyError(redactedKey: string): StripeApiError {
  return new StripeApiError(
    401,
    {
      type: 'invalid_request_error',
      code: 'api_key_expired',
      doc_url: docUrl('api_key_expired'),
      message: `Expired API Key provided: ${redactedKey}`,
    },
    false,
  );
}

export function rateLimitError(): StripeApiError {
  return new StripeApiError(
    429,
    {
      type: 'invalid_request_error',
      code: 'rate_limit',
      doc_url: docUrl('rate_limit'),
      message:
        'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    },
    false,
  );
}

/**
 * A 5xx raised once the request began executing: Stripe saves it for the idempotency key like any result, so
 * a retry with the same key gets the same error again (for 24 h). Whether the work was done is unknown.
 */
export function storedServerError(status: number): StripeApiError {
  return new StripeApiError(
    status,
    {
      type: 'api_error',
      message:
        'An unknown error occurred while processing your request. Retrying with the same idempotency key returns the same result.',
    },
    true,
  );
}

export function serverError(status: number): StripeApiError {
  return new StripeApiError(
    status,
    {
      type: 'api_error',
      message:
        'An unknown error occurred while processing your request. The request was not applied; it is safe to retry.',
    },
    false,
  );
}
