/**
 * The refund and dispute routes as middy handlers built from their dependencies:
 *   POST /v1/payments/{payment_order_id}/refunds   refund part or all of a SUCCESS order (Idempotency-Key)
 *   GET  /v1/payments/{payment_order_id}/refunds   the order's refunds
 *   GET  /v1/refunds/{refund_id}                   one refund
 *   GET  /v1/disputes/{dispute_id}                 one dispute
 * Bad input is refused before anything is written; a refund's status is what we know now (pending until the
 * PSP confirms).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, ApiErrorCode } from '../api/errors';
import { jsonResponse } from '../api/http';
import type { IdempotencyStore } from '../api/idempotency';
import { httpErrors, idempotent, type ValidatedEvent, validJsonBody } from '../api/middleware';
import { pathId } from '../api/validation';
import { parseAmount } from '../money';
import { getOrder } from '../payments';
import { getDispute, mustDispute, orderDisputes } from './disputes';
import { RefundError } from './errors';
import { REFUND_REASONS, type RefundDependencies, type RefundReason, requestRefund } from './service';
import { getRefund, orderRefunds } from './store';
import { disputeView, refundView } from './views';

export interface RefundRequestBody {
  readonly amount?: string;
  readonly reason?: RefundReason;
}

const ALLOWED = new Set(['amount', 'reason']);

export function parseRefundRequest(json: unknown): RefundRequestBody {
  const body = json ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, ApiErrorCode.ValidationError, 'the body must be a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !ALLOWED.has(k));
  if (unknown.length > 0) {
    throw new ApiError(400, ApiErrorCode.ValidationError, `unknown field(s): ${unknown.join(', ')}`, {
      fields: unknown,
    });
  }
  if (fields.amount !== undefined && typeof fields.amount !== 'string') {
    throw new ApiError(400, 'amount_is_float', 'amount must be a decimal string such as "12.34"');
  }
  if (fields.reason !== undefined && !REFUND_REASONS.includes(fields.reason as RefundReason)) {
    throw new ApiError(
      400,
      ApiErrorCode.ValidationError,
      `reason must be one of ${REFUND_REASONS.join(', ')}`,
    );
  }
  return {
    ...(fields.amount !== undefined ? { amount: fields.amount as string } : {}),
    ...(fields.reason !== undefined ? { reason: fields.reason as RefundReason } : {}),
  };
}

function asApiError(error: unknown): unknown {
  if (error instanceof RefundError) {
    return new ApiError(error.statusCode, error.code, error.message, error.details, { cause: error });
  }
  return error;
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asApiError(error);
  }
}

export function createRefundHandler(deps: {
  readonly refunds: RefundDependencies;
  readonly idempotency: IdempotencyStore;
  readonly logger: Logger;
}) {
  return middy<ValidatedEvent<RefundRequestBody>, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(validJsonBody(parseRefundRequest))
    .use(idempotent(deps.idempotency, deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const orderId = pathId(event, 'payment_order_id');
        const order = await getOrder({ db: deps.refunds.ctx.db, tables: deps.refunds.ctx.tables }, orderId);
        if (!order) throw new RefundError('not_found', `payment order ${orderId} not found`);
        const amount =
          event.input.amount === undefined
            ? undefined
            : parseAmount(event.input.amount, order.currency, { allowZero: false }).minor;
        const refundId = event.idempotentIdOf?.('rf');
        const refund = await requestRefund(deps.refunds, {
          orderId,
          ...(refundId ? { refundId } : {}),
          ...(amount !== undefined ? { amountMinor: amount } : {}),
          ...(event.input.reason ? { reason: event.input.reason } : {}),
        });
        deps.logger.info('refund requested', { refund_id: refund.refund_id, status: refund.status });
        return jsonResponse(201, refundView(refund));
      }),
    );
}

export function listRefundsHandler(deps: { readonly refunds: RefundDependencies; readonly logger: Logger }) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const orderId = pathId(event, 'payment_order_id');
        const order = await getOrder({ db: deps.refunds.ctx.db, tables: deps.refunds.ctx.tables }, orderId);
        if (!order) throw new RefundError('not_found', `payment order ${orderId} not found`);
        const refunds = await orderRefunds(deps.refunds.ctx, orderId);
        return jsonResponse(200, { payment_order_id: orderId, data: refunds.map(refundView) });
      }),
    );
}

export function getRefundHandler(deps: { readonly refunds: RefundDependencies; readonly logger: Logger }) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const refundId = pathId(event, 'refund_id');
        const refund = await getRefund(deps.refunds.ctx, refundId);
        if (!refund) throw new RefundError('not_found', `refund ${refundId} not found`);
        return jsonResponse(200, refundView(refund));
      }),
    );
}

export function getDisputeHandler(deps: { readonly refunds: RefundDependencies; readonly logger: Logger }) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const disputeId = pathId(event, 'dispute_id');
        return jsonResponse(
          200,
          disputeView(mustDispute(await getDispute(deps.refunds.ctx, disputeId), disputeId)),
        );
      }),
    );
}

/** The refunds and disputes of an order, for its view (GET /v1/payments/{id}). */
export async function orderMoneyBack(deps: RefundDependencies, orderId: string) {
  const [refunds, disputes] = await Promise.all([
    orderRefunds(deps.ctx, orderId),
    orderDisputes(deps.ctx, orderId),
  ]);
  return { refunds: refunds.map(refundView), disputes: disputes.map(disputeView) };
}
