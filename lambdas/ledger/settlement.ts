/**
 * Settlement: the PSP paid a payout's rows to the platform's bank account, less its fees. For the matched
 * rows of one payout (or one day and currency when no payout is named): platform cash + net, PSP fees + fee,
 * PSP receivable - gross of the charges (the receivable the pay-ins opened is closed).
 *
 * A payout is posted as a chain `settlement:{key}:1`, `:2`, ... whose sum is what the latest reconciliation
 * says: a run posts only the difference from what the chain already holds (nothing on a re-run; the
 * correction when a corrected file matched more or fewer rows). The next link's id is the optimistic lock:
 * two runs racing on a payout both try the same id, one posts it and the other replays or re-reads.
 */
import { type CurrencyCode, money } from '../money';
import type { LedgerContext } from './context';
import { ConflictingTransactionError } from './errors';
import { Accounts, checkKeySafeId, type EntryInput, type TransactionInput } from './model';
import { postTransaction, readTransactionById } from './posting';

export interface SettlementTotals {
  /** Payout id, or `day-{date}-{currency}`. */
  readonly key: string;
  readonly currency: CurrencyCode;
  readonly cash: bigint;
  readonly fees: bigint;
  readonly receivable: bigint;
}

export interface SettlementPosting {
  /** The link posted now, or undefined when the chain already held these totals. */
  readonly posted?: TransactionInput;
  readonly links: number;
}

export const settlementTransactionId = (key: string, link: number) => `settlement:${key}:${link}`;

/** An operator's link of one row (reconciliation's resolve): posted on its own, counted in its payout's chain. */
export const linkedSettlementTransactionId = (key: string, balanceTransactionId: string) =>
  `settlement:${key}:link-${balanceTransactionId}`;

const ACCOUNTS = [
  ['cash', Accounts.platformCash],
  ['fees', Accounts.pspFees],
  ['receivable', Accounts.pspReceivable],
] as const;

/**
 * `alsoHeld`: transactions outside the chain that are part of the payout's totals (operators' linked rows,
 * `linkedSettlementTransactionId`): counted as held, so a run that now matches those rows posts them once.
 */
export async function postSettlement(
  ctx: LedgerContext,
  totals: SettlementTotals,
  alsoHeld: readonly string[] = [],
): Promise<SettlementPosting> {
  checkKeySafeId('settlement key', totals.key);
  if (totals.cash + totals.fees + totals.receivable !== 0n) {
    throw new RangeError(`settlement ${totals.key} does not balance`);
  }
  for (let attempt = 0; attempt < 10; attempt++) {
    const held = { cash: 0n, fees: 0n, receivable: 0n };
    for (const id of alsoHeld) {
      const tx = await readTransactionById(ctx, id);
      for (const entry of tx?.entries ?? []) {
        for (const [name, account] of ACCOUNTS)
          if (entry.account === account) held[name] += entry.amount.minor;
      }
    }
    let link = 1;
    for (; ; link++) {
      const tx = await readTransactionById(ctx, settlementTransactionId(totals.key, link));
      if (!tx) break;
      for (const entry of tx.entries) {
        for (const [name, account] of ACCOUNTS)
          if (entry.account === account) held[name] += entry.amount.minor;
      }
    }
    const entries: EntryInput[] = [];
    for (const [name, account] of ACCOUNTS) {
      const delta = totals[name] - held[name];
      if (delta !== 0n) entries.push({ account, amount: money(totals.currency, delta) });
    }
    if (entries.length === 0) return { links: link - 1 };
    const input: TransactionInput = {
      id: settlementTransactionId(totals.key, link),
      reason: 'settlement_received',
      refs: { settlementRowId: totals.key },
      entries,
    };
    try {
      const result = await postTransaction(ctx, input);
      return result.replayed ? { links: link } : { posted: input, links: link };
    } catch (error) {
      // Another run posted this link with other totals: read the chain again.
      if (!(error instanceof ConflictingTransactionError)) throw error;
    }
  }
  throw new Error(`settlement ${totals.key} kept changing under concurrent runs`);
}

/** The posting of one row an operator linked to our record: platform cash, PSP fees, PSP receivable. */
export function linkedSettlementTransaction(
  totals: SettlementTotals & { readonly balanceTransactionId: string },
): TransactionInput {
  checkKeySafeId('settlement key', totals.key);
  if (totals.cash + totals.fees + totals.receivable !== 0n) {
    throw new RangeError(`settlement ${totals.key} does not balance`);
  }
  const entries: EntryInput[] = [];
  for (const [name, account] of ACCOUNTS) {
    if (totals[name] !== 0n) entries.push({ account, amount: money(totals.currency, totals[name]) });
  }
  return {
    id: linkedSettlementTransactionId(totals.key, totals.balanceTransactionId),
    reason: 'settlement_received',
    refs: { settlementRowId: totals.balanceTransactionId },
    entries,
  };
}

/** An operator's write-off of a break: PSP fees (the cost) + amount, PSP receivable - amount. */
export function writeOffTransaction(breakRef: string, amount: { currency: CurrencyCode; minor: bigint }) {
  const input: TransactionInput = {
    id: `writeoff:${breakRef}`,
    reason: 'reconciliation_write_off',
    refs: { settlementRowId: breakRef },
    entries: [
      { account: Accounts.pspFees, amount: money(amount.currency, amount.minor) },
      { account: Accounts.pspReceivable, amount: money(amount.currency, -amount.minor) },
    ],
  };
  return input;
}
