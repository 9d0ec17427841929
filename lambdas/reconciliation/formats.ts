/**
 * Settlement file formats, told apart by their header, and each row read into a SettlementRow by column
 * NAME (Stripe adds columns over time; positions are never relied on). Amounts are major units converted
 * with the currency's exponent (amounts.ts). A row that cannot be read is answered as a RowError with its
 * line; the caller reports it and goes on.
 */
import { MoneyError } from '../money';
import { settlementCurrency, toMinor } from './amounts';
import { InputFormat, type SettlementRow } from './model';

export interface RowError {
  readonly line: number;
  readonly error: string;
}

export interface RowReader {
  readonly format: InputFormat;
  read(cells: readonly string[], line: number): SettlementRow | RowError;
}

export const isRowError = (value: SettlementRow | RowError): value is RowError => 'error' in value;

const STRIPE_REQUIRED = [
  'balance_transaction_id',
  'currency',
  'gross',
  'fee',
  'net',
  'reporting_category',
] as const;

/**
 * The generic CSV: `id`, `category`, `currency`, `amount`, `fee` are required; `net`, `source_id`,
 * `payment_intent_id`, `payment_order_id`, `checkout_id`, `payout_id`, `refund_id` (ours, on refund rows),
 * `transfer_group` (our payout id, on transfer rows), `created` are read when present.
 * Amounts in major units, categories as Stripe names them.
 */
export const GENERIC_REQUIRED = ['id', 'category', 'currency', 'amount', 'fee'] as const;

export class UnknownFormatError extends Error {
  constructor(readonly header: readonly string[]) {
    super(
      `not a settlement file: the header has neither Stripe's columns (${STRIPE_REQUIRED.join(', ')}) nor the generic ones (${GENERIC_REQUIRED.join(', ')})`,
    );
    this.name = 'UnknownFormatError';
  }
}

/** The reader for a header, or UnknownFormatError. */
export function readerFor(header: readonly string[]): RowReader {
  const names = header.map((h) => h.trim());
  const index = new Map(names.map((name, i) => [name, i]));
  const has = (cols: readonly string[]) => cols.every((c) => index.has(c));
  if (has(STRIPE_REQUIRED)) return stripeReader(index, names.length);
  if (has(GENERIC_REQUIRED)) return genericReader(index, names.length);
  throw new UnknownFormatError(names);
}

type Cell = (cells: readonly string[]) => string;

function column(index: ReadonlyMap<string, number>, name: string): Cell {
  const i = index.get(name);
  return i === undefined ? () => '' : (cells) => (cells[i] ?? '').trim();
}

function amounts(
  cells: readonly string[],
  get: { currency: Cell; gross: Cell; fee: Cell; net?: Cell },
): Pick<SettlementRow, 'currency' | 'gross' | 'fee' | 'net'> {
  const currency = settlementCurrency(get.currency(cells));
  const gross = toMinor(get.gross(cells), currency);
  const feeText = get.fee(cells);
  const fee = feeText === '' ? 0n : toMinor(feeText, currency);
  const netText = get.net?.(cells) ?? '';
  const net = netText === '' ? gross - fee : toMinor(netText, currency);
  if (net !== gross - fee) throw new RowReadError(`net ${netText} is not gross - fee`);
  return { currency, gross, fee, net };
}

class RowReadError extends Error {}

function guarded(
  line: number,
  cells: readonly string[],
  width: number,
  read: () => SettlementRow,
): SettlementRow | RowError {
  if (cells.length !== width) {
    return { line, error: `${cells.length} cells where the header has ${width}` };
  }
  try {
    return read();
  } catch (error) {
    if (error instanceof MoneyError || error instanceof RowReadError) return { line, error: error.message };
    throw error;
  }
}

const optional = (value: string) => (value === '' ? undefined : value);

function stripeReader(index: ReadonlyMap<string, number>, width: number): RowReader {
  const get = {
    id: column(index, 'balance_transaction_id'),
    category: column(index, 'reporting_category'),
    source: column(index, 'source_id'),
    currency: column(index, 'currency'),
    gross: column(index, 'gross'),
    fee: column(index, 'fee'),
    net: column(index, 'net'),
    pi: column(index, 'payment_intent_id'),
    charge: column(index, 'charge_id'),
    order: column(index, 'payment_metadata[payment_order_id]'),
    checkout: column(index, 'payment_metadata[checkout_id]'),
    payout: column(index, 'automatic_payout_id'),
    refund: column(index, 'refund_metadata[refund_id]'),
    transferPayout: column(index, 'transfer_metadata[payout_id]'),
    created: column(index, 'created_utc'),
  };
  return {
    format: InputFormat.StripeItemized,
    read: (cells, line) =>
      guarded(line, cells, width, () => {
        const id = get.id(cells);
        const category = get.category(cells).toLowerCase();
        if (!id) throw new RowReadError('no balance_transaction_id');
        if (!category) throw new RowReadError('no reporting_category');
        return compact({
          line,
          balanceTransactionId: id,
          category,
          sourceId: get.source(cells),
          ...amounts(cells, get),
          paymentIntentId: optional(get.pi(cells)),
          chargeId: optional(get.charge(cells)),
          paymentOrderId: optional(get.order(cells)),
          checkoutId: optional(get.checkout(cells)),
          payoutId: optional(get.payout(cells)),
          refundId: optional(get.refund(cells)),
          transferPayoutId: optional(get.transferPayout(cells)),
          createdAt: optional(get.created(cells)),
        });
      }),
  };
}

function genericReader(index: ReadonlyMap<string, number>, width: number): RowReader {
  const get = {
    id: column(index, 'id'),
    category: column(index, 'category'),
    source: column(index, 'source_id'),
    currency: column(index, 'currency'),
    gross: column(index, 'amount'),
    fee: column(index, 'fee'),
    net: column(index, 'net'),
    pi: column(index, 'payment_intent_id'),
    order: column(index, 'payment_order_id'),
    checkout: column(index, 'checkout_id'),
    payout: column(index, 'payout_id'),
    refund: column(index, 'refund_id'),
    transferGroup: column(index, 'transfer_group'),
    created: column(index, 'created'),
  };
  return {
    format: InputFormat.Generic,
    read: (cells, line) =>
      guarded(line, cells, width, () => {
        const id = get.id(cells);
        const category = get.category(cells).toLowerCase();
        if (!id) throw new RowReadError('no id');
        if (!category) throw new RowReadError('no category');
        return compact({
          line,
          balanceTransactionId: id,
          category,
          sourceId: get.source(cells) || get.pi(cells),
          ...amounts(cells, get),
          paymentIntentId: optional(get.pi(cells)),
          paymentOrderId: optional(get.order(cells)),
          checkoutId: optional(get.checkout(cells)),
          payoutId: optional(get.payout(cells)),
          refundId: optional(get.refund(cells)),
          transferPayoutId: optional(get.transferGroup(cells)),
          createdAt: optional(get.created(cells)),
        });
      }),
  };
}

/** Drops undefined fields (exactOptionalPropertyTypes-friendly and smaller in reports). */
function compact(row: { [K in keyof SettlementRow]: SettlementRow[K] | undefined }): SettlementRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== undefined) out[k] = v;
  return out as unknown as SettlementRow;
}
