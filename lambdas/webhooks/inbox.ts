/**
 * The webhook inbox: a PSP event is verified on the raw body (before anything parses it), stored once by its
 * id, and queued. A replayed event id is acknowledged and does nothing more; an event stored but not yet
 * applied is queued again on redelivery (so a crash between storing and queueing loses nothing).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import Stripe from 'stripe';

export const WEBHOOK_TOLERANCE_SECONDS = 300;
const RETENTION_DAYS = 90;

export class InvalidSignatureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidSignatureError';
  }
}

export interface VerifiedEvent {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  /** The verified event without the fields we must not keep (see REDACTED_FIELDS). */
  readonly payload: string;
}

/** Verifies `Stripe-Signature` (HMAC-SHA256 over `t.rawBody`, 300 s tolerance) and answers the event. */
export function verifyEvent(
  rawBody: string,
  signatureHeader: string | undefined,
  secret: string,
): VerifiedEvent {
  if (!signatureHeader) throw new InvalidSignatureError('missing Stripe-Signature header');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, WEBHOOK_TOLERANCE_SECONDS);
  } catch (error) {
    // The SDK's message says what failed (no match, too old) without echoing the secret.
    throw new InvalidSignatureError(error instanceof Error ? error.message : 'invalid signature', {
      cause: error,
    });
  }
  return { id: event.id, type: event.type, created: event.created, payload: JSON.stringify(redact(event)) };
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
