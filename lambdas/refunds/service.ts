/**
 * Refund use cases: asking for one through our API, applying what the PSP says about a refund (its answer,
 * its events, a look-up), and resolving refunds whose PSP answer was ambiguous. Every path ends in the same
 * `moveRefund`, so a refund is posted the same way whoever learns of it first, and only once.
 */
import { ulid } from 'ulid';
import { getCheckout, getOrder } from '../payments';
import { crashPoint } from '../shared/crash-point';
import { RefundError } from './errors';
import { DUE_SHARDS } from './keys';
import { refundNeedsPerson } from './metrics';
import type { RefundRecord } from './model';
import { type MoneyBackProvider, type PspRefund, PspRefusedError } from './psp-port';
import { reverseForRefund } from './reversals';
import {
  createRefund,
  getRefund,
  type MoneyBackContext,
  moveRefund,
  refundsDue,
  setRefundFields,
} from './store';

export interface RefundDependencies {
  readonly ctx: MoneyBackContext;
  readonly psp: () => Promise<MoneyBackProvider>;
  readonly log?: (message: string, data: Record<string, unknown>) => void;
  /** After how long an unresolved refund goes to a person (REFUND_ATTENTION_AFTER_HOURS by default). */
  readonly attentionAfterHours?: number;
}

export const REFUND_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

export const newRefundId = (): string => `rf_${ulid()}`;

/** Retries of a create use the same key only inside Stripe's 24 h window (with an hour of margin). */
const KEY_WINDOW_MS = 23 * 60 * 60_000;

async function buyerOf(deps: RefundDependencies, checkoutId: string): Promise<string | undefined> {
  const checkout = await getCheckout({ db: deps.ctx.db, tables: deps.ctx.tables }, checkoutId);
  return checkout?.buyer?.buyer_id;
}

/**
 * The one order a refund or dispute made outside our API belongs to, from its PaymentIntent's metadata. A
 * hosted page that paid a multi-seller checkout is one payment for several orders: which seller bears a
 * dashboard refund or a chargeback of it is not ours to guess, so a person is told (money_back_unattributed,
 * RefundsNeedingAttention) and nothing is posted. `undefined`: no order is named (not ours, or unknown).
 */
export async function orderOfMoneyBack(
  deps: RefundDependencies,
  money: {
    readonly subject: 'refund' | 'dispute';
    readonly pspId: string;
    readonly paymentIntent?: string;
    readonly amountMinor: number;
    readonly currency: string;
  },
): Promise<string | 'unattributed' | undefined> {
  if (!money.paymentIntent) return undefined;
  const paid = await (await deps.psp()).ordersOfPayment(money.paymentIntent);
  if (paid.orderIds.length <= 1) return paid.orderIds[0];
  await refundNeedsPerson(
    deps.ctx,
    {
      kind: 'money_back_unattributed',
      subjectId: money.pspId,
      summary: `${money.subject} ${money.pspId} was made at the PSP on a payment of ${paid.orderIds.length} orders: decide which order (seller) bears it`,
      details: {
        [money.subject === 'refund' ? 'psp_refund_id' : 'dispute_id']: money.pspId,
        payment_intent: money.paymentIntent,
        ...(paid.checkoutId ? { checkout_id: paid.checkoutId } : {}),
        payment_order_ids: paid.orderIds.join(','),
        amount_minor: money.amountMinor,
        currency: money.currency,
      },
    },
    deps.log,
  );
  return 'unattributed';
}

/**
 * POST /v1/payments/{id}/refunds: the record (and its posting) is stored BEFORE the PSP is called, with our
 * refund id as the PSP's idempotency key; an ambiguous answer leaves it pending and flagged for a look-up.
 */
