/**
 * An operator's resolution of a break: accept it (explained, nothing to move), link its row to another of
 * our records (the row is matched again against it, by the category's own matcher; when it matches, what it
 * implies is posted: the row's settlement, platform cash / PSP fees / PSP receivable, as its own idempotent
 * transaction that the payout's settlement chain counts from then on, and later runs of the day match the row
 * as linked), or write it off with a reason (a ledger posting: the amount we will not collect, as a PSP cost). Idempotent by the operator's request id: the same request
 * again answers the first outcome and posts nothing; the effect (a posting with an id derived from the break)
 * comes first, then the audit entry, then the break's status, so a retry after a crash completes it.
 */
import { postTransaction } from '../ledger';
import { linkedSettlementTransaction, writeOffTransaction } from '../ledger/settlement';
import { parseAmount } from '../money';
import { ReconciliationError } from './errors';
import { matcherFor, noNeeds, unexplained } from './matchers';
import type { SettlementRow } from './model';
import { linkedRow, linkFieldOf, loadRecords } from './reconcile';
import type { RecordTables } from './records';
import { getBreak, putAudit, type ReconStore, resolveStoredBreak } from './store';

export const ResolutionAction = { Accept: 'accept', Link: 'link', WriteOff: 'write_off' } as const;
export type ResolutionAction = (typeof ResolutionAction)[keyof typeof ResolutionAction];

export interface ResolutionRequest {
  readonly day: string;
  readonly breakId: string;
  readonly action: ResolutionAction;
  readonly reason: string;
  readonly operator: string;
  /** The operator's idempotency key for this resolution. */
  readonly requestId: string;
  /** link, a charge row: the payment order the row belongs to. */
  readonly paymentOrderId?: string;
  /** link, another row: our refund, dispute or payout id the row belongs to. */
  readonly recordId?: string;
  /** write_off: how much, major units, in the break's currency. */
  readonly amount?: string;
  readonly currency?: string;
}

export interface ResolutionResult {
  readonly breakId: string;
  readonly status: 'resolved' | 'open';
  readonly replayed: boolean;
  readonly detail: string;
}

export interface ResolveContext {
  readonly store: ReconStore;
  readonly ledger: Parameters<typeof postTransaction>[0];
  readonly tables: RecordTables;
  readonly clock?: () => Date;
}

function rowOf(payload: string): SettlementRow | undefined {
  const view = JSON.parse(payload) as { row?: Record<string, string | number> };
  const r = view.row;
  if (!r) return undefined;
  const currency = String(r.currency);
  const minor = (v: unknown) =>
    parseAmount(String(v), currency, { allowZero: true, allowNegative: true }).minor;
  return {
    line: Number(r.line),
    balanceTransactionId: String(r.balance_transaction_id),
    category: String(r.reporting_category),
    sourceId: String(r.source_id ?? ''),
    currency: currency as SettlementRow['currency'],
    gross: minor(r.gross),
    fee: minor(r.fee),
    net: minor(r.net),
    ...(r.payment_intent_id ? { paymentIntentId: String(r.payment_intent_id) } : {}),
    ...(r.charge_id ? { chargeId: String(r.charge_id) } : {}),
    ...(r.payment_order_id ? { paymentOrderId: String(r.payment_order_id) } : {}),
    ...(r.checkout_id ? { checkoutId: String(r.checkout_id) } : {}),
    ...(r.payout_id ? { payoutId: String(r.payout_id) } : {}),
    ...(r.refund_id ? { refundId: String(r.refund_id) } : {}),
    ...(r.transfer_group ? { transferPayoutId: String(r.transfer_group) } : {}),
  };
}

