/**
 * The webhook inbox: a PSP event is verified on the raw body (before anything parses it), stored once by its
 * id, and queued. A replayed event id is acknowledged and does nothing more; an event stored but not yet
 * applied is queued again on redelivery (so a crash between storing and queueing loses nothing).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';
import { z } from 'zod';

export const WEBHOOK_TOLERANCE_SECONDS = 300;
const RETENTION_DAYS = 90;
/**
 * The largest redacted payload kept whole. A DynamoDB item holds at most 400 KB (names and values); the rest of
 * the item is a few bounded fields. A larger event keeps only its pointer (id, type, the object's id and kind):
 * the consumer retrieves the object from the PSP anyway, so nothing it acts on is lost.
 */
export const MAX_STORED_PAYLOAD_BYTES = 300_000;

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
  /** The verified event without the fields we must not keep (see REDACTED_FIELDS). */
  readonly payload: string;
  /** The payload did not fit an item: only the event's pointer was kept (the consumer retrieves the object). */
  readonly payload_truncated?: boolean;
}

/**
 * The shape an event must have to be stored and applied. The id is the inbox's key: an event without one (or
 * with an id that is not an event id) would share a key with every other such body, so it is refused.
 */
const eventSchema = z.looseObject({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,250}$/, 'an event id (evt_...)'),
  type: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-z0-9_.]+$/, 'an event type'),
  created: z.number().int().nonnegative(),
  account: z.string().max(255).optional(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()) }),
});

/**
 * Verifies `Stripe-Signature` (HMAC-SHA256 over `t.rawBody`, 300 s tolerance) against each of the signing
 * secrets in force (the current one and, during a rotation window, the previous one), then checks that the
 * body is an event. Nothing is parsed before the signature holds.
 */
export function verifyEvent(
  rawBody: string,
  signatureHeader: string | undefined,
  secrets: string | readonly string[],
): VerifiedEvent {
  if (!signatureHeader) throw new InvalidSignatureError('missing Stripe-Signature header');
  const candidates = (typeof secrets === 'string' ? [secrets] : secrets).filter((s) => s !== '');
  if (candidates.length === 0) throw new InvalidSignatureError('no webhook signing secret is configured');
  const signature = Stripe.webhooks.signature;
  if (!signature) throw new Error('the Stripe SDK has no webhook signature helper');
  let lastError: unknown;
  const verified = candidates.some((secret) => {
    try {
      return signature.verifyHeader(rawBody, signatureHeader, secret, WEBHOOK_TOLERANCE_SECONDS);
    } catch (error) {
      lastError = error;
      return false;
    }
  });
  if (!verified) {
    // The SDK's message says what failed (no match, too old) without echoing the secret.
    throw new InvalidSignatureError(lastError instanceof Error ? lastError.message : 'invalid signature', {
      cause: lastError,
    });
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
  const payload = JSON.stringify(redact(event));
  if (Buffer.byteLength(payload, 'utf8') <= MAX_STORED_PAYLOAD_BYTES) {
    return { id: event.id, type: event.type, created: event.created, payload };
  }
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    payload: JSON.stringify(pointerOf(event)),
    payload_truncated: true,
  };
}

/** What an event points at, and nothing else: enough for the consumer to retrieve the object. */
function pointerOf(event: z.infer<typeof eventSchema>): Record<string, unknown> {
  const object = event.data.object;
  const keep = (value: unknown) => (typeof value === 'string' && value.length <= 255 ? value : undefined);
  const metadata = object.metadata;
  const smallMetadata =
    metadata && typeof metadata === 'object' && JSON.stringify(metadata).length <= 4_096
      ? metadata
      : undefined;
  return {
    id: event.id,
    object: 'event',
    type: event.type,
    created: event.created,
    ...(event.account ? { account: event.account } : {}),
    data: {
      object: {
        ...(keep(object.id) ? { id: object.id } : {}),
        ...(keep(object.object) ? { object: object.object } : {}),
        ...(smallMetadata ? { metadata: smallMetadata } : {}),
      },
    },
  };
}

/**
 * Fields an event may carry that we neither need nor may keep: the PaymentIntent's client_secret (Stripe: never
 * store or log it) and the buyer's contact and address details. Everything we apply stays.
 */
const REDACTED_FIELDS = new Set([
  'client_secret',
  'billing_details',
  'customer_details',
  'shipping',
  'shipping_details',
  'receipt_email',
  'customer_email',
]);

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !REDACTED_FIELDS.has(key))
      .map(([key, inner]) => [key, redact(inner)]),
  );
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