export async function requestRefund(
  deps: RefundDependencies,
  input: { orderId: string; amountMinor?: bigint; reason?: RefundReason; refundId?: string },
): Promise<RefundRecord> {
  const { ctx } = deps;
  const order = await getOrder({ db: ctx.db, tables: ctx.tables }, input.orderId);
  if (!order) throw new RefundError('not_found', `payment order ${input.orderId} not found`);
  if (order.status !== 'SUCCESS' || !order.psp_reference) {
    throw new RefundError(
      'order_not_refundable',
      `payment order ${input.orderId} is ${order.status}, not SUCCESS`,
      {
        payment_order_id: input.orderId,
        status: order.status,
      },
    );
  }
  const buyerId = await buyerOf(deps, order.checkout_id);
  const record = await createRefund(ctx, {
    refundId: input.refundId ?? newRefundId(),
    order,
    ...(buyerId ? { buyerId } : {}),
    ...(input.amountMinor !== undefined ? { amountMinor: input.amountMinor } : {}),
    reason: input.reason ?? 'requested_by_customer',
    origin: 'api',
    enforceLimit: true,
  });
  if (record.status !== 'pending' || record.psp_refund_id) return record;
  return submitToPsp(deps, record, order.psp_reference);
}

async function submitToPsp(deps: RefundDependencies, record: RefundRecord, paymentIntent: string) {
  let refund: PspRefund;
  try {
    const psp = await deps.psp();
    refund = await psp.createRefund({
      refundId: record.refund_id,
      paymentOrderId: record.payment_order_id,
      paymentIntent,
      amountMinor: record.amount_minor,
      ...(record.reason ? { reason: record.reason } : {}),
    });
  } catch (error) {
    if (error instanceof PspRefusedError) {
      // Stripe refused the request: it created nothing, so nothing moved. What we took goes back.
      return (await moveRefund(deps.ctx, record.refund_id, { to: 'failed', failureReason: error.pspCode }))
        .record;
    }
    return outcomeUnknown(deps, record, error);
  }
  // The PSP refunded and nothing of its answer is written: a process that dies here leaves the refund pending
  // on the sweeper's list, and a retry of the request (same Idempotency-Key, so the same refund id) finds it.
  crashPoint('refund.created', record.refund_id);
  try {
    return await applyRefundState(deps, record, refund);
  } catch (error) {
    return outcomeUnknown(deps, record, error);
  }
}

function outcomeUnknown(deps: RefundDependencies, record: RefundRecord, error: unknown) {
  deps.log?.('refund outcome unknown; it will be looked up', {
    refund_id: record.refund_id,
    error: error instanceof Error ? error.message : String(error),
  });
  return setRefundFields(deps.ctx, record, { needs_lookup: true });
}

async function applyRefundState(deps: RefundDependencies, record: RefundRecord, refund: PspRefund) {
  if (refund.currency !== record.currency || refund.amountMinor !== record.amount_minor) {
    throw new RefundError('needs_attention', `refund ${record.refund_id} differs at the PSP`, {
      refund_id: record.refund_id,
      psp_refund_id: refund.id,
    });
  }
  const result = await moveRefund(deps.ctx, record.refund_id, {
    to: refund.status,
    pspRefundId: refund.id,
    ...(refund.failureReason ? { failureReason: refund.failureReason } : {}),
  });
  if (result.record.status === 'succeeded') {
    // The buyer has the money: a paid-out seller's share is clawed back from their transfer (reversals.ts).
    return reverseForRefund(deps, result.record);
  }
  if (
    result.record.status === 'pending' &&
    (!result.record.psp_refund_id || result.record.needs_lookup !== false)
  ) {
    // The PSP has it: its events (and charge.refunded) carry it on from here; the sweeper need not look.
    return setRefundFields(deps.ctx, result.record, { psp_refund_id: refund.id, needs_lookup: false });
  }
  return result.record;
}

/**
 * What the PSP says about a refund (from an event, after retrieving the refund; or from a look-up). Ours is
 * found by its metadata; one made elsewhere is recorded under the PSP's id, once, as its order's refund.
 */
