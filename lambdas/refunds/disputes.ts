/**
 * Disputes, from the PSP's events (after retrieving the dispute: the event body is not trusted). Applying a
 * dispute converges on what the PSP reports: a withdrawal balance transaction -> `funds_withdrawn` posted; a
 * reinstatement -> `funds_reinstated`; status `lost` -> `lost`. Each step is a ledger transaction keyed by
 * the dispute and the step, written with the record's step list in one TransactWriteItems, and always in
 * that order, so late, repeated or out-of-order events post each step once. An inquiry (`warning_*`) moves
 * no money: it is only recorded.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CallerConditionFailedError, postTransaction, type TransactItem } from '../ledger';
import {
  type DisputeShares,
  disputeLostTransaction,
  disputeReinstatedTransaction,
  disputeTransactionIds,
  disputeWithdrawnTransaction,
  postAdaptive,
} from '../ledger/money-back';
import { money } from '../money';
import { getOrder } from '../payments';
import { RefundError } from './errors';
import { disputeKey, orderDisputeKey } from './keys';
import { type DisputeRecord, FINAL_DISPUTE_STATUSES } from './model';
import type { PspDispute } from './psp-port';
import { orderOfMoneyBack, type RefundDependencies } from './service';
import { ledgerOf, type MoneyBackContext, orderChildren } from './store';

const nowIso = (ctx: MoneyBackContext) => (ctx.clock ? ctx.clock() : new Date()).toISOString();

function strip(item: Record<string, unknown>): DisputeRecord {
  const { pk: _pk, sk: _sk, kind: _kind, ...rest } = item;
  return rest as unknown as DisputeRecord;
}

export async function getDispute(
  ctx: MoneyBackContext,
  disputeId: string,
): Promise<DisputeRecord | undefined> {
  const { Item } = await ctx.db.send(
    new GetCommand({ TableName: ctx.tables.payments, Key: disputeKey(disputeId), ConsistentRead: true }),
  );
  return Item ? strip(Item) : undefined;
}

export async function orderDisputes(ctx: MoneyBackContext, orderId: string): Promise<DisputeRecord[]> {
  const ids = await orderChildren(ctx, orderId, 'DISPUTE#');
  return (await Promise.all(ids.map((id) => getDispute(ctx, id)))).filter(
    (d): d is DisputeRecord => d !== undefined,
  );
}

type Step = 'funds_withdrawn' | 'funds_reinstated' | 'lost';

export async function applyPspDispute(
  deps: RefundDependencies,
  dispute: PspDispute,
): Promise<'applied' | 'no_change' | 'unknown_order' | 'needs_attention'> {
  const { ctx } = deps;
  let record = await getDispute(ctx, dispute.id);
  let changed = false;
  if (!record) {
    const orderId = await orderOfMoneyBack(deps, {
      subject: 'dispute',
      pspId: dispute.id,
      ...(dispute.paymentIntent ? { paymentIntent: dispute.paymentIntent } : {}),
      amountMinor: dispute.amountMinor,
      currency: dispute.currency,
    });
    if (orderId === 'unattributed') return 'needs_attention';
    const order = orderId ? await getOrder({ db: ctx.db, tables: ctx.tables }, orderId) : undefined;
    if (!order) {
      deps.log?.('dispute of an unknown order', {
        dispute_id: dispute.id,
        payment_intent: dispute.paymentIntent,
      });
      return 'unknown_order';
    }
    const at = nowIso(ctx);
    const fresh: DisputeRecord = {
      dispute_id: dispute.id,
      payment_order_id: order.payment_order_id,
      seller_account: order.seller_account,
      currency: order.currency,
      amount_minor: dispute.amountMinor,
      fee_minor: 0,
      status: dispute.status,
      ...(dispute.reason ? { reason: dispute.reason } : {}),
      is_inquiry: dispute.status.startsWith('warning_'),
      steps: [],
      version: 1,
      created_at: at,
      updated_at: at,
    };
    try {
      await ctx.db.send(
        new PutCommand({
          TableName: ctx.tables.payments,
          Item: { ...disputeKey(dispute.id), kind: 'dispute', ...fresh },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      await ctx.db.send(
        new PutCommand({
          TableName: ctx.tables.payments,
          Item: { ...orderDisputeKey(order.payment_order_id, dispute.id), kind: 'dispute_pointer', at },
        }),
      );
      changed = true;
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
    record = (await getDispute(ctx, dispute.id)) ?? fresh;
  }

  const withdrawal = dispute.balanceTransactions.find((t) => t.amount < 0);
  const reinstatement = dispute.balanceTransactions.find((t) => t.amount > 0);
  const wanted: Step[] = [];
  if (withdrawal) wanted.push('funds_withdrawn');
  if (withdrawal && reinstatement) wanted.push('funds_reinstated');
  if (withdrawal && dispute.status === 'lost') wanted.push('lost');
  for (const step of wanted) {
    if (record.steps.includes(step)) continue;
    if (await postStep(deps, record, step, dispute)) changed = true;
    record = (await getDispute(ctx, dispute.id)) ?? record;
  }
  if (record.status !== dispute.status && !FINAL_DISPUTE_STATUSES.has(record.status)) {
    await ctx.db.send(
      new UpdateCommand({
        TableName: ctx.tables.payments,
        Key: disputeKey(dispute.id),
        UpdateExpression: 'SET #s = :s, updated_at = :at ADD version :one',
        ConditionExpression: 'version = :v',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':s': dispute.status,
          ':at': nowIso(ctx),
          ':one': 1,
          ':v': record.version,
        },
      }),
    );
    changed = true;
  }
  return changed ? 'applied' : 'no_change';
}

async function postStep(
  deps: RefundDependencies,
  record: DisputeRecord,
  step: Step,
  dispute: PspDispute,
): Promise<boolean> {
  const { ctx } = deps;
  const c = record.currency;
  const withdrawal = dispute.balanceTransactions.find((t) => t.amount < 0);
  const fee = step === 'funds_withdrawn' ? (withdrawal?.fee ?? 0) : record.fee_minor;
  const shares: DisputeShares = {
    disputeId: record.dispute_id,
    paymentOrderId: record.payment_order_id,
    sellerId: record.seller_account,
    amount: money(c, withdrawal ? -withdrawal.amount : record.amount_minor),
    fee: money(c, fee),
    sellerBears: ctx.policy.disputeBorneBy === 'seller',
  };
  const extra: TransactItem = {
    Update: {
      TableName: ctx.tables.payments,
      Key: disputeKey(record.dispute_id),
      UpdateExpression:
        'SET steps = list_append(steps, :step), updated_at = :at' +
        (step === 'funds_withdrawn' ? ', fee_minor = :fee' : '') +
        ' ADD version :one',
      ConditionExpression: 'NOT contains(steps, :name)',
      ExpressionAttributeValues: {
        ':step': [step],
        ':name': step,
        ':at': nowIso(ctx),
        ':one': 1,
        ...(step === 'funds_withdrawn' ? { ':fee': fee } : {}),
      },
    },
  };
  const ids = disputeTransactionIds(record.dispute_id);
  const wallet = { sellerId: record.seller_account, currency: c };
  try {
    if (step === 'funds_withdrawn') {
      await postAdaptive(
        ledgerOf(ctx),
        ids.withdrawn,
        wallet,
        (w) => disputeWithdrawnTransaction(shares, w),
        {
          extraItems: [extra],
        },
      );
    } else if (step === 'funds_reinstated') {
      const reinstatement = dispute.balanceTransactions.find((t) => t.amount > 0);
      const feeBack = money(c, reinstatement && reinstatement.fee < 0 ? -reinstatement.fee : 0);
      await postAdaptive(
        ledgerOf(ctx),
        ids.reinstated,
        wallet,
        (w) => disputeReinstatedTransaction(shares, feeBack, w),
        { extraItems: [extra] },
      );
    } else {
      await postTransaction(ledgerOf(ctx), disputeLostTransaction(shares), { extraItems: [extra] });
    }
    return true;
  } catch (error) {
    if (error instanceof CallerConditionFailedError) return false;
    throw error;
  }
}

export function mustDispute(record: DisputeRecord | undefined, id: string): DisputeRecord {
  if (!record) throw new RefundError('not_found', `dispute ${id} not found`, { dispute_id: id });
  return record;
}
