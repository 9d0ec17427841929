/**
 * A refund after the seller was paid out: their share could not come from `available` (it left with the
 * payout), so the refund's `requested` posting made it a receivable. The platform then asks the PSP to reverse
 * the Connect transfer of the seller's latest paid payout in that currency for what is owed (Stripe: a
 * transfer reversal, possible only while the connected account's balance covers it).
 *
 *   - reversal succeeds: `transfer_reversal:{trr_id}` posts psp_receivable (debit) against the seller's
 *     receivable (credit; what a pay-in netted meanwhile becomes available again, so nobody pays twice);
 *   - a payout of the seller's still open: nothing is asked (its transfer may be what the connected account
 *     holds, kept for its bank payout); the receivable stays and is netted as below;
 *   - the PSP refuses it (`balance_insufficient`, the transfer already reversed ...): the receivable stays, the
 *     seller's payouts wait (negative_balance) and their next pay-ins net it (lambdas/ledger/payin.ts);
 *   - the answer is unknown (timeout, 5xx): the reversal stays `pending` on the refund and the refund on the
 *     sweeper's list; the sweeper asks again with the SAME idempotency key (`refund-reversal-{refund_id}`),
 *     which can only answer the first request's result. Unknown for longer than the key window, or refused
 *     for a reason that is not the seller's balance: a person is told (refundNeedsPerson).
 *
 * The link refund -> payout -> transfer is written on the refund (`reversal`) BEFORE the PSP is asked, with
 * a condition, so a replayed event or a concurrent sweeper can never ask for a second reversal.
 * Only refunds that succeeded are clawed back (the buyer has the money); a refund that fails later gives the
 * seller's share back through `refund:{id}:reversed`, which pays any receivable first, like any credit.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Accounts, CallerConditionFailedError, type TransactItem } from '../ledger';
import {
  postAdaptive,
  refundTransactionIds,
  transferReversedTransaction,
  walletSnapshot,
} from '../ledger/money-back';
import { readTransactionById } from '../ledger/posting';
import { money } from '../money';
import { isOpen, type Payout } from '../payouts/model';
import { listSellerPayouts } from '../payouts/store';
import { refundKey } from './keys';
import { RefundMetric, refundNeedsPerson } from './metrics';
import type { RefundRecord, TransferReversalState } from './model';
import { PspRefusedError } from './psp-port';
import type { RefundDependencies } from './service';
import { getRefund, ledgerOf, type MoneyBackContext, setRefundFields } from './store';

/** Stripe keeps an idempotency key 24 h: past it (with an hour's margin), a retry could reverse twice. */
const KEY_WINDOW_MS = 23 * 60 * 60_000;
/** Refusals that only say the seller's PSP balance (or the transfer) cannot cover it now: expected. */
const EXPECTED_REFUSALS = new Set(['balance_insufficient', 'insufficient_funds']);

const nowIso = (ctx: MoneyBackContext) => (ctx.clock ? ctx.clock() : new Date()).toISOString();
export const reversalKey = (refundId: string) => `refund-reversal-${refundId}`;

/** What the refund's `requested` posting made the seller owe (its seller_receivable debit), minor units. */
async function owedByRefund(ctx: MoneyBackContext, record: RefundRecord): Promise<bigint> {
  const requested = await readTransactionById(
    ledgerOf(ctx),
    refundTransactionIds(record.refund_id).requested,
  );
  if (!requested) return 0n;
  const account = Accounts.sellerReceivable(record.seller_account);
  return requested.entries
    .filter((e) => e.account === account && e.amount.currency === record.currency)
    .reduce((sum, e) => sum + e.amount.minor, 0n);
}

/**
 * The seller's newest PAID payout in the refund's currency that names its transfer, and whether a payout in
 * that currency is still open (CREATED or SUBMITTED).
 */
