/**
 * PSP failures, split by what they prove. Only one kind is evidence about the payment: `rejected`, the PSP
 * refused the request itself and did nothing (a 400/404 on a request that creates nothing else). Every other
 * kind says nothing about whether money moved, so the caller keeps the order's state and looks again:
 *   transient             timeout, dropped connection, 5xx, 429, a key still in use (409): retry, same key
 *     in_flight           (a kind of transient) our client stopped waiting (timeout) or the PSP says the key
 *                         is in use (409): a request with this key may still be running at the PSP, so the
 *                         retry must come after it can have finished (the workflow waits longer for these)
 *   unauthorized          401/403: OUR key is wrong or was rotated; never the buyer's fault
 *   idempotency_conflict  the key was reused with other parameters: our bug, for a person (the first attempt
 *                         may have captured the money)
 */
export const PspErrorKind = {
  Transient: 'transient',
  Unauthorized: 'unauthorized',
  IdempotencyConflict: 'idempotency_conflict',
  Rejected: 'rejected',
} as const;
export type PspErrorKind = (typeof PspErrorKind)[keyof typeof PspErrorKind];

/** Retried with the same idempotency key (the pay-in workflow retries this error name). */
export class PspTransientError extends Error {
  readonly kind: PspErrorKind = PspErrorKind.Transient;
  constructor(message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super(message, options);
    this.name = 'PspTransientError';
    this.httpStatus = options?.httpStatus;
  }
  readonly httpStatus: number | undefined;
}

/**
 * A transient failure after which a request with this idempotency key may still be running at the PSP: our
 * client gave up waiting (timeout), or the PSP answered 409 (the key is in use by a request still executing).
 * A retry at once can only meet the same 409; the pay-in workflow retries this name on a schedule that waits
 * at least the charge timeout (statemachines/pay-in.asl.json), with the same key, so the slow first request's
 * answer is replayed and the buyer is charged once.
 */
export class PspInFlightError extends PspTransientError {
  constructor(message: string, options?: { cause?: unknown; httpStatus?: number }) {
    super(message, options);
    this.name = 'PspInFlightError';
  }
}

/** Retrying the same request now would fail the same way. `kind` says whether it proves anything. */
export class PspPermanentError extends Error {
  constructor(
    message: string,
    readonly pspCode: string | undefined,
    options?: { cause?: unknown; kind?: Exclude<PspErrorKind, 'transient'>; httpStatus?: number },
  ) {
    super(message, options);
    this.name = 'PspPermanentError';
    this.kind = options?.kind ?? PspErrorKind.Rejected;
    this.httpStatus = options?.httpStatus;
  }
  readonly kind: Exclude<PspErrorKind, 'transient'>;
  readonly httpStatus: number | undefined;
}

/** Our credentials were refused (401/403): indeterminate; the key is re-read and the order looked at again. */
export class PspUnauthorizedError extends PspPermanentError {
  constructor(
    message: string,
    pspCode: string | undefined,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, pspCode, { ...options, kind: PspErrorKind.Unauthorized });
    this.name = 'PspUnauthorizedError';
  }
}

/** The idempotency key was reused with other parameters: indeterminate, and a case for a person. */
export class PspIdempotencyError extends PspPermanentError {
  constructor(
    message: string,
    pspCode: string | undefined,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, pspCode, { ...options, kind: PspErrorKind.IdempotencyConflict });
    this.name = 'PspIdempotencyError';
  }
}

/** The PSP refused the request and did nothing: the only error that is evidence (nothing was created). */
export function isRejection(error: unknown): error is PspPermanentError {
  return error instanceof PspPermanentError && error.kind === PspErrorKind.Rejected;
}