export async function resolveBreak(
  ctx: ResolveContext,
  request: ResolutionRequest,
): Promise<ResolutionResult> {
  const stored = await getBreak(ctx.store, request.day, request.breakId);
  if (!stored) {
    throw new ReconciliationError('not_found', `no break ${request.breakId} on ${request.day}`, {
      day: request.day,
      break_id: request.breakId,
    });
  }
  let resolved = true;
  let detail = '';
  let settlementTx: string | undefined;
  let link: { field: string; id: string; balanceTransactionId: string } | undefined;
  switch (request.action) {
    case 'accept':
      detail = 'accepted as explained';
      break;
    case 'write_off': {
      if (!request.amount || !request.currency) {
        throw new ReconciliationError('not_applicable', 'a write-off needs amount and currency', {
          break_id: request.breakId,
        });
      }
      const amount = parseAmount(request.amount, request.currency);
      const posted = await postTransaction(ctx.ledger, writeOffTransaction(request.breakId, amount));
      detail = `written off ${request.amount} ${request.currency} (${posted.transaction.id})`;
      break;
    }
    case 'link': {
      const row = rowOf(stored.payload);
      const target = request.recordId ?? request.paymentOrderId;
      if (!row || !target) {
        throw new ReconciliationError(
          'not_applicable',
          'link needs a break with a row and the record it belongs to (payment_order_id or record_id)',
          { break_id: request.breakId },
        );
      }
      const field = linkFieldOf(row.category);
      const linked = linkedRow(row, { field, id: target });
      const matcher = matcherFor(linked);
      const needs = noNeeds();
      matcher?.needs(linked, needs);
      const loaded = await loadRecords(ctx.ledger.db, ctx.tables, [linked], needs);
      // The fee was already compared when the file ran; a link is about whose row it is.
      const verdict = matcher
        ? matcher.classify(linked, loaded, { expectedChargeFee: () => undefined })
        : unexplained(linked);
      resolved = verdict.class === 'matched';
      const what = verdict.record ?? `order ${target}`;
      if (resolved && verdict.settlement) {
        const s = verdict.settlement;
        if (s.cash !== 0n || s.fees !== 0n || s.receivable !== 0n) {
          const key = row.payoutId ?? `day-${request.day}-${row.currency}`;
          const posting = linkedSettlementTransaction({
            key,
            currency: row.currency,
            balanceTransactionId: row.balanceTransactionId,
            ...s,
          });
          await postTransaction(ctx.ledger, posting);
          settlementTx = posting.id;
        }
      }
      link = { field, id: target, balanceTransactionId: row.balanceTransactionId };
      detail = resolved
        ? `linked to ${what}: matched${settlementTx ? ` (${settlementTx})` : ''}`
        : `linked to ${what}: still ${verdict.class} (${verdict.detail})`;
      break;
    }
    default:
      throw new ReconciliationError('validation_error', `unknown action ${String(request.action)}`);
  }
  const audit = await putAudit(ctx.store, request.day, request.breakId, {
    request_id: request.requestId,
    operator: request.operator,
    action: request.action,
    reason: request.reason,
    at: (ctx.clock ? ctx.clock() : new Date()).toISOString(),
    details: JSON.stringify({
      detail,
      resolved,
      payment_order_id: request.paymentOrderId ?? null,
      record_id: request.recordId ?? null,
    }),
  });
  if (!audit.created) {
    const first = JSON.parse(audit.entry.details) as { detail: string; resolved: boolean };
    return {
      breakId: request.breakId,
      status: first.resolved ? 'resolved' : 'open',
      replayed: true,
      detail: first.detail,
    };
  }
  if (resolved) {
    await resolveStoredBreak(ctx.store, request.day, request.breakId, {
      action: request.action,
      reason: request.reason,
      operator: request.operator,
      request_id: request.requestId,
      detail,
      // Read by later runs of the day (run.ts): the row is matched as linked, the posting counted once.
      ...(link && resolved
        ? {
            link_field: link.field,
            link_id: link.id,
            balance_transaction_id: link.balanceTransactionId,
            ...(settlementTx ? { settlement_tx: settlementTx } : {}),
          }
        : {}),
    });
  }
  return { breakId: request.breakId, status: resolved ? 'resolved' : 'open', replayed: false, detail };
}
