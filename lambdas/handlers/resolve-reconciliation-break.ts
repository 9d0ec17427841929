/**
 * An operator's resolution of a reconciliation break (accept, link, write off), invoked directly (CLI:
 * `aws lambda invoke --function-name ...-resolve-reconciliation-break --payload '{...}'`) until an operator
 * console exists. The request is validated (`zod/mini`); the answer is the outcome or the error envelope's shape.
 */
import * as z from 'zod/mini';
import '../shared/zod-english';
import { MoneyError } from '../money';
import { ReconciliationError } from '../reconciliation/errors';
import { resolveBreak } from '../reconciliation/resolve';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const Request = z.object({
  day: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  break_id: text(200),
  action: z.enum(['accept', 'link', 'write_off']),
  reason: z.string().check(z.minLength(3), z.maxLength(1000)),
  operator: text(200),
  request_id: text(255),
  payment_order_id: z.optional(text(200)),
  /** link, a refund, dispute or transfer row: our refund, dispute or payout id. */
  record_id: z.optional(text(200)),
  amount: z.optional(z.string().check(z.maxLength(40))),
  currency: z.optional(z.string().check(z.length(3))),
});

const tables = {
  payments: resource('table', 'payments'),
  ledger: resource('table', 'ledger'),
  wallets: resource('table', 'wallets'),
  reconciliation: resource('table', 'reconciliation'),
  payouts: resource('table', 'payouts'),
};

export async function handler(event: unknown) {
  const parsed = Request.safeParse(event);
  if (!parsed.success) {
    return {
      error: {
        code: 'validation_error',
        message: 'invalid resolution request',
        details: parsed.error.issues,
      },
    };
  }
  const r = parsed.data;
  const db = documentClient();
  try {
    const result = await resolveBreak(
      {
        store: { db, table: tables.reconciliation },
        ledger: { db, tables: { ledger: tables.ledger, wallets: tables.wallets } },
        tables,
      },
      {
        day: r.day,
        breakId: r.break_id,
        action: r.action,
        reason: r.reason,
        operator: r.operator,
        requestId: r.request_id,
        ...(r.payment_order_id ? { paymentOrderId: r.payment_order_id } : {}),
        ...(r.record_id ? { recordId: r.record_id } : {}),
        ...(r.amount ? { amount: r.amount } : {}),
        ...(r.currency ? { currency: r.currency } : {}),
      },
    );
    logger.info('reconciliation break resolution', { ...result, operator: r.operator, action: r.action });
    return {
      break_id: result.breakId,
      status: result.status,
      replayed: result.replayed,
      detail: result.detail,
    };
  } catch (error) {
    if (error instanceof ReconciliationError) {
      return { error: { code: error.code, message: error.message, details: error.details } };
    }
    if (error instanceof MoneyError) {
      return { error: { code: 'validation_error', message: error.message } };
    }
    throw error;
  }
}
