/**
 * The pay-out routes for the OpenAPI document (spread into lambdas/api/openapi-registry.ts): what each accepts
 * (the schemas in api.ts, which validate the requests) and answers (the response schemas below, checked against
 * the views in api.ts at the bottom of this file, so the document cannot drift from what the routes return).
 */
import { z } from 'zod';
import { ApiErrorCode } from '../api/errors';
import { type ViewFits, webhookAckSchema } from '../api/response-schemas';
import { COMMON_ERRORS, JSON_BODY_ERRORS, RouteAuth, type RouteDoc } from '../api/route-docs';
import { idSchema } from '../api/schemas';
import { MoneyErrorCode } from '../money/errors';
import { createPayoutSchema, type payoutView, sellerSettingsSchema, type sellerView } from './api';
import { PayoutErrorCode } from './errors';
import { DestinationStatus, PayoutStatus, ProviderKind, Schedule } from './model';

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as [T[keyof T], ...T[keyof T][]];

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 time (UTC).');
const amount = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .describe('A decimal string in the currency exponent, e.g. "12.34" (USD), "1500" (JPY).');
const payoutStatusSchema = z.enum(values(PayoutStatus));

export const payoutSellerSchema = z
  .strictObject({
    seller_account: z.string(),
    destination: z.strictObject({ provider: z.enum(values(ProviderKind)), account: z.string() }),
    destination_status: z.enum(values(DestinationStatus)),
    destination_error: z.string().optional().describe('Why the provider reported the destination broken.'),
    schedule: z.enum(values(Schedule)),
    minimum_amounts: z
      .record(z.string(), amount)
      .describe('Per currency: below it the schedule does not pay.'),
    hold_days: z.number().int(),
    paused: z.boolean(),
    updated_at: timestamp,
  })
  .meta({ id: 'SellerPayoutSettings' });