async function payoutsOf(
  ctx: MoneyBackContext,
  record: RefundRecord,
): Promise<{ lastPaid?: Payout; openOne: boolean }> {
  const payouts = ctx.tables.payouts;
  if (!payouts) return { openOne: false };
  const page = await listSellerPayouts(
    { db: ctx.db, tables: { payouts, ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } },
    record.seller_account,
    { limit: 25 },
  );
  const inCurrency = page.payouts.filter((p) => p.currency === record.currency);
  const lastPaid = inCurrency.find((p) => p.status === 'PAID' && p.provider_reference !== undefined);
  return { ...(lastPaid ? { lastPaid } : {}), openOne: inCurrency.some((p) => isOpen(p.status)) };
}

async function writeReversal(
  ctx: MoneyBackContext,
  refundId: string,
  state: TransferReversalState,
  condition: { ifAbsent: true } | { ifStatus: TransferReversalState['status'] },
): Promise<boolean> {
  try {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: refundKey(refundId),
        UpdateExpression: 'SET reversal = :r, updated_at = :at ADD version :one',
        ConditionExpression:
          'ifAbsent' in condition
            ? 'attribute_exists(pk) AND attribute_not_exists(reversal)'
            : 'reversal.#s = :from',
        ...('ifAbsent' in condition ? {} : { ExpressionAttributeNames: { '#s': 'status' } }),
        ExpressionAttributeValues: {
          ':r': state,
          ':at': state.updated_at,
          ':one': 1,
          ...('ifAbsent' in condition ? {} : { ':from': condition.ifStatus }),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/**
 * After a refund succeeded: if it left the paid-out seller owing, reverse their payout's transfer for it
 * (once). Also the sweeper's retry of a reversal whose answer was unknown. Answers the refund as it is after.
 * Does nothing for functions not granted the payouts table (they leave it to the sweeper, which is).
 */
export async function reverseForRefund(deps: RefundDependencies, input: RefundRecord): Promise<RefundRecord> {
  const { ctx } = deps;
  if (!ctx.tables.payouts || input.status !== 'succeeded' || input.seller_minor <= 0) return input;
  let record = input;
  if (!record.reversal) {
    const owed = await owedByRefund(ctx, record);
    if (owed <= 0n) return record;
    const wallet = await walletSnapshot(ledgerOf(ctx), record.seller_account, record.currency);
    // What a pay-in already netted is not owed any more: only what the wallet still shows is reversed.
    const due = owed < wallet.receivable ? owed : wallet.receivable;
    if (due <= 0n) return record;
    const { lastPaid: payout, openOne } = await payoutsOf(ctx, record);
    if (!payout?.provider_reference) return record; // never paid out: the receivable waits for pay-ins
    // A payout still open: its transfer may already sit in the connected account, waiting for its bank
    // payout. A reversal now would be paid from that money and the bank payout then refused for want of
    // it, its payout stuck (a 10,000-checkout run). The receivable waits for pay-ins, as when never paid
    // out; no new payout starts meanwhile (a receivable makes the seller not payable).
    if (openOne) return record;
    const amount = due < BigInt(payout.amount) ? due : BigInt(payout.amount);
    const at = nowIso(ctx);
    const state: TransferReversalState = {
      status: 'pending',
      payout_id: payout.payout_id,
      transfer_id: payout.provider_reference,
      amount_minor: Number(amount),
      requested_at: at,
      updated_at: at,
    };
    await writeReversal(ctx, record.refund_id, state, { ifAbsent: true });
    record = (await getRefund(ctx, record.refund_id)) ?? record;
  }
  const reversal = record.reversal;
  if (reversal?.status !== 'pending') return record;
  return askPsp(deps, record, reversal);
}

async function askPsp(
  deps: RefundDependencies,
  record: RefundRecord,
  reversal: TransferReversalState,
): Promise<RefundRecord> {
  const { ctx } = deps;
  const subject = {
    refund_id: record.refund_id,
    payout_id: reversal.payout_id,
    transfer_id: reversal.transfer_id,
    seller_account: record.seller_account,
    amount_minor: reversal.amount_minor,
    currency: record.currency,
  };
  if (Date.now() - Date.parse(reversal.requested_at) > KEY_WINDOW_MS) {
    // Past the key window a retry could reverse twice: a person checks the transfer's reversals.
    await refundNeedsPerson(
      ctx,
      {
        kind: 'transfer_reversal_failed',
        subjectId: record.refund_id,
        summary: `transfer reversal for refund ${record.refund_id} unknown after the PSP's key window`,
        details: subject,
      },
      deps.log,
    );
    return setRefundFields(ctx, record, { needs_lookup: false });
  }
  try {
    const psp = await deps.psp();
    const done = await psp.reverseTransfer({
      transferId: reversal.transfer_id,
      amountMinor: reversal.amount_minor,
      currency: record.currency,
      idempotencyKey: reversalKey(record.refund_id),
      metadata: { refund_id: record.refund_id, payout_id: reversal.payout_id },
    });
    const at = nowIso(ctx);
    const next: TransferReversalState = {
      ...reversal,
      status: 'succeeded',
      psp_reversal_id: done.id,
      updated_at: at,
    };
    const extra: TransactItem = {
      Update: {
        TableName: ctx.tables.payments,
        Key: refundKey(record.refund_id),
        UpdateExpression: 'SET reversal = :r, updated_at = :at ADD version :one',
        ConditionExpression: 'reversal.#s = :pending',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':r': next, ':at': at, ':one': 1, ':pending': 'pending' },
      },
    };
    try {
      // The reversal and the refund's link move together: once posted, the refund says succeeded.
      await postAdaptive(
        ledgerOf(ctx),
        `transfer_reversal:${done.id}`,
        { sellerId: record.seller_account, currency: record.currency },
        (wallet) =>
          transferReversedTransaction(
            {
              reversalId: done.id,
              sellerId: record.seller_account,
              amount: money(record.currency, done.amountMinor),
              refundId: record.refund_id,
              payoutId: reversal.payout_id,
            },
            wallet,
          ),
        { extraItems: [extra] },
      );
      ctx.metrics?.count(RefundMetric.ReversalSucceeded);
    } catch (error) {
      if (!(error instanceof CallerConditionFailedError)) throw error;
      // Another path recorded it first (same reversal: the PSP answered the same key the same way).
    }
  } catch (error) {
    if (error instanceof PspRefusedError) {
      // Stripe created nothing: no money moved. The receivable stays; the seller's next pay-ins net it.
      const at = nowIso(ctx);
      await writeReversal(
        ctx,
        record.refund_id,
        { ...reversal, status: 'refused', failure_code: error.pspCode, updated_at: at },
        { ifStatus: 'pending' },
      );
      ctx.metrics?.count(RefundMetric.ReversalRefused);
      deps.log?.('transfer reversal refused; the receivable stays', { ...subject, code: error.pspCode });
      if (!EXPECTED_REFUSALS.has(error.pspCode)) {
        await refundNeedsPerson(
          ctx,
          {
            kind: 'transfer_reversal_failed',
            subjectId: record.refund_id,
            summary: `the PSP refused the transfer reversal for refund ${record.refund_id}: ${error.pspCode}`,
            details: { ...subject, psp_code: error.pspCode },
          },
          deps.log,
        );
      }
    } else {
      deps.log?.('transfer reversal outcome unknown; the sweeper asks again with the same key', {
        ...subject,
        error: error instanceof Error ? error.message : String(error),
      });
      return setRefundFields(ctx, (await getRefund(ctx, record.refund_id)) ?? record, { needs_lookup: true });
    }
  }
  // Answered (reversed or refused): nothing is left for the sweeper to ask about this refund.
  const after = (await getRefund(ctx, record.refund_id)) ?? record;
  return after.needs_lookup ? setRefundFields(ctx, after, { needs_lookup: false }) : after;
}
