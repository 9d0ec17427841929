/**
 * From a committed change of the `payments` table (a DynamoDB stream record) to the domain events it means.
 * Only changes publish: an order whose status moves into SUCCESS or FAILED, a checkout whose `is_payment_done`
 * becomes true. A MODIFY that keeps the status, history items, removals and other items publish nothing.
 * Event data is built from an explicit list of attributes, so nothing else on the item (buyer details,
 * payment-method tokens) can leak into an event.
 */
import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import '../shared/zod-english';
import { formatAmount, money, parseCurrency } from '../money';
import { MalformedChangeError } from './errors';
import { disputeEvents, refundEvents } from './money-back';
import { PAYOUT_CURRENT_STATE_SK, PAYOUT_PREFIX, payoutEvents } from './payouts';
import {
  type CheckoutCompleted,
  DOMAIN_EVENT_SCHEMA_VERSION,
  type DomainEvent,
  type EventAmount,
  type PaymentOrderFailed,
  type PaymentOrderSucceeded,
} from './types';

type Image = Readonly<Record<string, unknown>>;

/** One committed change of an item, with its images unmarshalled. */
export interface ItemChange {
  readonly pk: string;
  readonly sk: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly newImage?: Image;
  readonly oldImage?: Image;
  readonly sequenceNumber?: string;
}

const ORDER_PREFIX = 'ORDER#';
const CHECKOUT_PREFIX = 'CHECKOUT#';
/** The item that holds an order's or a checkout's current state; history items have other sort keys. */
const CURRENT_STATE_SK = 'META';

const version = z.number().check(z.int(), z.nonnegative());
const isoTime = z.iso.datetime({ offset: true });
const text = z.string().check(z.minLength(1));

const OrderImage = z.object({
  payment_order_id: text,
  checkout_id: text,
  seller_account: text,
  amount_minor: z.number().check(z.int(), z.positive()),
  currency: text,
  version,
  updated_at: isoTime,
  psp_reference: z.optional(text),
  failure_code: z.optional(text),
  failure_reason: z.optional(text),
});

const CheckoutImage = z.object({
  checkout_id: text,
  // The buyer's id, at the top level or inside the buyer's details (of which nothing else is published).
  buyer_id: z.optional(text),
  buyer: z.optional(z.object({ buyer_id: text })),
  order_count: z.number().check(z.int(), z.positive()),
  version,
  updated_at: isoTime,
});

function toImage(image: Record<string, AttributeValue> | undefined): Image | undefined {
  // The stream's attribute values are the DynamoDB wire format the SDK's unmarshall reads.
  return image ? unmarshall(image as Record<string, SdkAttributeValue>) : undefined;
}

/** Reads the keys and images of a stream record. */
export function itemChange(record: DynamoDBRecord): ItemChange {
  const stream = record.dynamodb;
  const sequenceNumber = stream?.SequenceNumber;
  const pk = stream?.Keys?.pk?.S;
  const sk = stream?.Keys?.sk?.S;
  const eventName = record.eventName;
  if (pk === undefined || sk === undefined || eventName === undefined) {
    throw new MalformedChangeError('stream record without pk, sk or eventName', { sequenceNumber });
  }
  try {
    return {
      pk,
      sk,
      eventName,
      newImage: toImage(stream?.NewImage),
      oldImage: toImage(stream?.OldImage),
      sequenceNumber,
    };
  } catch (error) {
    throw new MalformedChangeError(
      'stream record images cannot be read',
      { pk, sk, sequenceNumber },
      {
        cause: error,
      },
    );
  }
}

/** What an error may say about a change: where it is, never what the item holds. */
function locate(change: ItemChange): { pk: string; sk: string; sequenceNumber?: string } {
  return { pk: change.pk, sk: change.sk, sequenceNumber: change.sequenceNumber };
}

