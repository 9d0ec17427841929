/**
 * The pay-out routes that take no body, and the views every pay-out route answers with (see ./api.ts for the
 * list of routes):
 *   POST /v1/sellers/{seller_account}/payouts/pause (and /resume), GET /v1/sellers/{seller_account}/payouts,
 *   GET /v1/payouts/{payout_id}, and the payability part of GET /v1/sellers/{seller_account}/wallet.
 * Apart from ./api.ts, whose request bodies are zod schemas: these functions load no zod.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, ApiErrorCode } from '../api/errors';
import { jsonResponse } from '../api/http';
import { httpErrors } from '../api/middleware';
import { pathId, validationError } from '../api/validation';
import { type CurrencyCode, formatAmount } from '../money';
import { MoneyError } from '../money/errors';
import { PayoutError } from './errors';
import type { Payability, Payout, PayoutHistoryEntry, SellerPayoutSettings } from './model';
import { payabilityOf } from './payability';
import {
  getPayout,
  getSeller,
  listSellerPayouts,
  type PayoutsContext,
  payoutHistory,
  setPaused,
} from './store';

export interface PayoutsApiDependencies {
  readonly payouts: PayoutsContext;
  readonly logger: Logger;
}

/** Domain errors as the API's answers (so the idempotency middleware stores client errors as Stripe does). */
export async function mapped<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PayoutError) {
      throw new ApiError(error.statusCode, error.code, error.message, error.details, {
        cause: error,
        ...(error.statusCode === 503 ? { retryAfterSeconds: 1 } : {}),
      });
    }
    if (error instanceof MoneyError) {
      throw new ApiError(error.statusCode, error.code, error.message, error.details, { cause: error });
    }
    throw error;
  }
}

// ------------------------------------------------------------------------------------------- sellers

export function sellerView(s: SellerPayoutSettings) {
  return {
    seller_account: s.sellerId,
    destination: s.destination,
    destination_status: s.destinationStatus,
    ...(s.destinationError ? { destination_error: s.destinationError } : {}),
    schedule: s.schedule,
    minimum_amounts: Object.fromEntries(
      Object.entries(s.minimums).map(([c, minor]) => [
        c,
        formatAmount({ currency: c as CurrencyCode, minor }),
      ]),
    ),
    hold_days: s.holdDays,
    paused: s.paused,
    updated_at: s.updatedAt,
  };
}

/** POST .../payouts/pause and .../payouts/resume: one function, the path says which. */
export function pauseSellerHandler(deps: PayoutsApiDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const sellerId = pathId(event, 'seller_account');
        const paused = !event.resource.endsWith('/resume');
        return jsonResponse(200, sellerView(await setPaused(deps.payouts, sellerId, paused)));
      }),
    );
}

// ------------------------------------------------------------------------------------------- payouts

export function payoutView(p: Payout, history?: readonly PayoutHistoryEntry[]) {
  return {
    payout_id: p.payout_id,
    seller_account: p.seller_id,
    amount: formatAmount({ currency: p.currency, minor: BigInt(p.amount) }),
    currency: p.currency,
    status: p.status,
    provider: p.provider,
    destination: p.destination_account,
    origin: p.origin,
    ...(p.provider_reference ? { provider_reference: p.provider_reference } : {}),
    ...(p.bank_payout_id ? { bank_payout_id: p.bank_payout_id } : {}),
    ...(p.failure_code ? { failure: { code: p.failure_code, message: p.failure_message } } : {}),
    created_at: p.created_at,
    updated_at: p.updated_at,
    ...(history ? { history } : {}),
  };
}

export function getPayoutHandler(deps: PayoutsApiDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) => {
      const payoutId = pathId(event, 'payout_id');
      const payout = await getPayout(deps.payouts, payoutId);
      if (!payout) throw new ApiError(404, ApiErrorCode.NotFound, `payout ${payoutId} not found`);
      return jsonResponse(200, payoutView(payout, await payoutHistory(deps.payouts, payoutId)));
    });
}

export function listSellerPayoutsHandler(deps: PayoutsApiDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const sellerId = pathId(event, 'seller_account');
        const q = event.queryStringParameters ?? {};
        const limit = q.limit === undefined ? 20 : Number(q.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
          throw validationError([{ field: 'limit', code: 'too_big', message: 'an integer in 1..100' }]);
        }
        const page = await listSellerPayouts(deps.payouts, sellerId, {
          limit,
          ...(q.starting_after ? { cursor: q.starting_after } : {}),
        });
        return jsonResponse(200, {
          seller_account: sellerId,
          data: page.payouts.map((p) => payoutView(p)),
          has_more: page.cursor !== undefined,
          ...(page.cursor ? { next_cursor: page.cursor } : {}),
        });
      }),
    );
}

// ------------------------------------------------------------------------------------------- wallet

export function payabilityView(p: Payability) {
  return {
    currency: p.currency,
    available: formatAmount(p.available),
    pending: formatAmount(p.pending),
    payable: formatAmount(p.payable),
    reserved: formatAmount(p.reserved),
    paid_out: formatAmount(p.paidOut),
    receivable: formatAmount(p.receivable),
    dispute_held: formatAmount(p.disputeHeld),
    minimum: formatAmount(p.minimum),
    not_payable_reasons: p.reasons,
  };
}

/** The seller's wallet with what can be paid and why not, per currency. */
export async function walletWithPayability(ctx: PayoutsContext, sellerId: string) {
  const settings = await getSeller(ctx, sellerId);
  const balances = await payabilityOf(ctx, sellerId, settings);
  return {
    seller_account: sellerId,
    payouts: settings
      ? {
          schedule: settings.schedule,
          paused: settings.paused,
          destination_status: settings.destinationStatus,
        }
      : null,
    balances: balances.map(payabilityView),
  };
}
