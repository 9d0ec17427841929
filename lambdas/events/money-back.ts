/**
 * Domain events of refunds and disputes, from changes of their current-state items in the payments table
 * (REFUND#{id} / DISPUTE#{id}, sk META): `refund.succeeded` and `refund.failed` when a refund's status moves
 * into them (a refund that succeeded and later failed publishes both, in that order), `dispute.opened` when a
 * dispute is first recorded, `dispute.closed` when its status becomes won, lost or warning_closed. Data is
 * built from an explicit list of attributes.
 */
import { formatAmount, money, parseCurrency } from '../money';
import type { ItemChange } from './derive';
import { MalformedChangeError } from './errors';
import { DOMAIN_EVENT_SCHEMA_VERSION, type DomainEvent } from './types';

const CLOSED = new Set(['won', 'lost', 'warning_closed', 'prevented']);

function field(image: Readonly<Record<string, unknown>>, name: string, change: ItemChange): string {
  const value = image[name];
  if (typeof value !== 'string' || value === '') {
    throw new MalformedChangeError(`${change.pk}: ${name} is missing`, { pk: change.pk, sk: change.sk });
  }
  return value;
}

function amountOf(image: Readonly<Record<string, unknown>>, change: ItemChange) {
  try {
    const minor = Number(image.amount_minor);
    const amount = money(parseCurrency(image.currency), minor);
    return { amount: formatAmount(amount), amount_minor: minor, currency: amount.currency };
  } catch (error) {
    throw new MalformedChangeError(
      `${change.pk}: invalid amount or currency`,
      { pk: change.pk, sk: change.sk },
      {
        cause: error,
      },
    );
  }
}

export function refundEvents(change: ItemChange): DomainEvent[] {
  const after = change.newImage;
  if (!after) return [];
  const status = after.status;
  if (status === change.oldImage?.status || (status !== 'succeeded' && status !== 'failed')) return [];
  const version = Number(after.version);
  const data = {
    refund_id: field(after, 'refund_id', change),
    payment_order_id: field(after, 'payment_order_id', change),
    seller_account: field(after, 'seller_account', change),
    ...amountOf(after, change),
    origin: field(after, 'origin', change),
    ...(typeof after.psp_refund_id === 'string' ? { psp_refund_id: after.psp_refund_id } : {}),
    refund_version: version,
  };
  const envelope = {
    id: `${change.pk}#v${version}`,
    occurred_at: field(after, 'updated_at', change),
    version: DOMAIN_EVENT_SCHEMA_VERSION as typeof DOMAIN_EVENT_SCHEMA_VERSION,
  };
  if (status === 'succeeded') return [{ ...envelope, type: 'refund.succeeded', data }];
  return [
    {
      ...envelope,
      type: 'refund.failed',
      data: {
        ...data,
        ...(typeof after.failure_reason === 'string' ? { failure_reason: after.failure_reason } : {}),
      },
    },
  ];
}

export function disputeEvents(change: ItemChange): DomainEvent[] {
  const after = change.newImage;
  if (!after) return [];
  const version = Number(after.version);
  const data = {
    dispute_id: field(after, 'dispute_id', change),
    payment_order_id: field(after, 'payment_order_id', change),
    seller_account: field(after, 'seller_account', change),
    ...amountOf(after, change),
    status: field(after, 'status', change),
    is_inquiry: after.is_inquiry === true,
    dispute_version: version,
  };
  const envelope = {
    id: `${change.pk}#v${version}`,
    occurred_at: field(after, 'updated_at', change),
    version: DOMAIN_EVENT_SCHEMA_VERSION as typeof DOMAIN_EVENT_SCHEMA_VERSION,
  };
  const events: DomainEvent[] = [];
  if (change.eventName === 'INSERT') events.push({ ...envelope, type: 'dispute.opened', data });
  if (CLOSED.has(String(after.status)) && !CLOSED.has(String(change.oldImage?.status))) {
    events.push({ ...envelope, id: `${change.pk}#closed`, type: 'dispute.closed', data });
  }
  return events;
}
