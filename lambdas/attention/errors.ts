/** Errors of the needs-attention store, with a machine-readable code. */
export const AttentionErrorCode = { NotFound: 'not_found', AlreadyResolved: 'already_resolved' } as const;
export type AttentionErrorCode = (typeof AttentionErrorCode)[keyof typeof AttentionErrorCode];

export class AttentionError extends Error {
  constructor(
    readonly code: AttentionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AttentionError';
  }
}
