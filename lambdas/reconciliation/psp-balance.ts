/**
 * The PSP's balance API as a settlement source (Stripe): `GET /v1/balance_transactions?payout=po_...`, every
 * page (the SDK's auto-pagination, 100 a page), each transaction read into a SettlementRow with the ids a
 * row of the file would carry (the PaymentIntent and its metadata, through `expand`). Also a payout's amount,
 * from its own balance transaction, for the file's payout check. Stripe amounts are already integer minor
 * units.
 */
import type Stripe from 'stripe';
import { settlementCurrency } from './amounts';
import type { SettlementRow } from './model';

export interface BalanceSource {
  payoutTransactions(payoutId: string): AsyncIterable<SettlementRow>;
  /** The payout's amount (positive, minor units), or undefined when the PSP does not know the payout. */
  payoutTotal(payoutId: string): Promise<bigint | undefined>;
}

type Expandable = string | { id: string; [k: string]: unknown } | null | undefined;

const idOf = (value: Expandable): string | undefined =>
  typeof value === 'string' ? value : (value?.id ?? undefined);

function metadataOf(intent: Expandable): Record<string, string> {
  if (!intent || typeof intent === 'string') return {};
  return (intent.metadata as Record<string, string> | undefined) ?? {};
}

export function rowOf(txn: Stripe.BalanceTransaction, line: number, payoutId: string): SettlementRow {
  const source = txn.source as unknown as Expandable;
  const sourceObject = source && typeof source !== 'string' ? source : undefined;
  const intent = sourceObject?.payment_intent as Expandable;
  const meta = metadataOf(intent);
  const row: Record<string, unknown> = {
    line,
    balanceTransactionId: txn.id,
    category: txn.reporting_category,
    sourceId: idOf(source) ?? '',
    currency: settlementCurrency(txn.currency),
    gross: BigInt(txn.amount),
    fee: BigInt(txn.fee),
    net: BigInt(txn.net),
    payoutId,
    createdAt: new Date(txn.created * 1000).toISOString().slice(0, 19).replace('T', ' '),
  };
  const pi = idOf(intent);
  if (pi) row.paymentIntentId = pi;
  if (sourceObject?.object === 'charge') row.chargeId = sourceObject.id;
  if (meta.payment_order_id) row.paymentOrderId = meta.payment_order_id;
  if (meta.checkout_id) row.checkoutId = meta.checkout_id;
  // The source's own metadata: our refund id on a refund, our payout id on a transfer and its reversals.
  const own = (sourceObject?.metadata as Record<string, string> | undefined) ?? {};
  if (txn.reporting_category.startsWith('refund') && own.refund_id) row.refundId = own.refund_id;
  if (txn.reporting_category.startsWith('transfer')) {
    const group = own.payout_id ?? (sourceObject?.transfer_group as string | null | undefined);
    if (group) row.transferPayoutId = group;
  }
  return row as unknown as SettlementRow;
}

export class StripeBalanceSource implements BalanceSource {
  constructor(private readonly stripe: Stripe) {}

  async *payoutTransactions(payoutId: string): AsyncIterable<SettlementRow> {
    let line = 0;
    for await (const txn of this.stripe.balanceTransactions.list({
      payout: payoutId,
      limit: 100,
      expand: ['data.source.payment_intent'],
    })) {
      yield rowOf(txn, ++line, payoutId);
    }
  }

  async payoutTotal(payoutId: string): Promise<bigint | undefined> {
    const page = await this.stripe.balanceTransactions.list({ payout: payoutId, type: 'payout', limit: 1 });
    const own = page.data.find((t) => t.type === 'payout');
    return own ? -BigInt(own.amount) : undefined;
  }
}
