/**
 * The webhook inbox: a PSP event is verified on the raw body (before anything parses it), stored once by its
 * id (its pointer only: see `pointerOf`), and queued. A replayed event id is acknowledged and does nothing more; an event stored but not yet
 * applied is queued again on redelivery (so a crash between storing and queueing loses nothing).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import '../shared/zod-english';
import { SignatureVerificationError, verifyStripeSignature } from './signature';

export const WEBHOOK_TOLERANCE_SECONDS = 300;
const RETENTION_DAYS = 90;

export class InvalidSignatureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSignatureError';
  }
}

/** Validly signed, but not an event we could store under its own key (`null`, no id, no type, no data). */
export class MalformedEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedEventError';
  }
}

export interface VerifiedEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  /**
   * What is kept of the event (JSON): for a PSP event its pointer (see `pointerOf`), for a payee network event
   * its body as signed.
   */
  readonly payload: string;
}

/**
 * The shape an event must have to be stored and applied. The id is the inbox's key: an event without one (or
 * with an id that is not an event id) would share a key with every other such body, so it is refused.
 */
const eventSchema = z.looseObject({
  id: z.string().check(z.regex(/^evt_[A-Za-z0-9_]{1,250}$/, 'an event id (evt_...)')),
  type: z.string().check(z.minLength(1), z.maxLength(255), z.regex(/^[a-z0-9_.]+$/, 'an event type')),
  created: z.number().check(z.int(), z.nonnegative()),
  account: z.optional(z.string().check(z.maxLength(255))),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
});

/**
 * Verifies `Stripe-Signature` (HMAC-SHA256 over `t.rawBody`, no older than 300 s: ./signature.ts)
 * against each of the signing secrets in force (the current one and, during a rotation window, the previous
 * one), then checks that the body is an event. Nothing is parsed before the signature holds.
 */
export function verifyEvent(
  rawBody: string,
  signatureHeader: string | undefined,
  secrets: string | readonly string[],
): VerifiedEvent {
  if (!signatureHeader) throw new InvalidSignatureError('missing Stripe-Signature header');
  const candidates = (typeof secrets === 'string' ? [secrets] : secrets).filter((s) => s !== '');
  if (candidates.length === 0) throw new InvalidSignatureError('no webhook signing secret is configured');
  try {
    verifyStripeSignature(rawBody, signatureHeader, candidates, {
      toleranceSeconds: WEBHOOK_TOLERANCE_SECONDS,
    });
  } catch (error) {
    // The message says what failed (no signature, no match, too old), never a secret.
    if (error instanceof SignatureVerificationError)
      throw new InvalidSignatureError(error.message, { cause: error });
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new MalformedEventError('the body is not JSON');
  }
  const checked = eventSchema.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new MalformedEventError(
      `the body is not an event: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  const event = checked.data;
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    payload: JSON.stringify(pointerOf(event)),
  };
}

/**
 * Our own ids in an object's metadata (lambdas/psp/stripe-provider.ts, lambdas/payouts/stripe-connect.ts):
 * `payout_id` is what the pay-out module finds its payout by; the others let an operator trace the event.
 */
const POINTER_METADATA_KEYS = ['payout_id', 'payment_order_id', 'checkout_id', 'seller_id'] as const;
const MAX_POINTER_STRING = 255;

/**
 * What is stored of a PSP event: what it points at, and nothing else. The consumer reads only the event's id
 * and type, the object's id and its `metadata.payout_id`; everything else it retrieves from the PSP before
 * acting (the body is only a hint). So the item stays well under 1 KB (one write unit to store, one to mark
 * applied, however large the event), and no card data, client secret or buyer detail can reach the table:
 * an allow-list, not a deny-list.
 */
export function pointerOf(event: {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly account?: string;
  readonly livemode?: unknown;
  readonly data: { readonly object: unknown };
}): Record<string, unknown> {
  const object = (event.data.object ?? {}) as Record<string, unknown>;
  const short = (value: unknown) => typeof value === 'string' && value.length <= MAX_POINTER_STRING;
  // The named keys whose values are short strings (anything else is not ours to keep).
  const picked = (source: unknown, keys: readonly string[]) =>
    Object.fromEntries(
      keys.flatMap((key) => {
        const value = (source as Record<string, unknown> | null | undefined)?.[key];
        return short(value) ? [[key, value]] : [];
      }),
    );
  const ours = picked(object.metadata, POINTER_METADATA_KEYS);
  return {
    id: event.id,
    object: 'event',
    type: event.type,
    created: event.created,
    ...(short(event.account) ? { account: event.account } : {}),
    ...(typeof event.livemode === 'boolean' ? { livemode: event.livemode } : {}),
    data: {
      object: {
        // Its kind and status say what the event was about, for an operator reading the inbox.
        ...picked(object, ['id', 'object', 'status']),
        ...(Object.keys(ours).length > 0 ? { metadata: ours } : {}),
      },
    },
  };
}

export const InboxStatus = { Received: 'RECEIVED', Applied: 'APPLIED' } as const;
export type InboxStatus = (typeof InboxStatus)[keyof typeof InboxStatus];

export interface InboxContext {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly clock?: () => Date;
}

const eventKey = (id: string) => ({ pk: `EVENT#${id}` });

export interface StoredEvent extends VerifiedEvent {
  readonly status: InboxStatus;
  readonly received_at: string;
  readonly applied_at?: string;
  readonly outcome?: string;
}

/** Stores the event once. Answers whether it still needs applying (false: already applied, nothing to do). */
export async function storeEvent(
  ctx: InboxContext,
  event: VerifiedEvent,
): Promise<{ firstTime: boolean; needsApplying: boolean }> {
  const now = ctx.clock ? ctx.clock() : new Date();
  try {
    await ctx.db.send(
      new PutCommand({
        TableName: ctx.table,
        Item: {
          ...eventKey(event.id),
          ...event,
          status: InboxStatus.Received,
          received_at: now.toISOString(),
          expires_at: Math.floor(now.getTime() / 1000) + RETENTION_DAYS * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { firstTime: true, needsApplying: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The item as it was (ReturnValuesOnConditionCheckFailure), in DynamoDB's wire form.
    const status = error.Item?.status?.S;
    return { firstTime: false, needsApplying: status !== InboxStatus.Applied };
  }
}

export async function loadEvent(ctx: InboxContext, id: string): Promise<StoredEvent | undefined> {
  const got = await ctx.db.send(
    new GetCommand({ TableName: ctx.table, Key: eventKey(id), ConsistentRead: true }),
  );
  if (!got.Item) return undefined;
  const { pk: _pk, ...rest } = got.Item;
  return rest as StoredEvent;
}

export async function markApplied(ctx: InboxContext, id: string, outcome: string): Promise<void> {
  const now = ctx.clock ? ctx.clock() : new Date();
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.table,
        Key: eventKey(id),
        UpdateExpression: 'SET #status = :applied, applied_at = :at, outcome = :outcome',
        ConditionExpression: '#status = :received',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':applied': InboxStatus.Applied,
          ':received': InboxStatus.Received,
          ':at': now.toISOString(),
          ':outcome': outcome,
        },
      }),
    );
  } catch (error) {
    // Applied by a concurrent delivery of the same message: the same result.
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