export async function applyPspRefund(
  deps: RefundDependencies,
  refund: PspRefund,
): Promise<'applied' | 'no_change' | 'unknown_order' | 'needs_attention'> {
  const refundId = refund.refundId ?? refund.id;
  let record = await getRefund(deps.ctx, refundId);
  if (!record) {
    if (refund.refundId) {
      // Ours, but not stored: impossible unless data was lost. A person must look.
      throw new RefundError('needs_attention', `refund ${refundId} is unknown here`, {
        psp_refund_id: refund.id,
      });
    }
    const attributed = await orderOfMoneyBack(deps, {
      subject: 'refund',
      pspId: refund.id,
      ...(refund.paymentIntent ? { paymentIntent: refund.paymentIntent } : {}),
      amountMinor: refund.amountMinor,
      currency: refund.currency,
    });
    if (attributed === 'unattributed') return 'needs_attention';
    const order = attributed
      ? await getOrder({ db: deps.ctx.db, tables: deps.ctx.tables }, attributed)
      : undefined;
    if (order?.status !== 'SUCCESS') {
      deps.log?.('refund of an unknown or unpaid order', {
        psp_refund_id: refund.id,
        payment_intent: refund.paymentIntent,
      });
      return 'unknown_order';
    }
    const buyerId = await buyerOf(deps, order.checkout_id);
    record = await createRefund(deps.ctx, {
      refundId,
      order,
      ...(buyerId ? { buyerId } : {}),
      amountMinor: BigInt(refund.amountMinor),
      ...(refund.reason ? { reason: refund.reason } : {}),
      origin: 'psp',
      pspRefundId: refund.id,
      enforceLimit: false,
    });
    await applyRefundState(deps, record, refund);
    return 'applied';
  }
  const before = record.version;
  const after = await applyRefundState(deps, record, refund);
  return after.version !== before ? 'applied' : 'no_change';
}

/** The sweeper: refunds whose create answer was lost are looked up (retrying the create with the same key). */
export async function resolveDueRefunds(
  deps: RefundDependencies,
): Promise<{ resolved: number; waiting: number }> {
  let resolved = 0;
  let waiting = 0;
  for (let shard = 0; shard < DUE_SHARDS; shard++) {
    for (const refundId of await refundsDue(deps.ctx, shard)) {
      const record = await getRefund(deps.ctx, refundId);
      if (!record) continue;
      if (record.status !== 'pending' && record.status !== 'succeeded') {
        await setRefundFields(deps.ctx, record, { needs_lookup: false });
        continue;
      }
      const order = await getOrder({ db: deps.ctx.db, tables: deps.ctx.tables }, record.payment_order_id);
      if (!order?.psp_reference) continue;
      let after: RefundRecord;
      if (Date.now() - Date.parse(record.created_at) < KEY_WINDOW_MS) {
        // Within Stripe's 24 h key window the same key can only answer the first request's result.
        after = await submitToPsp(deps, record, order.psp_reference);
      } else {
        // Past it, a create could refund twice: only a look-up by our id; not found -> a person decides.
        const found = await (await deps.psp()).findRefund(order.psp_reference, record.refund_id);
        if (!found) {
          await refundNeedsPerson(
            deps.ctx,
            {
              kind: 'refund_not_found_at_psp',
              subjectId: refundId,
              summary: `refund ${refundId} is not at the PSP after its key window: refund again, or cancel it`,
              details: {
                refund_id: refundId,
                payment_order_id: record.payment_order_id,
                amount_minor: record.amount_minor,
                currency: record.currency,
              },
            },
            deps.log,
          );
          waiting++;
          continue;
        }
        after = await applyRefundState(deps, record, found);
      }
      if (after.needs_lookup) {
        waiting++;
        await tellIfStuck(deps, after);
      } else {
        if (after.status === 'pending' || after.status === 'succeeded')
          await setRefundFields(deps.ctx, after, { needs_lookup: false });
        resolved++;
      }
    }
  }
  return { resolved, waiting };
}

/** How long a refund may stay unresolved on the sweeper's list before a person is told (hours). */
export const REFUND_ATTENTION_AFTER_HOURS = 24;

async function tellIfStuck(deps: RefundDependencies, record: RefundRecord): Promise<void> {
  const limitMs = (deps.attentionAfterHours ?? REFUND_ATTENTION_AFTER_HOURS) * 60 * 60_000;
  const since = record.reversal?.status === 'pending' ? record.reversal.requested_at : record.created_at;
  if (Date.now() - Date.parse(since) < limitMs) return;
  await refundNeedsPerson(
    deps.ctx,
    {
      kind: record.reversal?.status === 'pending' ? 'transfer_reversal_failed' : 'refund_stuck_pending',
      subjectId: record.refund_id,
      summary: `refund ${record.refund_id} is still unresolved at the PSP after ${deps.attentionAfterHours ?? REFUND_ATTENTION_AFTER_HOURS} h`,
      details: {
        refund_id: record.refund_id,
        payment_order_id: record.payment_order_id,
        status: record.status,
        amount_minor: record.amount_minor,
        currency: record.currency,
        since,
      },
    },
    deps.log,
  );
}