export const payoutSchema = z
  .strictObject({
    payout_id: z.string(),
    seller_account: z.string(),
    amount,
    currency: z.string(),
    status: payoutStatusSchema,
    provider: z.enum(values(ProviderKind)),
    destination: z.string().describe('The connected account (acct_...) or payee (payee_...) paid.'),
    origin: z.enum(['api', 'schedule']),
    provider_reference: z
      .string()
      .optional()
      .describe("The provider's reference: Stripe's transfer id, or the payee network's payment id."),
    bank_payout_id: z.string().optional().describe("The connected account's bank payout id."),
    failure: z
      .strictObject({ code: z.string(), message: z.string().optional() })
      .optional()
      .describe('Why the payout did not reach the seller (FAILED, RETURNED).'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Payout' });

const payoutHistorySchema = z.strictObject({
  at: timestamp,
  from: payoutStatusSchema.nullable(),
  to: payoutStatusSchema,
  by: z.string().describe('api, schedule, pay-out-workflow, psp-webhook, sweeper.'),
  reason: z.string().optional(),
});

export const payoutDetailSchema = payoutSchema
  .extend({ history: z.array(payoutHistorySchema) })
  .meta({ id: 'PayoutDetail' });

const payoutListSchema = z
  .strictObject({
    seller_account: z.string(),
    data: z.array(payoutSchema),
    has_more: z.boolean(),
    next_cursor: z.string().optional().describe('Pass as `starting_after` for the next page.'),
  })
  .meta({ id: 'PayoutList' });

/** What a payout's amount or currency can be refused for (all 400). */
const PAYOUT_AMOUNT_CODES = [
  MoneyErrorCode.UnknownCurrency,
  MoneyErrorCode.InvalidAmountFormat,
  MoneyErrorCode.TooManyDecimals,
  MoneyErrorCode.AmountNegative,
  MoneyErrorCode.AmountZero,
  MoneyErrorCode.AmountOutOfRange,
] as const;

const SELLER_PATH = { seller_account: idSchema } as const;
const PATH_ERRORS = { 400: [ApiErrorCode.ValidationError] } as const;

const doc = (d: Omit<RouteDoc, 'tag' | 'auth'>): RouteDoc => ({
  tag: 'payouts',
  auth: RouteAuth.StorefrontKey,
  ...d,
});

const pauseDoc = (paused: boolean): RouteDoc =>
  doc({
    summary: paused ? "Pause a seller's payouts" : "Resume a seller's payouts",
    description: paused
      ? 'Nothing is paid to the seller (by request or schedule) until resumed; payouts already made carry on.'
      : 'The seller can be paid again (their balance and destination permitting).',
    pathParams: SELLER_PATH,
    responses: { 200: { description: 'The settings as they are now.', schema: payoutSellerSchema } },
    errors: { ...PATH_ERRORS, 404: [PayoutErrorCode.SellerNotFound], ...COMMON_ERRORS },
  });

export const payoutRouteDocs: Readonly<Record<string, RouteDoc>> = {
  'PUT /v1/sellers/{seller_account}': doc({
    summary: "A seller's payout settings",
    description:
      'Destination (a Stripe connected account, or a payee at the asynchronous payee network), schedule, per-currency minimums and hold days; registering the destination again clears an errored one.',
    pathParams: SELLER_PATH,
    body: sellerSettingsSchema,
    responses: {
      200: { description: 'The settings were replaced.', schema: payoutSellerSchema },
      201: { description: 'The seller was registered.', schema: payoutSellerSchema },
    },
    errors: {
      ...JSON_BODY_ERRORS,
      400: [...JSON_BODY_ERRORS[400], ...PAYOUT_AMOUNT_CODES],
      ...COMMON_ERRORS,
    },
  }),
  'POST /v1/sellers/{seller_account}/payouts/pause': pauseDoc(true),
  'POST /v1/sellers/{seller_account}/payouts/resume': pauseDoc(false),
  'GET /v1/sellers/{seller_account}/payouts': doc({
    summary: "A seller's payouts",
    description:
      'Newest first, `limit` (1-100, default 20) a page; `starting_after` is the previous `next_cursor`.',
    pathParams: SELLER_PATH,
    query: {
      limit: z.coerce.number().int().min(1).max(100).optional(),
      starting_after: z.string().optional(),
    },
    responses: { 200: { description: 'A page of payouts.', schema: payoutListSchema } },
    errors: { ...PATH_ERRORS, ...COMMON_ERRORS },
  }),
  'POST /v1/payouts': doc({
    summary: 'Pay a seller',
    description:
      'Of `amount`, or of everything payable (`all_payable: true`): the amount is reserved (a hold) and the pay-out workflow started. More than the payable balance is 422 `insufficient_funds`, with nothing reserved.',
    idempotent: true,
    body: createPayoutSchema,
    responses: { 201: { description: 'The payout, reserved and started.', schema: payoutSchema } },
    errors: {
      ...JSON_BODY_ERRORS,
      400: [
        ...JSON_BODY_ERRORS[400],
        ...PAYOUT_AMOUNT_CODES,
        ApiErrorCode.IdempotencyKeyInvalid,
        ApiErrorCode.IdempotencyError,
      ],
      404: [PayoutErrorCode.SellerNotFound],
      409: [ApiErrorCode.RequestInProgress],
      422: [PayoutErrorCode.InsufficientFunds, PayoutErrorCode.NotPayable],
      500: COMMON_ERRORS[500],
      503: [PayoutErrorCode.Contention, ApiErrorCode.ServiceUnavailable],
    },
  }),
  'POST /v1/webhooks/payouts': {
    summary: "The payee network's webhook",
    description:
      'Results of payments at the asynchronous payout provider (payment.submitted, .deferred, .paid, .cleared, .rejected, .canceled, .returned), signed with `X-Payee-Signature` (checked on the raw body, 300 s tolerance); each event is stored once in the webhook inbox and queued. The payment is looked up at the provider before it is applied.',
    tag: 'webhooks',
    auth: RouteAuth.PayeeSignature,
    rawBody: {
      contentType: 'application/json',
      description: 'A payee network event, byte for byte as signed.',
    },
    responses: { 200: { description: 'Stored (or already stored).', schema: webhookAckSchema } },
    errors: { 400: ['invalid_signature'], 500: COMMON_ERRORS[500] },
  },
  'GET /v1/payouts/{payout_id}': doc({
    summary: 'A payout',
    description: 'Its status, append-only history, provider reference and (when it did not arrive) failure.',
    pathParams: { payout_id: idSchema },
    responses: { 200: { description: 'The payout and its history.', schema: payoutDetailSchema } },
    errors: { ...PATH_ERRORS, 404: [PayoutErrorCode.NotFound], ...COMMON_ERRORS },
  }),
};

// The views and their schemas must agree: the same fields, and whatever a view returns fits its schema.
const viewsFit: [
  ViewFits<ReturnType<typeof sellerView>, z.output<typeof payoutSellerSchema>>,
  ViewFits<Omit<ReturnType<typeof payoutView>, 'history'>, z.output<typeof payoutSchema>>,
  ViewFits<
    NonNullable<ReturnType<typeof payoutView>['history']>[number],
    z.output<typeof payoutHistorySchema>
  >,
] = [true, true, true];
void viewsFit;