function parse<T>(schema: z.ZodMiniType<T>, image: Image, change: ItemChange): T {
  const parsed = schema.safeParse(image);
  if (!parsed.success) {
    // Paths and messages only: the values may be anything the item holds.
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`);
    throw new MalformedChangeError(`${change.pk} ${change.sk}: ${problems.join('; ')}`, locate(change));
  }
  return parsed.data;
}

function eventAmount(amountMinor: number, currency: string, change: ItemChange): EventAmount {
  try {
    const amount = money(parseCurrency(currency), amountMinor);
    return { amount: formatAmount(amount), amount_minor: amountMinor, currency: amount.currency };
  } catch (error) {
    throw new MalformedChangeError(`${change.pk}: invalid amount or currency`, locate(change), {
      cause: error,
    });
  }
}

function requireNewImage(change: ItemChange): Image {
  if (!change.newImage) {
    throw new MalformedChangeError(
      `${change.pk} ${change.sk}: ${change.eventName} without a new image (the stream must carry NEW_AND_OLD_IMAGES)`,
      locate(change),
    );
  }
  return change.newImage;
}

/** The id receivers deduplicate on: the same change always gives the same id. */
export function eventId(pk: string, itemVersion: number): string {
  return `${pk}#v${itemVersion}`;
}

function orderEvents(change: ItemChange): DomainEvent[] {
  const after = requireNewImage(change);
  const status = after.status;
  if (status === change.oldImage?.status) return [];
  switch (status) {
    case 'SUCCESS':
    case 'FAILED': {
      const order = parse(OrderImage, after, change);
      const data = {
        payment_order_id: order.payment_order_id,
        checkout_id: order.checkout_id,
        seller_account: order.seller_account,
        ...eventAmount(order.amount_minor, order.currency, change),
        ...(order.psp_reference ? { psp_reference: order.psp_reference } : {}),
        order_version: order.version,
      };
      const envelope: Pick<DomainEvent, 'id' | 'occurred_at' | 'version'> = {
        id: eventId(change.pk, order.version),
        occurred_at: order.updated_at,
        version: DOMAIN_EVENT_SCHEMA_VERSION,
      };
      if (status === 'SUCCESS') {
        const event: PaymentOrderSucceeded = { ...envelope, type: 'payment_order.succeeded', data };
        return [event];
      }
      const event: PaymentOrderFailed = {
        ...envelope,
        type: 'payment_order.failed',
        data: {
          ...data,
          ...(order.failure_code ? { failure_code: order.failure_code } : {}),
          ...(order.failure_reason ? { failure_reason: order.failure_reason } : {}),
        },
      };
      return [event];
    }
    default:
      // NOT_STARTED, EXECUTING, PENDING, and any status this version does not know: no money moved.
      return [];
  }
}

function checkoutEvents(change: ItemChange): DomainEvent[] {
  const after = requireNewImage(change);
  if (after.is_payment_done !== true || change.oldImage?.is_payment_done === true) return [];
  const checkout = parse(CheckoutImage, after, change);
  const buyerId = checkout.buyer_id ?? checkout.buyer?.buyer_id;
  if (buyerId === undefined) throw new MalformedChangeError(`${change.pk}: no buyer_id`, locate(change));
  const event: CheckoutCompleted = {
    id: eventId(change.pk, checkout.version),
    type: 'checkout.completed',
    occurred_at: checkout.updated_at,
    version: DOMAIN_EVENT_SCHEMA_VERSION,
    data: {
      checkout_id: checkout.checkout_id,
      buyer_id: buyerId,
      order_count: checkout.order_count,
      checkout_version: checkout.version,
    },
  };
  return [event];
}

/**
 * Item kinds that publish, by key prefix of their current-state item (sort key META, or their own: payouts
 * live in the payouts table with sk PAYOUT). Reconciliation breaks will join here.
 */
const DERIVATIONS: readonly {
  readonly prefix: string;
  readonly sk?: string;
  readonly derive: (c: ItemChange) => DomainEvent[];
}[] = [
  { prefix: ORDER_PREFIX, derive: orderEvents },
  { prefix: CHECKOUT_PREFIX, derive: checkoutEvents },
  { prefix: 'REFUND#', derive: refundEvents },
  { prefix: 'DISPUTE#', derive: disputeEvents },
  { prefix: PAYOUT_PREFIX, sk: PAYOUT_CURRENT_STATE_SK, derive: payoutEvents },
];

export function eventsOfChange(change: ItemChange): DomainEvent[] {
  if (change.eventName === 'REMOVE') return [];
  const derivation = DERIVATIONS.find((d) => change.pk.startsWith(d.prefix));
  if (!derivation || change.sk !== (derivation.sk ?? CURRENT_STATE_SK)) return [];
  return derivation.derive(change);
}

/** The domain events of one stream record, in the order they are to be published (zero or more). */
export function deriveEvents(record: DynamoDBRecord): DomainEvent[] {
  return eventsOfChange(itemChange(record));
}
