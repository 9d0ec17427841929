/** Helpers for pay-in tests: the payments context of a test system, invariants, and waiting for orders. */
import { verifyLedger, walletBalances } from '../../lambdas/ledger';
import { formatAmount } from '../../lambdas/money';
import { isTerminal, type PaymentOrder } from '../../lambdas/payments/model';
import { getOrders, type PaymentsContext } from '../../lambdas/payments/store';
import type { LocalSystem } from '../../sandbox/local-system';
import { localDocumentClient } from './engines';
import { eventually } from './runtime';

export function paymentsContextOf(system: LocalSystem): PaymentsContext {
  const { tables } = system.names;
  return {
    db: localDocumentClient(),
    tables: { payments: tables.payments ?? '', ledger: tables.ledger ?? '', wallets: tables.wallets ?? '' },
    commissionBps: Number(system.runtime.environment.PLATFORM_COMMISSION_BPS ?? 1000),
  };
}

export async function waitForOrders(
  ctx: PaymentsContext,
  orderIds: readonly string[],
  done: (orders: PaymentOrder[]) => boolean = (orders) => orders.every((o) => isTerminal(o.status)),
  timeoutMs = 30_000,
): Promise<PaymentOrder[]> {
  return eventually(async () => {
    const orders = await getOrders(ctx, orderIds);
    return orders.length === orderIds.length && done(orders) ? orders : undefined;
  }, timeoutMs);
}

/** Invariants 2 and 3 of DESIGN.md §8: balanced ledger, wallets equal their entries and are never negative. */
export async function assertLedgerInvariants(ctx: PaymentsContext): Promise<void> {
  const report = await verifyLedger({
    db: ctx.db,
    tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets },
  });
  if (!report.ok) throw new Error(`ledger check failed:\n${report.problems.join('\n')}`);
  for (const [currency, total] of Object.entries(report.totals)) {
    if (total !== 0n) throw new Error(`ledger does not sum to zero in ${currency}: ${total}`);
  }
}

export async function availableBalance(
  ctx: PaymentsContext,
  sellerId: string,
  currency: string,
): Promise<string> {
  const balances = await walletBalances(
    { db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } },
    sellerId,
  );
  const wallet = balances.find((b) => b.currency === currency);
  return wallet ? formatAmount(wallet.available) : '0';
}
