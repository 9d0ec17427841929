/**
 * The payee network's webhook (`POST /v1/webhooks/payouts`), the only way its results reach us: the signature
 * (`X-Payee-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, 300 s tolerance) is verified on the
 * raw body with the secret from Secrets Manager before anything parses it; the event then goes through the
 * same webhook inbox as the PSP's (stored once by id, queued, applied by `apply-webhook-events`; a duplicate
 * is a no-op). Inbox ids and types are prefixed (`payee:` / `payee.`) so they never collide with Stripe's.
 *
 * Applying retrieves the payment from the provider first (by our ref_code) and applies what it says now, so
 * a late, duplicated or reordered event (`paid` after `returned`) cannot move a payout backwards.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSignatureError, type VerifiedEvent, WEBHOOK_TOLERANCE_SECONDS } from '../webhooks/inbox';
import type { PayoutEventOutcome } from './events';
import { applyProviderResult, type ExecutorDependencies, instructionOf, providerFor } from './executor';
import { getPayout, type PayoutsContext } from './store';

export const PAYEE_SIGNATURE_HEADER = 'x-payee-signature';
export const PAYEE_INBOX_PREFIX = 'payee:';
export const PAYEE_TYPE_PREFIX = 'payee.';

/** The payee network's event types; each is a payment that changed status. */
export const PAYEE_EVENT_TYPES: ReadonlySet<string> = new Set([
  'payment.submitted',
  'payment.deferred',
  'payment.paid',
  'payment.cleared',
  'payment.rejected',
  'payment.canceled',
  'payment.returned',
]);

interface PayeeEventBody {
  readonly id?: unknown;
  readonly type?: unknown;
  readonly created?: unknown;
  readonly data?: { readonly payment?: { readonly ref_code?: unknown; readonly id?: unknown } };
}

export function verifyPayeeEvent(
  rawBody: string,
  header: string | undefined,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): VerifiedEvent {
  if (!header) throw new InvalidSignatureError('missing X-Payee-Signature header');
  const parts = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1))
    throw new InvalidSignatureError('malformed X-Payee-Signature header');
  if (Math.abs(nowSeconds - t) > WEBHOOK_TOLERANCE_SECONDS)
    throw new InvalidSignatureError('signature timestamp outside the tolerance');
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(v1, 'hex')))
    throw new InvalidSignatureError('no signature matches the payload');
  let body: PayeeEventBody;
  try {
    body = JSON.parse(rawBody) as PayeeEventBody;
  } catch (error) {
    throw new InvalidSignatureError('signed body is not JSON', { cause: error });
  }
  if (typeof body.id !== 'string' || typeof body.type !== 'string' || !body.id)
    throw new InvalidSignatureError('signed body is not a payee network event');
  return {
    id: `${PAYEE_INBOX_PREFIX}${body.id}`,
    type: `${PAYEE_TYPE_PREFIX}${body.type}`,
    created: typeof body.created === 'number' ? body.created : t,
    payload: rawBody,
  };
}

export function isPayeeEvent(storedType: string): boolean {
  return storedType.startsWith(PAYEE_TYPE_PREFIX);
}

/** Applies a stored payee network event (its payload as signed). */
export async function applyPayeeEvent(
  ctx: PayoutsContext,
  deps: ExecutorDependencies,
  payload: string,
): Promise<PayoutEventOutcome> {
  const event = JSON.parse(payload) as PayeeEventBody;
  const type = String(event.type);
  if (!PAYEE_EVENT_TYPES.has(type)) {
    deps.log?.('unhandled payout provider event type', {
      provider: 'payee_network',
      type,
      event_id: event.id,
      alarm: 'UnhandledProviderEvent',
    });
    return 'unhandled_type';
  }
  const payoutId = event.data?.payment?.ref_code;
  if (typeof payoutId !== 'string') return 'unknown_payout';
  const payout = await getPayout(ctx, payoutId);
  if (payout?.provider !== 'payee_network') return 'unknown_payout';
  // What the provider says now, not what this (possibly late or reordered) event said then.
  const current = await providerFor(deps, payout).lookup(instructionOf(payout));
  if (!current) return 'unknown_payout';
  const after = await applyProviderResult(ctx, deps, payout, current, 'payout-webhook');
  return after.version === payout.version ? 'no_change' : 'applied';
}
