/**
 * What a seller can be paid now, per currency, and why not. Money is payable when it is in the wallet's
 * available balance, past its hold period (a pay-in's credit becomes payable `holdDays` after it was posted),
 * and nothing blocks the seller: not paused, destination not errored, nothing owed to the platform
 * (`receivable`) and no open dispute hold (`dispute_held`). Those two are posted by the refunds and disputes
 * area; they are read from the wallet item's raw attributes and a missing one counts as zero.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Accounts, accountHistory } from '../ledger';
import { type CurrencyCode, isCurrencyCode, type Money } from '../money';
import { BLOCKING_REASONS, type NotPayableReason, type Payability, type SellerPayoutSettings } from './model';
import { ledgerOf, nowOf, type PayoutsContext } from './store';

const DAY_MS = 86_400_000;

function minor(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return 0n;
}

interface RawBalance {
  readonly currency: CurrencyCode;
  readonly available: bigint;
  readonly reserved: bigint;
  readonly paidOut: bigint;
  readonly receivable: bigint;
  readonly disputeHeld: bigint;
}

async function rawBalances(ctx: PayoutsContext, sellerId: string): Promise<RawBalance[]> {
  const out: RawBalance[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.tables.wallets,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bal)',
        ExpressionAttributeValues: { ':pk': `WALLET#${sellerId}`, ':bal': 'BAL#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      if (!isCurrencyCode(item.currency)) continue;
      out.push({
        currency: item.currency,
        available: minor(item.available),
        reserved: minor(item.reserved),
        paidOut: minor(item.paid_out),
        receivable: minor(item.receivable),
        disputeHeld: minor(item.dispute_held),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/**
 * Pay-in credits to the seller's wallet still inside the hold period, per currency: the newest entries of
 * seller_payable, read until one is older than the cutoff.
 */
async function inHoldPeriod(
  ctx: PayoutsContext,
  sellerId: string,
  holdDays: number,
): Promise<Map<CurrencyCode, bigint>> {
  const totals = new Map<CurrencyCode, bigint>();
  if (holdDays <= 0) return totals;
  const cutoff = new Date(nowOf(ctx).getTime() - holdDays * DAY_MS).toISOString();
  let cursor: string | undefined;
  for (;;) {
    const page = await accountHistory(ledgerOf(ctx), Accounts.sellerPayable(sellerId), {
      limit: 200,
      ...(cursor ? { cursor } : {}),
    });
    for (const entry of page.entries) {
      if (entry.postedAt < cutoff) return totals;
      // seller_payable is credit-normal: a pay-in credits it (a negative entry).
      if (entry.reason === 'payin_captured' && entry.amount.minor < 0n) {
        const c = entry.amount.currency;
        totals.set(c, (totals.get(c) ?? 0n) - entry.amount.minor);
      }
    }
    if (!page.cursor) return totals;
    cursor = page.cursor;
  }
}

const m = (currency: CurrencyCode, value: bigint): Money => ({ currency, minor: value });

export async function payabilityOf(
  ctx: PayoutsContext,
  sellerId: string,
  settings: SellerPayoutSettings | undefined,
): Promise<Payability[]> {
  const [balances, held] = await Promise.all([
    rawBalances(ctx, sellerId),
    inHoldPeriod(ctx, sellerId, settings?.holdDays ?? 0),
  ]);
  return balances.map((b) => {
    const pending = (held.get(b.currency) ?? 0n) < b.available ? (held.get(b.currency) ?? 0n) : b.available;
    const payable = b.available - pending;
    const minimum = settings?.minimums[b.currency] ?? 0n;
    const reasons: NotPayableReason[] = [];
    if (!settings) reasons.push('no_destination');
    else {
      if (settings.paused) reasons.push('paused');
      if (settings.destinationStatus === 'errored') reasons.push('destination_errored');
    }
    if (b.receivable > 0n) reasons.push('negative_balance');
    if (b.disputeHeld > 0n) reasons.push('dispute_hold');
    if (payable === 0n) reasons.push(pending > 0n ? 'in_hold_period' : 'nothing_available');
    else if (payable < minimum) reasons.push('below_minimum');
    return {
      currency: b.currency,
      available: m(b.currency, b.available),
      pending: m(b.currency, pending),
      payable: m(b.currency, payable),
      reserved: m(b.currency, b.reserved),
      paidOut: m(b.currency, b.paidOut),
      receivable: m(b.currency, b.receivable),
      disputeHeld: m(b.currency, b.disputeHeld),
      minimum: m(b.currency, minimum),
      reasons,
    };
  });
}

export function blockingReasons(p: Payability): NotPayableReason[] {
  return p.reasons.filter((r) => BLOCKING_REASONS.has(r));
}
