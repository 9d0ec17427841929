/**
 * Settlement files: Stripe's itemized payout reconciliation report (`payout_reconciliation.itemized.5`) for
 * one UTC day, as CSV, optionally written to S3.
 *
 * Model: every balance transaction (charge, refund, transfer, transfer reversal) settles on its `available_on`
 * day; the day's transactions in one currency are paid out by one automatic payout (`po_...`, stable per day
 * and currency) that arrives the next day at 00:00:00 UTC (`automatic_payout_effective_at`).
 *
 * Format: the report's columns in Stripe's documented order, then `payment_metadata[k]`,
 * `refund_metadata[k]` and `transfer_metadata[k]` for the requested keys (default: every key seen in the
 * day's rows, sorted). Money in major units as Stripe writes them ("12.34", "-5.00", JPY "1200"); `net` =
 * `gross` - `fee`; timestamps `YYYY-MM-DD HH:MM:SS` in UTC (the requested timezone is UTC); empty cells for
 * what the simulator does not know. Fees follow `fees.ts`.
 *
 * Discrepancies can be injected for reconciliation tests; each names its target row by balance transaction,
 * source, charge or PaymentIntent id (default: the first row) and is reported back in `applied`.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { automaticPayouts } from './automatic-payouts';
import { chargeFee, type FeeSchedule } from './fees';
import { formatMajor } from './money';
import type { BalanceTransaction, Charge } from './objects';
import { newId } from './random';
import type { Store } from './store';

export const REPORT_TYPE = 'payout_reconciliation.itemized.5';

export const PAYOUT_RECONCILIATION_COLUMNS = [
  'automatic_payout_id',
  'automatic_payout_effective_at',
  'balance_transaction_id',
  'created_utc',
  'created',
  'available_on_utc',
  'available_on',
  'currency',
  'gross',
  'fee',
  'net',
  'reporting_category',
  'source_id',
  'description',
  'customer_facing_amount',
  'customer_facing_currency',
  'regulatory_tag',
  'automatic_payout_effective_at_utc',
  'customer_id',
  'customer_email',
  'customer_name',
  'customer_description',
  'customer_shipping_address_line1',
  'customer_shipping_address_line2',
  'customer_shipping_address_city',
  'customer_shipping_address_state',
  'customer_shipping_address_postal_code',
  'customer_shipping_address_country',
  'customer_address_line1',
  'customer_address_line2',
  'customer_address_city',
  'customer_address_state',
  'customer_address_postal_code',
  'customer_address_country',
  'shipping_address_line1',
  'shipping_address_line2',
  'shipping_address_city',
  'shipping_address_state',
  'shipping_address_postal_code',
  'shipping_address_country',
  'card_address_line1',
  'card_address_line2',
  'card_address_city',
  'card_address_state',
  'card_address_postal_code',
  'card_address_country',
  'charge_id',
  'payment_intent_id',
  'charge_created_utc',
  'charge_created',
  'invoice_id',
  'invoice_number',
  'subscription_id',
  'order_id',
  'payment_method_type',
  'is_link',
  'card_brand',
  'card_funding',
  'card_country',
  'statement_descriptor',
  'dispute_reason',
  'connected_account_id',
  'connected_account_name',
  'connected_account_country',
  'connected_account_direct_charge_id',
  'destination_payment_id',
] as const;

export type Discrepancy =
  | { kind: 'missing_row'; target?: string }
  | { kind: 'duplicate_row'; target?: string }
  | { kind: 'amount_off'; target?: string; deltaMinor?: number }
  | { kind: 'fee_off'; target?: string; deltaMinor?: number }
  | { kind: 'currency_off'; target?: string; currency?: string }
  | { kind: 'extra_row'; amountMinor?: number; currency?: string };

export interface AppliedDiscrepancy {
  readonly kind: Discrepancy['kind'];
  readonly balanceTransactionId: string;
  readonly sourceId: string;
  readonly detail: string;
}

export interface MetadataColumns {
  payment?: string[];
  refund?: string[];
  transfer?: string[];
}

export interface SettlementOptions {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  discrepancies?: Discrepancy[];
  metadataColumns?: MetadataColumns;
  /** Only this currency's rows. */
  currency?: string;
}

export interface SettlementReport {
  readonly reportType: typeof REPORT_TYPE;
  readonly date: string;
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, string>[];
  readonly csv: string;
  readonly payouts: readonly { id: string; currency: string; effectiveAt: string }[];
  readonly applied: readonly AppliedDiscrepancy[];
}

