/**
 * Stripe's webhook signature (`Stripe-Signature`), checked with node:crypto alone, so that the webhook does
 * not load the Stripe SDK to verify it. The header is comma-separated `key=value` pairs: `t` is the Unix time
 * in seconds at which Stripe signed, each `v1` a lowercase hex HMAC-SHA256 of `${t}.${raw body}` keyed by an
 * endpoint's signing secret (one `v1` per secret in force during a rotation); any other scheme (Stripe's
 * test `v0`) is ignored, so it cannot be used for a downgrade. The body is valid when any `v1` matches the
 * HMAC under any of our secrets, compared in constant time, and `t` is no older than the tolerance.
 * sandbox/psp/webhooks.ts signs the same way, on its own; the unit tests check us against the Stripe SDK's
 * signing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The only scheme Stripe signs with; every other is ignored. */
export const SIGNATURE_SCHEME = 'v1';

/** A v1 signature: a SHA-256 HMAC in lowercase hex. */
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
/** Unix seconds as Stripe writes them: digits, no sign, no leading zero (the signed text is the number). */
const TIMESTAMP = /^(0|[1-9][0-9]{0,11})$/;

export type SignatureFailure =
  | 'no_payload'
  | 'no_header'
  | 'no_secret'
  | 'no_timestamp'
  | 'no_signatures'
  | 'no_match'
  | 'outside_tolerance';

/** Why a signature did not hold. Its message never holds a secret or an expected signature. */
export class SignatureVerificationError extends Error {
  readonly reason: SignatureFailure;

  constructor(reason: SignatureFailure, message: string) {
    super(message);
    this.name = 'SignatureVerificationError';
    this.reason = reason;
  }
}

export interface SignatureHeader {
  /** `t`, when the header has exactly one and it is Unix seconds; otherwise undefined. */
  readonly timestamp: number | undefined;
  /** Every `v1` value, as written (checked only when compared). */
  readonly signatures: readonly string[];
}

/** Reads a `Stripe-Signature` header. Pairs without `=`, and keys other than `t` and `v1`, are skipped. */
export function parseSignatureHeader(header: string): SignatureHeader {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const pair of header.split(',')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    if (key === 't') timestamps.push(value);
    else if (key === SIGNATURE_SCHEME) signatures.push(value);
  }
  const [only, ...more] = timestamps;
  const timestamp =
    only !== undefined && more.length === 0 && TIMESTAMP.test(only) ? Number(only) : undefined;
  return { timestamp, signatures };
}

/** Whether any of `signatures` is the HMAC of `signedPayload` under `secret` (compared in constant time). */
function anyMatches(signedPayload: string, secret: string, signatures: readonly string[]): boolean {
  const expected = createHmac('sha256', secret).update(signedPayload, 'utf8').digest();
  let matched = false;
  for (const signature of signatures) {
    if (!SIGNATURE_HEX.test(signature)) continue;
    const given = Buffer.from(signature, 'hex');
    // Every signature is compared (no early exit), and timingSafeEqual needs equal lengths.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

export interface SignatureOptions {
  /** How old `t` may be, in seconds (positive). */
  readonly toleranceSeconds: number;
  /** Now, in Unix seconds (default: the clock). */
  readonly nowSeconds?: number;
}

/**
 * Checks `header` against the raw body and each of `secrets` (the current signing secret and, during a
 * rotation window, the previous one). Answers the signed timestamp; throws `SignatureVerificationError`
 * saying what failed: no timestamp, no v1 signature, no match, or a timestamp outside the tolerance. The
 * tolerance is checked only once a signature matched, so an unsigned header learns nothing about our clock.
 */
export function verifyStripeSignature(
  rawBody: string,
  header: string | undefined,
  secrets: string | readonly string[],
  options: SignatureOptions,
): { readonly timestamp: number } {
  const { toleranceSeconds } = options;
  if (!(toleranceSeconds > 0 && Number.isFinite(toleranceSeconds)))
    throw new RangeError(
      `the signature tolerance must be a positive number of seconds, not ${toleranceSeconds}`,
    );
  if (!rawBody) throw new SignatureVerificationError('no_payload', 'no webhook payload was provided');
  if (!header) throw new SignatureVerificationError('no_header', 'no signature header was provided');
  const keys = (typeof secrets === 'string' ? [secrets] : secrets).filter((secret) => secret !== '');
  // An empty key would let anyone sign.
  if (keys.length === 0)
    throw new SignatureVerificationError('no_secret', 'no webhook signing secret was given');
  const { timestamp, signatures } = parseSignatureHeader(header);
  if (timestamp === undefined)
    throw new SignatureVerificationError(
      'no_timestamp',
      'no timestamp found in the signature header (one t=<unix seconds> is expected)',
    );
  if (signatures.length === 0)
    throw new SignatureVerificationError(
      'no_signatures',
      `no signatures found with the expected scheme (${SIGNATURE_SCHEME})`,
    );
  const signedPayload = `${timestamp}.${rawBody}`;
  // Every secret is tried (no early exit): which one signed is not told by the time taken.
  const matches = keys.map((secret) => anyMatches(signedPayload, secret, signatures));
  if (!matches.includes(true))
    throw new SignatureVerificationError(
      'no_match',
      'no signature matches the payload (is it the raw body as received, signed with a secret in force?)',
    );
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const age = now - timestamp;
  // Too old only, as Stripe's own check: a header from a clock ahead of ours is fresh (a replay is always old).
  if (age > toleranceSeconds)
    throw new SignatureVerificationError(
      'outside_tolerance',
      `timestamp outside the tolerance zone: signed ${age} s ago (${toleranceSeconds} s allowed)`,
    );
  return { timestamp };
}
