/**
 * The API's errors and the ONE place where domain errors become HTTP answers. Every failure leaves as
 * `{ "error": { "code", "message", "details"?, "request_id" } }`; client errors (`expose`) say what was wrong,
 * server errors say only that something failed (their cause goes to the log, never to the caller). Domain
 * errors are mapped by type, never by matching their names.
 */
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionCanceledException,
  TransactionConflictException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import { LedgerError } from '../ledger/errors';
import { MoneyError } from '../money/errors';
import { PaymentError, type PaymentErrorCode } from '../payments/errors';
import { PspPermanentError, PspTransientError } from '../psp/errors';

/** Codes the API itself answers with (domain codes such as `amount_too_many_decimals` pass through). */
export const ApiErrorCode = {
  InvalidJson: 'invalid_json',
  UnsupportedMediaType: 'unsupported_media_type',
  BodyTooLarge: 'body_too_large',
  ValidationError: 'validation_error',
  CardDataNotAllowed: 'card_data_not_allowed',
  DuplicatePaymentOrderId: 'duplicate_payment_order_id',
  TooManyOrders: 'too_many_orders',
  MixedCurrencies: 'mixed_currencies',
  IdempotencyKeyInvalid: 'idempotency_key_invalid',
  IdempotencyError: 'idempotency_error',
  RequestInProgress: 'request_in_progress',
  NotFound: 'not_found',
  PspUnavailable: 'psp_unavailable',
  PspError: 'psp_error',
  ServiceUnavailable: 'service_unavailable',
  InternalError: 'internal_error',
} as const;

export type ErrorDetails = Readonly<Record<string, unknown>>;

export class ApiError extends Error {
  /** Client errors may be shown as they are; server errors are answered generically. */
  readonly expose: boolean;
  /** Sent as `Retry-After` (503s that are worth retrying). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
    options?: ErrorOptions & { readonly retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.name = 'ApiError';
    this.expose = statusCode < 500;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

const PAYMENT_STATUS: Record<PaymentErrorCode, number> = {
  checkout_conflict: 409,
  payment_order_conflict: 409,
  not_found: 404,
  contention: 503,
  needs_attention: 500,
};

const RETRY_AFTER_SECONDS = 2;

function retryable(code: string, message: string, cause: unknown): ApiError {
  return new ApiError(503, code, message, undefined, { cause, retryAfterSeconds: RETRY_AFTER_SECONDS });
}

/** Any thrown value as the ApiError the caller gets. Unknown errors are 500s that say nothing about themselves. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof MoneyError) {
    return new ApiError(error.statusCode, error.code, error.message, error.details, { cause: error });
  }
  if (error instanceof PaymentError) {
    const status = PAYMENT_STATUS[error.code];
    if (status >= 500)
      return retryable(ApiErrorCode.ServiceUnavailable, 'the request conflicted; retry', error);
    return new ApiError(status, error.code, error.message, error.details, { cause: error });
  }
  if (error instanceof LedgerError) {
    if (error.retryable)
      return retryable(ApiErrorCode.ServiceUnavailable, 'the request conflicted; retry', error);
    return error.expose
      ? new ApiError(error.statusCode, error.code, error.message, error.details, { cause: error })
      : new ApiError(error.statusCode, ApiErrorCode.InternalError, 'internal error', undefined, {
          cause: error,
        });
  }
  if (error instanceof PspTransientError) {
    return retryable(
      ApiErrorCode.PspUnavailable,
      'the payment service provider is unavailable; retry',
      error,
    );
  }
  if (error instanceof PspPermanentError) {
    return new ApiError(
      502,
      ApiErrorCode.PspError,
      'the payment service provider refused the request',
      undefined,
      {
        cause: error,
      },
    );
  }
  if (isFunctionTimeout(error)) {
    // What the request did is not known yet: a retry under the same Idempotency-Key answers it.
    return retryable(ApiErrorCode.ServiceUnavailable, 'the request took too long; retry', error);
  }
  if (isTransientAwsError(error)) {
    return retryable(ApiErrorCode.ServiceUnavailable, 'the service is busy; retry', error);
  }
  return new ApiError(500, ApiErrorCode.InternalError, 'internal error', undefined, { cause: error });
}

/**
 * Middy's early timeout: the function is about to reach its deadline (`timeoutEarlyInMillis` before it).
 * Middy throws a plain Error it marks with its name and its package as the cause (it exports no class).
 */
export function isFunctionTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'TimeoutError' &&
    (error.cause as { package?: unknown } | undefined)?.package === '@middy/core'
  );
}

const TRANSIENT_DYNAMODB_ERRORS = [
  ProvisionedThroughputExceededException,
  ThrottlingException,
  RequestLimitExceeded,
  InternalServerError,
  TransactionCanceledException,
  TransactionConflictException,
  TransactionInProgressException,
];

/**
 * Throttling, a transaction that collided with another one, or an AWS service's own 5xx, after the SDK's
 * retries: nothing was written (or the write is idempotent), so a retry can succeed. Followed through
 * `cause` (a domain error that wraps one), and, beyond DynamoDB's types, any AWS SDK error that says of
 * itself that it is the service's fault or retryable (`$fault`, `$retryable`: every AWS client's errors).
 */
function isTransientAwsError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (TRANSIENT_DYNAMODB_ERRORS.some((type) => current instanceof type)) return true;
    const sdk = current as { $metadata?: unknown; $fault?: unknown; $retryable?: unknown };
    if (sdk.$metadata !== undefined && (sdk.$fault === 'server' || sdk.$retryable !== undefined)) return true;
    current = current.cause;
  }
  return false;
}

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: ErrorDetails;
    readonly request_id: string;
  };
}

/** The body of an error answer: a server error's details never leave (they may name internals). */
export function errorBody(error: ApiError, requestId: string): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.expose && error.details && Object.keys(error.details).length > 0
        ? { details: error.details }
        : {}),
      request_id: requestId,
    },
  };
}
