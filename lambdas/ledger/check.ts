/**
 * The full-ledger check, for tests and reconciliation only: it Scans both tables, which costs a read of
 * everything and must never run on a request path. It answers every broken invariant it finds:
 *   - every transaction's entries sum to zero per currency, and its entry items match its header;
 *   - the whole ledger sums to zero per currency;
 *   - each wallet equals the sum of its ledger entries: available = balance of seller_payable:{seller},
 *     reserved = balance of payouts_in_transit:{seller}, paid_out = sum of payout_paid postings (less
 *     payout_returned), receivable = balance of seller_receivable:{seller}, dispute_held = balance of
 *     dispute_hold:{seller}, and none is negative;
 *   - the reserved balance equals the sum of the holds still reserved.
 */
import { ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import type { LedgerContext } from './context';
import { minorUnits, readEntry, readTransaction, type StoredEntry } from './items';
import { ItemKind } from './keys';
import { contentHash, PAID_OUT_REASONS, parseAccount } from './model';

export interface LedgerCheckReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly transactions: number;
  readonly entries: number;
  readonly wallets: number;
  /** Sum of all entries per currency: zero in a healthy ledger. */
  readonly totals: Readonly<Record<string, bigint>>;
}

interface WalletSums {
  available: bigint;
  reserved: bigint;
  paidOut: bigint;
  receivable: bigint;
  disputeHeld: bigint;
  heldInReserve: bigint;
}

export async function verifyLedger(ctx: LedgerContext): Promise<LedgerCheckReport> {
  const problems: string[] = [];
  const headers = new Map<string, ReturnType<typeof readTransaction>>();
  const entriesByTx = new Map<string, StoredEntry[]>();
  const totals = new Map<string, bigint>();
  const fromLedger = new Map<string, WalletSums>();
  const sums = (sellerId: string, currency: string) => {
    const key = `${sellerId} ${currency}`;
    let found = fromLedger.get(key);
    if (!found) {
      found = {
        available: 0n,
        reserved: 0n,
        paidOut: 0n,
        receivable: 0n,
        disputeHeld: 0n,
        heldInReserve: 0n,
      };
      fromLedger.set(key, found);
    }
    return found;
  };

  let entryCount = 0;
  for await (const item of scanAll(ctx, ctx.tables.ledger)) {
    if (item.kind === ItemKind.Transaction) {
      const tx = readTransaction(item);
      headers.set(tx.id, tx);
      if (contentHash(tx) !== tx.contentHash) problems.push(`${tx.id}: content does not match its hash`);
      const perCurrency = new Map<string, bigint>();
      for (const e of tx.entries) {
        perCurrency.set(e.amount.currency, (perCurrency.get(e.amount.currency) ?? 0n) + e.amount.minor);
      }
      for (const [currency, total] of perCurrency) {
        if (total !== 0n) problems.push(`${tx.id}: entries sum to ${total} ${currency}, not zero`);
      }
    } else if (item.kind === ItemKind.Entry) {
      entryCount++;
      const entry = readEntry(item);
      entriesByTx.set(entry.txId, [...(entriesByTx.get(entry.txId) ?? []), entry]);
      const { currency, minor } = entry.amount;
      totals.set(currency, (totals.get(currency) ?? 0n) + minor);
      const { kind, sellerId } = parseAccount(entry.account);
      if (sellerId) {
        const wallet = sums(sellerId, currency);
        if (kind === 'seller_payable') wallet.available -= minor;
        if (kind === 'seller_receivable') wallet.receivable += minor;
        if (kind === 'dispute_hold') wallet.disputeHeld -= minor;
        if (kind === 'payouts_in_transit') {
          wallet.reserved -= minor;
          if (PAID_OUT_REASONS.has(entry.reason)) wallet.paidOut += minor;
        }
      }
    } else {
      problems.push(`unknown ledger item ${String(item.pk)} / ${String(item.sk)}`);
    }
  }

  for (const [currency, total] of totals) {
    if (total !== 0n) problems.push(`the ledger sums to ${total} ${currency}, not zero`);
  }
  for (const [id, tx] of headers) {
    const stored = (entriesByTx.get(id) ?? []).sort((a, b) => a.index - b.index);
    const expected = tx.entries.map(
      (e, index) => `${index} ${e.account} ${e.amount.currency} ${e.amount.minor}`,
    );
    const actual = stored.map((e) => `${e.index} ${e.account} ${e.amount.currency} ${e.amount.minor}`);
    if (expected.join('|') !== actual.join('|')) problems.push(`${id}: entry items differ from the header`);
  }
  for (const id of entriesByTx.keys()) {
    if (!headers.has(id)) problems.push(`${id}: entries without a transaction header`);
  }

  const seen = new Set<string>();
  let walletCount = 0;
  for await (const item of scanAll(ctx, ctx.tables.wallets)) {
    const key = `${String(item.seller_id)} ${String(item.currency)}`;
    if (item.kind === ItemKind.Hold) {
      if (item.status === 'reserved')
        sums(String(item.seller_id), String(item.currency)).heldInReserve += minorUnits(item.amount);
      continue;
    }
    // The table holds other items too (buyer totals, lambdas/refunds/buyer-totals.ts): only balances are wallets.
    if (item.kind !== ItemKind.Balance) continue;
    walletCount++;
    seen.add(key);
    const stored = {
      available: minorUnits(item.available),
      reserved: minorUnits(item.reserved),
      paidOut: minorUnits(item.paid_out),
      receivable: minorUnits(item.receivable),
      disputeHeld: minorUnits(item.dispute_held),
    };
    const expected = sums(String(item.seller_id), String(item.currency));
    for (const name of ['available', 'reserved', 'paidOut', 'receivable', 'disputeHeld'] as const) {
      if (stored[name] < 0n) problems.push(`wallet ${key}: ${name} is negative (${stored[name]})`);
      if (stored[name] !== expected[name]) {
        problems.push(`wallet ${key}: ${name} is ${stored[name]}, its entries say ${expected[name]}`);
      }
    }
  }
  for (const [key, expected] of fromLedger) {
    if (
      !seen.has(key) &&
      (expected.available ||
        expected.reserved ||
        expected.paidOut ||
        expected.receivable ||
        expected.disputeHeld)
    ) {
      problems.push(`wallet ${key} is missing; its entries say ${JSON.stringify(expected, bigints)}`);
    }
    if (expected.heldInReserve !== expected.reserved) {
      problems.push(
        `wallet ${key}: reserved entries say ${expected.reserved}, open holds ${expected.heldInReserve}`,
      );
    }
  }

  return {
    ok: problems.length === 0,
    problems,
    transactions: headers.size,
    entries: entryCount,
    wallets: walletCount,
    totals: Object.fromEntries(totals),
  };
}

const bigints = (_: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

async function* scanAll(ctx: LedgerContext, table: string): AsyncGenerator<Record<string, unknown>> {
  let start: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await ctx.db.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start);
}
