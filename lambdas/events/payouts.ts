/**
 * Domain events of payouts, from changes of their current-state items in the payouts table (PAYOUT#{id}, sk
 * PAYOUT): `payout.paid` when a payout's status moves into PAID (the hold was posted: the money left for the
 * seller's bank), `payout.failed` into FAILED (no money reached the seller: the hold was voided, the money is
 * available again), `payout.returned` into RETURNED (paid, then sent back by the bank: the posting reversed,
 * the money available again, the destination errored). A payout paid and later returned publishes both, in
 * that order. Data is built from an explicit list of attributes (never the task token).
 */
import { formatAmount, money, parseCurrency } from '../money';
import type { ItemChange } from './derive';
import { MalformedChangeError } from './errors';
import { DOMAIN_EVENT_SCHEMA_VERSION, type DomainEvent } from './types';

export const PAYOUT_PREFIX = 'PAYOUT#';
export const PAYOUT_CURRENT_STATE_SK = 'PAYOUT';

const TYPES = { PAID: 'payout.paid', FAILED: 'payout.failed', RETURNED: 'payout.returned' } as const;

function text(image: Readonly<Record<string, unknown>>, name: string, change: ItemChange): string {
  const value = image[name];
  if (typeof value !== 'string' || value === '') {
    throw new MalformedChangeError(`${change.pk}: ${name} is missing`, { pk: change.pk, sk: change.sk });
  }
  return value;
}

export function payoutEvents(change: ItemChange): DomainEvent[] {
  const after = change.newImage;
  if (!after) return [];
  const status = after.status;
  if (status === change.oldImage?.status) return [];
  if (status !== 'PAID' && status !== 'FAILED' && status !== 'RETURNED') return [];
  const version = Number(after.version);
  let amount: { amount: string; amount_minor: number; currency: string };
  try {
    const minor = Number(after.amount);
    const m = money(parseCurrency(after.currency), minor);
    amount = { amount: formatAmount(m), amount_minor: minor, currency: m.currency };
  } catch (error) {
    throw new MalformedChangeError(
      `${change.pk}: invalid amount or currency`,
      { pk: change.pk, sk: change.sk },
      { cause: error },
    );
  }
  const optional = (name: string) =>
    typeof after[name] === 'string' && after[name] !== '' ? { [name]: after[name] as string } : {};
  const data = {
    payout_id: text(after, 'payout_id', change),
    seller_account: text(after, 'seller_id', change),
    ...amount,
    provider: text(after, 'provider', change),
    destination: text(after, 'destination_account', change),
    ...optional('provider_reference'),
    ...optional('bank_payout_id'),
    ...(status === 'PAID' ? {} : { ...optional('failure_code'), ...optional('failure_message') }),
    payout_version: version,
  };
  return [
    {
      id: `${change.pk}#v${version}`,
      type: TYPES[status],
      occurred_at: text(after, 'updated_at', change),
      version: DOMAIN_EVENT_SCHEMA_VERSION,
      data,
    },
  ];
}
