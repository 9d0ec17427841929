/**
 * PSP failures, split by what the caller should do: a transient one (timeout, connection, 5xx, 429, lock
 * conflict) is retried with the same idempotency key; a permanent one (our request is wrong, the key was reused
 * with other parameters, authentication) will fail the same way again and needs a person.
 */
export class PspTransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PspTransientError';
  }
}

export class PspPermanentError extends Error {
  constructor(
    message: string,
    readonly pspCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PspPermanentError';
  }
}
