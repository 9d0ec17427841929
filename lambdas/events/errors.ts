/** Errors of domain-event derivation and publication. */

/**
 * A committed change that should produce an event but cannot be read (an attribute missing or malformed, or a
 * stream without images). It is reported as a failed record: retried, then described on the on-failure queue,
 * never skipped silently. Carries keys and the problem, never the item's contents.
 */
export class MalformedChangeError extends Error {
  constructor(
    message: string,
    readonly details: { readonly pk?: string; readonly sk?: string; readonly sequenceNumber?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MalformedChangeError';
  }
}
