/** The streaming CSV reader and the settlement formats: quotes, line ends, chunk boundaries, bad rows by line. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvItem, csvRecords } from '../../../lambdas/reconciliation/csv';
import { isRowError, readerFor, UnknownFormatError } from '../../../lambdas/reconciliation/formats';

async function all(chunks: readonly (string | Uint8Array)[]): Promise<CsvItem[]> {
  async function* source() {
    yield* chunks;
  }
  const out: CsvItem[] = [];
  for await (const item of csvRecords(source())) out.push(item);
  return out;
}

function toCsv(rows: readonly string[][]): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  return `${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

describe('csvRecords', () => {
  it('reads quoted cells, doubled quotes, commas and line breaks inside quotes, CRLF, and numbers lines', async () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",z\n\n3,,\n';
    expect(await all([text])).toEqual([
      { line: 1, cells: ['a', 'b', 'c'] },
      { line: 2, cells: ['1', 'x, y', 'say "hi"'] },
      { line: 3, cells: ['2', 'two\nlines', 'z'] },
      { line: 6, cells: ['3', '', ''] },
    ]);
  });

  it('gives the same records however the bytes are cut into chunks (even inside a UTF-8 character)', async () => {
    const cellArb = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\n', '€', ' ', '1') });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cellArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        async (rows, cuts) => {
          // A record of one empty cell is a blank line, which is no record.
          const data = rows.filter((r) => !(r.length === 1 && r[0] === ''));
          const bytes = Buffer.from(toCsv(data));
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            chunks.push(bytes.subarray(at, at + size));
            at += size;
          }
          const read = await all(chunks);
          expect(read.map((r) => ('cells' in r ? r.cells : r))).toEqual(data);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('reports a malformed record by its line and goes on with the next', async () => {
    const text = 'h1,h2\nok,1\nbad"x,3\n"ok" trailing,4\nfine,5\n"never closed,6\nlast,7';
    expect(await all([text])).toEqual([
      { line: 1, cells: ['h1', 'h2'] },
      { line: 2, cells: ['ok', '1'] },
      { line: 3, error: 'quote inside an unquoted cell' },
      { line: 4, error: 'text after a closing quote' },
      { line: 5, cells: ['fine', '5'] },
      { line: 6, error: 'unterminated quoted cell' },
      { line: 7, cells: ['last', '7'] },
    ]);
  });
});

describe('settlement formats', () => {
  const stripeHeader = [
    'automatic_payout_id',
    'balance_transaction_id',
    'currency',
    'gross',
    'fee',
    'net',
    'reporting_category',
    'source_id',
    'payment_intent_id',
    'payment_metadata[payment_order_id]',
    'some_new_column',
  ];

  it("reads Stripe's columns by name, in major units with the currency's exponent", () => {
    // Columns in another order than documented: only names count.
    const reader = readerFor([...stripeHeader].reverse());
    expect(reader.format).toBe('stripe_itemized');
    const cells = (values: string[]) => [...values].reverse();
    const jpy = reader.read(
      cells(['po_1', 'txn_1', 'jpy', '1500', '74', '1426', 'charge', 'ch_1', 'pi_1', 'po_a', 'x']),
      2,
    );
    expect(jpy).toMatchObject({
      currency: 'JPY',
      gross: 1500n,
      fee: 74n,
      net: 1426n,
      paymentOrderId: 'po_a',
      payoutId: 'po_1',
    });
    const bhd = reader.read(
      cells(['po_1', 'txn_2', 'bhd', '-1.234', '0.000', '-1.234', 'refund', 're_1', '', '', '']),
      3,
    );
    expect(bhd).toMatchObject({ currency: 'BHD', gross: -1234n, fee: 0n, net: -1234n, category: 'refund' });
    expect(bhd).not.toHaveProperty('paymentIntentId');
  });

  it('answers a row it cannot read with its line and why', () => {
    const reader = readerFor(stripeHeader);
    const row = (gross: string, net: string, currency = 'usd') =>
      reader.read(['po', 'txn', currency, gross, '0.30', net, 'charge', 'ch', 'pi', 'o', ''], 9);
    for (const [bad, why] of [
      [row('12.345', '12.045'), /decimal/],
      [row('12.34', '12.00'), /net/],
      [row('12.34', '12.04', 'xyz'), /currency/],
      [reader.read(['too', 'few'], 9), /cells/],
    ] as const) {
      expect(isRowError(bad)).toBe(true);
      expect(bad).toMatchObject({ line: 9, error: expect.stringMatching(why) });
    }
  });

  it('detects the generic CSV, and refuses a header that is neither', () => {
    const reader = readerFor(['id', 'category', 'currency', 'amount', 'fee', 'payment_order_id']);
    expect(reader.format).toBe('generic_csv');
    expect(reader.read(['g1', 'charge', 'eur', '10.00', '0.59', 'po_x'], 2)).toMatchObject({
      balanceTransactionId: 'g1',
      gross: 1000n,
      net: 941n,
      paymentOrderId: 'po_x',
    });
    expect(() => readerFor(['date', 'amount'])).toThrow(UnknownFormatError);
  });
});
