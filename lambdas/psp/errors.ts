/**
 * PSP failures, split by what they prove. Only one kind is evidence about the payment: `rejected`, the PSP
 * refused the request itself and did nothing (a 400/404 on a request that creates nothing else). Every other
 * kind says nothing about whether money moved, so the caller keeps the order's state and looks again:
 *   transient             timeout, dropped connection, 5xx, 429, a key still in use (409): retry, same key
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
