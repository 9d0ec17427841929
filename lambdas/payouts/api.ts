/**
 * The pay-out routes as middy handlers built from their dependencies (handler modules build those once):
 *   PUT  /v1/sellers/{seller_account}                  payout settings: destination, schedule, minimums, hold days
 *   POST /v1/sellers/{seller_account}/payouts/pause    stop paying the seller; /resume starts again
 *   GET  /v1/sellers/{seller_account}/payouts          the seller's payouts, newest first, paginated
 *   POST /v1/payouts                                    a payout of an amount or of everything payable (idempotent)
 *   GET  /v1/payouts/{payout_id}                        status, append-only history, provider reference, failure
 * and the payability part of GET /v1/sellers/{seller_account}/wallet. Validation writes nothing; a payout
 * beyond the payable balance is 422 `insufficient_funds` with nothing reserved. The routes with a body are
 * here (`zod/mini` schemas, as in lambdas/api/schemas.ts); the others and the views are in ./read-api.ts
 * (no zod), re-exported here.
 */
import middy from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { ulid } from 'ulid';
import * as z from 'zod/mini';
import '../shared/zod-english';
import { ApiError } from '../api/errors';
import { jsonResponse } from '../api/http';
import type { IdempotencyStore } from '../api/idempotency';
import { httpErrors, idempotent, type ValidatedEvent, validJsonBody } from '../api/middleware';
import { pathId, validationError } from '../api/validation';
import { type CurrencyCode, type Money, parseAmount, parseCurrency } from '../money';
import { MoneyError } from '../money/errors';
import { crashPoint } from '../shared/crash-point';
import { type CreateTiming, createPayout } from './create';
import type { Payout } from './model';
import { mapped, type PayoutsApiDependencies, payoutView, sellerView } from './read-api';
import { putSeller, type SellerSettingsInput } from './store';

export * from './read-api';

function fromZod(error: z.core.$ZodError): ApiError {
  return validationError(
    error.issues.map((i) => ({ field: i.path.join('.') || '(body)', code: i.code, message: i.message })),
  );
}

// ------------------------------------------------------------------------------------------- sellers

/** PUT /v1/sellers/{seller_account}'s body (also its OpenAPI request schema, lambdas/payouts/route-docs.ts). */
export const sellerSettingsSchema = z.strictObject({
  // The provider pays: a Stripe connected account, or a payee at the asynchronous payee network.
  destination: z.discriminatedUnion('provider', [
    z.strictObject({
      provider: z.literal('stripe_connect'),
      account: z
        .string()
        .check(z.regex(/^acct_[A-Za-z0-9_]{1,100}$/, { error: 'a Stripe connected account id (acct_...)' })),
    }),
    z.strictObject({
      provider: z.literal('payee_network'),
      account: z
        .string()
        .check(
          z.regex(/^payee_[A-Za-z0-9_]{1,100}$/, { error: 'a payee id at the payee network (payee_...)' }),
        ),
    }),
  ]),
  schedule: z._default(z.enum(['manual', 'daily', 'weekly']), 'manual'),
  minimum_amounts: z._default(z.record(z.string(), z.string()), {}),
  hold_days: z._default(z.number().check(z.int(), z.minimum(0), z.maximum(90)), 0),
});

export function parseSellerSettings(json: unknown): Omit<SellerSettingsInput, 'sellerId'> {
  const parsed = sellerSettingsSchema.safeParse(json);
  if (!parsed.success) throw fromZod(parsed.error);
  const minimums: Partial<Record<CurrencyCode, bigint>> = {};
  for (const [code, amount] of Object.entries(parsed.data.minimum_amounts)) {
    try {
      const currency = parseCurrency(code);
      minimums[currency] = parseAmount(amount, currency).minor;
    } catch (error) {
      if (error instanceof MoneyError) {
        throw new ApiError(400, error.code, error.message, {
          ...error.details,
          field: `minimum_amounts.${code}`,
        });
      }
      throw error;
    }
  }
  return {
    destination: parsed.data.destination,
    schedule: parsed.data.schedule,
    minimums,
    holdDays: parsed.data.hold_days,
  };
}

export function putSellerHandler(deps: PayoutsApiDependencies) {
  return middy<ValidatedEvent<Omit<SellerSettingsInput, 'sellerId'>>, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(validJsonBody(parseSellerSettings))
    .handler(async (event) => {
      const sellerId = pathId(event, 'seller_account');
      const { settings, created } = await putSeller(deps.payouts, { ...event.input, sellerId });
      return jsonResponse(created ? 201 : 200, sellerView(settings));
    });
}

// ------------------------------------------------------------------------------------------- payouts

/** POST /v1/payouts's body (also its OpenAPI request schema, lambdas/payouts/route-docs.ts). */
export const createPayoutSchema = z
  .strictObject({
    seller_account: z
      .string()
      .check(z.regex(/^[A-Za-z0-9_.@+-]{1,128}$/, { error: '1-128 of [A-Za-z0-9_.@+-]' })),
    currency: z.string(),
    amount: z.optional(z.string()),
    all_payable: z.optional(z.literal(true)),
  })
  .check(
    z.refine((b) => (b.amount === undefined) !== (b.all_payable === undefined), {
      error: 'give exactly one of amount or all_payable: true',
      path: ['amount'],
    }),
  );

export interface CreatePayoutRequest {
  readonly sellerId: string;
  readonly currency: CurrencyCode;
  readonly amount?: Money;
}

export function parseCreatePayout(json: unknown): CreatePayoutRequest {
  const parsed = createPayoutSchema.safeParse(json);
  if (!parsed.success) throw fromZod(parsed.error);
  try {
    const currency = parseCurrency(parsed.data.currency);
    return {
      sellerId: parsed.data.seller_account,
      currency,
      ...(parsed.data.amount !== undefined ? { amount: parseAmount(parsed.data.amount, currency) } : {}),
    };
  } catch (error) {
    if (error instanceof MoneyError) throw new ApiError(400, error.code, error.message, error.details);
    throw error;
  }
}

export interface CreatePayoutDependencies extends PayoutsApiDependencies {
  readonly idempotency: IdempotencyStore;
  readonly startWorkflow: (payout: Payout) => Promise<void>;
  readonly timing: CreateTiming;
}

export function createPayoutHandler(deps: CreatePayoutDependencies) {
  return middy<ValidatedEvent<CreatePayoutRequest>, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(validJsonBody(parseCreatePayout))
    .use(idempotent(deps.idempotency, deps.logger))
    .handler(async (event) =>
      mapped(async () => {
        const { payout } = await createPayout(
          deps.payouts,
          { payoutId: event.idempotentIdOf?.('pout') ?? `pout_${ulid()}`, ...event.input, origin: 'api' },
          deps.timing,
        );
        // The hold is reserved and no answer stored: a process that dies here leaves the payout to the
        // sweeper, and a retry of the request (same Idempotency-Key, so the same payout id) answers it.
        crashPoint('payout.requested', payout.payout_id);
        try {
          await deps.startWorkflow(payout);
        } catch (error) {
          // The hold and the payout are committed: the sweeper drives it if the workflow did not start.
          deps.logger.warn('payout workflow did not start; the sweeper will drive it', {
            payout_id: payout.payout_id,
            error: error as Error,
          });
        }
        return jsonResponse(201, payoutView(payout));
      }),
    );
}