export interface SettlementS3Config {
  bucket: string;
  /** Key prefix, e.g. `settlements/`. The key is `<prefix>payout_reconciliation.itemized.5/<date>.csv`. */
  prefix?: string;
  s3?: {
    endpoint?: string;
    region: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    forcePathStyle?: boolean;
  };
  /** Use this client instead of building one from `s3`. */
  client?: S3Client;
  /** Create the bucket on first publish if it does not exist. */
  createBucket?: boolean;
}

export interface PublishedSettlement extends SettlementReport {
  readonly bucket: string;
  readonly key: string;
}

interface Row {
  txnId: string;
  sourceId: string;
  chargeId: string;
  paymentIntentId: string;
  currency: string;
  gross: number;
  fee: number;
  cells: Record<string, string>;
}

const DAY_MS = 86_400_000;

export function parseDay(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const start = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (!match || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`settlement date must be YYYY-MM-DD (got ${date})`);
  }
  return start;
}

export function formatTimestamp(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function toCsv(columns: readonly string[], rows: readonly Record<string, string>[]): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(row[c] ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

export class SettlementService {
  private client: S3Client | undefined;
  private ownsClient = false;
  private bucketReady = false;

  constructor(
    private readonly store: Store,
    private readonly fees: FeeSchedule,
    private readonly s3Config: SettlementS3Config | undefined,
  ) {}

  private payoutId(date: string, currency: string): string {
    return automaticPayouts(this.store).idFor(date, currency);
  }

  report(options: SettlementOptions): SettlementReport {
    const start = parseDay(options.date);
    const fromS = start / 1000;
    const toS = (start + DAY_MS) / 1000;
    const effectiveAt = formatTimestamp(toS);
    const txns = this.store.balanceTransactions
      .all()
      .filter((t) => t.available_on >= fromS && t.available_on < toS)
      .filter((t) => !options.currency || t.currency === options.currency);
    const rows = txns.map((t) => this.row(t, options.date, effectiveAt));
    const applied = this.inject(rows, options.discrepancies ?? [], options.date, effectiveAt);

    const metaKeys = this.metadataKeys(rows, options.metadataColumns);
    const columns = [
      ...PAYOUT_RECONCILIATION_COLUMNS,
      ...metaKeys.payment.map((k) => `payment_metadata[${k}]`),
      ...metaKeys.refund.map((k) => `refund_metadata[${k}]`),
      ...metaKeys.transfer.map((k) => `transfer_metadata[${k}]`),
    ];
    const rendered = rows.map((r) => {
      const cells: Record<string, string> = { ...r.cells };
      cells.currency = r.currency;
      cells.gross = formatMajor(r.gross, r.currency);
      cells.fee = formatMajor(r.fee, r.currency);
      cells.net = formatMajor(r.gross - r.fee, r.currency);
      if (cells.customer_facing_currency) cells.customer_facing_currency = r.currency;
      return cells;
    });
    const payouts = [...new Set(rows.map((r) => r.currency))].map((currency) => ({
      id: this.payoutId(options.date, currency),
      currency,
      effectiveAt,
    }));
    return {
      reportType: REPORT_TYPE,
      date: options.date,
      columns,
      rows: rendered,
      csv: toCsv(columns, rendered),
      payouts,
      applied,
    };
  }

  async publish(options: SettlementOptions & { key?: string }): Promise<PublishedSettlement> {
    const config = this.s3Config;
    if (!config) throw new Error('settlement S3 is not configured (start option `settlement`)');
    const report = this.report(options);
    const key = options.key ?? `${config.prefix ?? ''}${REPORT_TYPE}/${options.date}.csv`;
    const client = this.s3();
    if (config.createBucket && !this.bucketReady) {
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      await client
        .send(new CreateBucketCommand({ Bucket: config.bucket }))
        .catch((error: { name?: string }) => {
          if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
        });
      this.bucketReady = true;
    }
    await client.send(
      new PutObjectCommand({
        Bucket: config.bucket,
        Key: key,
        Body: report.csv,
        ContentType: 'text/csv; charset=utf-8',
      }),
    );
    return { ...report, bucket: config.bucket, key };
  }

  stop(): void {
    if (this.ownsClient) this.client?.destroy();
    this.client = undefined;
  }

  private s3(): S3Client {
    if (this.client) return this.client;
    const config = this.s3Config;
    if (config?.client) {
      this.client = config.client;
      return this.client;
    }
    const s3 = config?.s3;
    this.client = new S3Client({
      region: s3?.region ?? 'us-east-1',
      ...(s3?.endpoint ? { endpoint: s3.endpoint } : {}),
      ...(s3?.credentials ? { credentials: s3.credentials } : {}),
      forcePathStyle: s3?.forcePathStyle ?? true,
    });
    this.ownsClient = true;
    return this.client;
  }

  private row(txn: BalanceTransaction, date: string, effectiveAt: string): Row {
    const cells: Record<string, string> = {
      automatic_payout_id: this.payoutId(date, txn.currency),
      automatic_payout_effective_at: effectiveAt,
      automatic_payout_effective_at_utc: effectiveAt,
      balance_transaction_id: txn.id,
      created_utc: formatTimestamp(txn.created),
      created: formatTimestamp(txn.created),
      available_on_utc: formatTimestamp(txn.available_on),
      available_on: formatTimestamp(txn.available_on),
      reporting_category: txn.reporting_category,
      source_id: txn.source,
      description: txn.description ?? '',
    };
    let charge: Charge | undefined;
    const meta: Record<string, string> = {};
    const addMeta = (kind: string, metadata: Record<string, string> | undefined) => {
      for (const [k, v] of Object.entries(metadata ?? {})) meta[`${kind}_metadata[${k}]`] = v;
    };
    if (txn.reporting_category === 'charge') {
      charge = this.store.charges.find(txn.source);
    } else if (txn.reporting_category === 'refund' || txn.reporting_category === 'refund_failure') {
      const refund = this.store.refunds.find(txn.source);
      charge = refund ? this.store.charges.find(refund.charge) : undefined;
      addMeta('refund', refund?.metadata);
    } else if (txn.reporting_category === 'dispute' || txn.reporting_category === 'dispute_reversal') {
      const dispute = this.store.disputes.find(txn.source);
      charge = dispute ? this.store.charges.find(dispute.charge) : undefined;
    } else {
      const transferId =
        txn.reporting_category === 'transfer' ? txn.source : this.store.reversals.find(txn.source)?.transfer;
      const transfer = transferId ? this.store.transfers.find(transferId) : undefined;
      if (transfer) {
        cells.connected_account_id = transfer.destination;
        cells.destination_payment_id = transfer.destination_payment;
        addMeta('transfer', transfer.metadata);
      }
    }
    if (charge) {
      const pi = charge.payment_intent ? this.store.paymentIntents.find(charge.payment_intent) : undefined;
      const card = charge.payment_method_details?.card as
        | { brand?: string; funding?: string; country?: string }
        | undefined;
      cells.customer_facing_amount = formatMajor(txn.amount, txn.currency);
      cells.customer_facing_currency = txn.currency;
      cells.charge_id = charge.id;
      cells.payment_intent_id = charge.payment_intent ?? '';
      cells.charge_created_utc = formatTimestamp(charge.created);
      cells.charge_created = formatTimestamp(charge.created);
      cells.payment_method_type = charge.payment_method_details?.type ?? '';
      cells.is_link = 'false';
      cells.card_brand = card?.brand ?? '';
      cells.card_funding = card?.funding ?? '';
      cells.card_country = card?.country ?? '';
      cells.statement_descriptor = charge.calculated_statement_descriptor ?? '';
      cells.customer_email = charge.billing_details.email ?? '';
      cells.customer_name = charge.billing_details.name ?? '';
      addMeta('payment', pi?.metadata ?? charge.metadata);
    }
    Object.assign(cells, meta);
    return {
      txnId: txn.id,
      sourceId: txn.source,
      chargeId: cells.charge_id ?? '',
      paymentIntentId: cells.payment_intent_id ?? '',
      currency: txn.currency,
      gross: txn.amount,
      fee: txn.fee,
      cells,
    };
  }

  private metadataKeys(rows: Row[], requested: MetadataColumns | undefined): Required<MetadataColumns> {
    const seen = (kind: string) =>
      [
        ...new Set(
          rows.flatMap((r) =>
            Object.keys(r.cells)
              .filter((c) => c.startsWith(`${kind}_metadata[`))
              .map((c) => c.slice(kind.length + 10, -1)),
          ),
        ),
      ].sort();
    return {
      payment: requested?.payment ?? seen('payment'),
      refund: requested?.refund ?? seen('refund'),
      transfer: requested?.transfer ?? seen('transfer'),
    };
  }

  private inject(
    rows: Row[],
    discrepancies: Discrepancy[],
    date: string,
    effectiveAt: string,
  ): AppliedDiscrepancy[] {
    const applied: AppliedDiscrepancy[] = [];
    // An extra row's default currency is the day's, read before any currency_off changes a row (else the
    // extra row's currency, and so its payout, would depend on which row the day's traffic wrote first).
    const dayCurrency = rows[0]?.currency ?? 'usd';
    const find = (target: string | undefined): number => {
      if (rows.length === 0) throw new RangeError('no settlement rows to inject a discrepancy into');
      if (target === undefined) return 0;
      const index = rows.findIndex((r) =>
        [r.txnId, r.sourceId, r.chargeId, r.paymentIntentId].includes(target),
      );
      if (index < 0) throw new RangeError(`no settlement row for ${target}`);
      return index;
    };
    for (const d of discrepancies) {
      if (d.kind === 'extra_row') {
        const currency = d.currency ?? dayCurrency;
        const gross = d.amountMinor ?? 1234;
        const chargeId = newId('ch');
        const txnId = newId('txn');
        const row: Row = {
          txnId,
          sourceId: chargeId,
          chargeId,
          paymentIntentId: newId('pi'),
          currency,
          gross,
          fee: chargeFee(gross, this.fees),
          cells: {},
        };
        const created = formatTimestamp(parseDay(date) / 1000 + 43_200);
        row.cells = {
          automatic_payout_id: this.payoutId(date, currency),
          automatic_payout_effective_at: effectiveAt,
          automatic_payout_effective_at_utc: effectiveAt,
          balance_transaction_id: txnId,
          created_utc: created,
          created,
          available_on_utc: created,
          available_on: created,
          reporting_category: 'charge',
          source_id: chargeId,
          customer_facing_amount: formatMajor(gross, currency),
          customer_facing_currency: currency,
          charge_id: chargeId,
          payment_intent_id: row.paymentIntentId,
          charge_created_utc: created,
          charge_created: created,
          payment_method_type: 'card',
          is_link: 'false',
          card_brand: 'visa',
          card_funding: 'credit',
          card_country: 'US',
        };
        rows.push(row);
        applied.push({
          kind: d.kind,
          balanceTransactionId: txnId,
          sourceId: chargeId,
          detail: `unknown charge of ${gross}`,
        });
        continue;
      }
      const index = find(d.target);
      const row = rows[index] as Row;
      switch (d.kind) {
        case 'missing_row':
          rows.splice(index, 1);
          applied.push({
            kind: d.kind,
            balanceTransactionId: row.txnId,
            sourceId: row.sourceId,
            detail: 'row removed',
          });
          break;
        case 'duplicate_row':
          rows.splice(index + 1, 0, { ...row, cells: { ...row.cells } });
          applied.push({
            kind: d.kind,
            balanceTransactionId: row.txnId,
            sourceId: row.sourceId,
            detail: 'row repeated',
          });
          break;
        case 'amount_off': {
          const delta = d.deltaMinor ?? 1;
          row.gross += delta;
          if (row.cells.customer_facing_amount)
            row.cells.customer_facing_amount = formatMajor(row.gross, row.currency);
          applied.push({
            kind: d.kind,
            balanceTransactionId: row.txnId,
            sourceId: row.sourceId,
            detail: `gross ${delta > 0 ? '+' : ''}${delta}`,
          });
          break;
        }
        case 'fee_off': {
          const delta = d.deltaMinor ?? 1;
          row.fee += delta;
          applied.push({
            kind: d.kind,
            balanceTransactionId: row.txnId,
            sourceId: row.sourceId,
            detail: `fee ${delta > 0 ? '+' : ''}${delta}`,
          });
          break;
        }
        case 'currency_off': {
          const to = d.currency ?? (row.currency === 'eur' ? 'usd' : 'eur');
          applied.push({
            kind: d.kind,
            balanceTransactionId: row.txnId,
            sourceId: row.sourceId,
            detail: `${row.currency} -> ${to}`,
          });
          row.currency = to;
          break;
        }
      }
    }
    return applied;
  }
}
