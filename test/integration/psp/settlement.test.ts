/**
 * Settlement files: the day's payout reconciliation report, in Stripe's columns and major units, written to
 * the local S3 (fauxqs) and matching what the simulator did that day; injected discrepancies for reconciliation.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import { PAYOUT_RECONCILIATION_COLUMNS } from '../../../sandbox/psp';
import { engineEndpoints, uniquePrefix } from '../../support/engines';
import { type SimHarness, startHarness } from './support/sim';

/** Reads a CSV into records keyed by header name (quoted cells allowed). */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  const [header, ...data] = rows;
  return data.map((cells) => Object.fromEntries((header ?? []).map((h, i) => [h, cells[i] ?? ''])));
}

const DAY_ONE = Date.UTC(2026, 2, 14, 10, 0, 0);
let h: SimHarness;
let s3: S3Client;
let bucket: string;

beforeAll(async () => {
  bucket = uniquePrefix('psp-settlement').slice(0, -1);
  const { messaging } = engineEndpoints();
  h = await startHarness({
    clock: { now: () => DAY_ONE },
    settlement: {
      s3: { endpoint: messaging, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS },
      bucket,
      prefix: 'settlements/',
      createBucket: true,
    },
  });
  s3 = new S3Client({
    endpoint: messaging,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
});

afterAll(async () => {
  s3.destroy();
  await h.stop();
});

describe('settlement report', () => {
  it('writes the day\u2019s charges, refunds and transfers to S3 in Stripe\u2019s columns and units', async () => {
    // Prepare: day one
    const usd = await h.stripe.paymentIntents.create({
      amount: 10_000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      metadata: { payment_order_id: 'po-usd' },
    });
    const jpy = await h.stripe.paymentIntents.create({
      amount: 5000,
      currency: 'jpy',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    await h.stripe.paymentIntents
      .create({ amount: 4000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true })
      .catch(() => undefined);
    const refund = await h.stripe.refunds.create({ payment_intent: usd.id, amount: 2500 });
    const transfer = await h.stripe.transfers.create({
      amount: 3000,
      currency: 'usd',
      destination: 'acct_seller_s1',
      metadata: { payout_id: 'payout-1' },
    });
    // ... and day two
    h.sim.control.advanceClock(86_400_000);
    const nextDay = await h.stripe.paymentIntents.create({
      amount: 777,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    // Act
    const published = await h.sim.control.publishSettlement({ date: '2026-03-14' });
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: published.key }));
    const csv = await object.Body?.transformToString('utf8');
    // Assess
    expect(published.key).toBe('settlements/payout_reconciliation.itemized.5/2026-03-14.csv');
    expect(csv).toBe(published.csv);
    const header = csv?.split('\n')[0]?.split(',') ?? [];
    expect(header.slice(0, PAYOUT_RECONCILIATION_COLUMNS.length)).toEqual([...PAYOUT_RECONCILIATION_COLUMNS]);
    const rows = parseCsv(csv ?? '');
    const pick = (r: Record<string, string>) => [
      r.reporting_category,
      (r.source_id ?? '').slice(0, 3),
      r.currency,
      r.gross,
      r.fee,
      r.net,
    ];
    expect(rows.map(pick)).toEqual([
      ['charge', 'ch_', 'usd', '100.00', '3.20', '96.80'],
      ['charge', 'ch_', 'jpy', '5000', '175', '4825'],
      ['refund', 're_', 'usd', '-25.00', '0.00', '-25.00'],
      ['transfer', 'tr_', 'usd', '-30.00', '0.00', '-30.00'],
    ]);
    expect(rows[0]).toMatchObject({
      payment_intent_id: usd.id,
      charge_id: usd.latest_charge,
      'payment_metadata[payment_order_id]': 'po-usd',
      card_brand: 'visa',
      payment_method_type: 'card',
      created_utc: '2026-03-14 10:00:00',
      automatic_payout_effective_at_utc: '2026-03-15 00:00:00',
    });
    expect(rows[1]?.payment_intent_id).toBe(jpy.id);
    expect(rows[2]).toMatchObject({ source_id: refund.id, payment_intent_id: usd.id });
    expect(rows[3]).toMatchObject({
      source_id: transfer.id,
      connected_account_id: 'acct_seller_s1',
      'transfer_metadata[payout_id]': 'payout-1',
    });
    expect(rows[0]?.automatic_payout_id).toMatch(/^po_/);
    expect(rows[0]?.automatic_payout_id).toBe(rows[2]?.automatic_payout_id);
    expect(rows[1]?.automatic_payout_id).not.toBe(rows[0]?.automatic_payout_id);
    const dayTwo = parseCsv(h.sim.control.settlementReport({ date: '2026-03-15' }).csv);
    expect(dayTwo.map((r) => r.payment_intent_id)).toEqual([nextDay.id]);
    expect(csv).not.toContain('4242424242424242');
  });

  it('injects each kind of discrepancy on request', async () => {
    // Prepare
    const clean = parseCsv(h.sim.control.settlementReport({ date: '2026-03-14', currency: 'usd' }).csv);
    const [charge, refund, transfer] = clean;
    // Act
    const report = h.sim.control.settlementReport({
      date: '2026-03-14',
      currency: 'usd',
      discrepancies: [
        { kind: 'amount_off', target: charge?.payment_intent_id, deltaMinor: 100 },
        { kind: 'fee_off', target: refund?.source_id, deltaMinor: 5 },
        { kind: 'duplicate_row', target: refund?.source_id },
        { kind: 'missing_row', target: transfer?.source_id },
        { kind: 'extra_row', amountMinor: 4321 },
        { kind: 'currency_off', target: charge?.charge_id, currency: 'eur' },
      ],
    });
    // Assess
    const rows = parseCsv(report.csv);
    expect(rows.map((r) => [r.reporting_category, r.currency, r.gross, r.fee, r.net])).toEqual([
      ['charge', 'eur', '101.00', '3.20', '97.80'],
      ['refund', 'usd', '-25.00', '0.05', '-25.05'],
      ['refund', 'usd', '-25.00', '0.05', '-25.05'],
      ['charge', 'usd', '43.21', '1.55', '41.66'],
    ]);
    expect(rows.map((r) => r.source_id)).not.toContain(transfer?.source_id);
    expect(report.applied.map((a) => a.kind)).toEqual([
      'amount_off',
      'fee_off',
      'duplicate_row',
      'missing_row',
      'extra_row',
      'currency_off',
    ]);
  });

  it('gives an extra row the day\u2019s currency and payout even when a currency_off changed the first row before it', async () => {
    const clean = parseCsv(h.sim.control.settlementReport({ date: '2026-03-14', currency: 'usd' }).csv);
    const [first] = clean;
    const report = h.sim.control.settlementReport({
      date: '2026-03-14',
      currency: 'usd',
      discrepancies: [
        { kind: 'currency_off', target: first?.balance_transaction_id, currency: 'eur' },
        { kind: 'extra_row', amountMinor: 4321 },
      ],
    });
    const rows = parseCsv(report.csv);
    const extra = rows.find((r) => r.gross === '43.21');
    expect(rows[0]?.currency).toBe('eur');
    expect(extra).toMatchObject({ currency: 'usd', automatic_payout_id: first?.automatic_payout_id });
    expect(report.payouts.map((p) => p.currency)).toEqual(['eur', 'usd']);
  });

  it('serves the CSV over the control API', async () => {
    const response = await fetch(`${h.sim.url}/_sim/settlement/2026-03-15.csv`);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(parseCsv(await response.text())).toHaveLength(1);
  });
});
