/**
 * What every payments use case shares: the tables and clock it runs on, and the small helpers every store
 * module uses (the clock, stripping key attributes, recognising a failed condition).
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LedgerContext } from '../ledger';

export interface PaymentsContext {
  readonly db: DynamoDBDocumentClient;
  readonly tables: { readonly payments: string; readonly ledger: string; readonly wallets: string };
  readonly clock?: () => Date;
  /** The platform's commission on each pay-in, in basis points (0 = none). */
  readonly commissionBps?: number;
}

export const MAX_ATTEMPTS = 6;
/** The context's clock (tests pass one), else the system's. */
export const nowOf = (ctx: PaymentsContext): Date => (ctx.clock ? ctx.clock() : new Date());
export const nowIso = (ctx: PaymentsContext) => nowOf(ctx).toISOString();
/** An instant `ms` after the context's now, as stored (ISO). */
export const later = (ctx: PaymentsContext, ms: number) => new Date(nowOf(ctx).getTime() + ms).toISOString();
export const ledgerContext = (ctx: PaymentsContext): LedgerContext => ({
  db: ctx.db,
  tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets },
  ...(ctx.clock ? { clock: ctx.clock } : {}),
});

export function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as T;
}

export function isConditionFailure(error: unknown): error is TransactionCanceledException {
  return (
    error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
  );
}
