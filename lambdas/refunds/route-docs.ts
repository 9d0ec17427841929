/**
 * The refund and dispute routes for the OpenAPI document (spread into lambdas/api/openapi-registry.ts): what each
 * accepts and answers. The refund body is read by `parseRefundRequest` (api.ts), not by a zod schema: the schema
 * below describes it, and the type checks at the bottom of this file fail the build when it, or a response
 * schema, disagrees with the code (the request type, `refundView`, `disputeView`).
 */
import { z } from 'zod';
import { ApiErrorCode } from '../api/errors';
import { paymentOrderDetailSchema, type ViewFits } from '../api/response-schemas';
import { COMMON_ERRORS, JSON_BODY_ERRORS, RouteAuth, type RouteDoc } from '../api/route-docs';
import { idSchema } from '../api/schemas';
import { MoneyErrorCode } from '../money/errors';
import type { RefundRequestBody } from './api';
import type { BuyerTotals } from './buyer-totals';
import { RefundErrorCode } from './errors';
import { RefundOrigin, RefundStatus } from './model';
import { REFUND_REASONS } from './service';
import type { disputeView, refundView } from './views';

const values = <T extends Record<string, string>>(o: T) => Object.values(o) as [T[keyof T], ...T[keyof T][]];

const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 time (UTC).');
const amount = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .describe('A decimal string in the currency exponent, e.g. "12.34" (USD), "1500" (JPY).');

/** POST /v1/payments/{payment_order_id}/refunds's body, as `parseRefundRequest` accepts it. */
export const refundRequestSchema = z
  .strictObject({
    amount: z
      .string()
      .optional()
      .describe("A decimal string in the order's currency; without it, everything that remains to refund."),
    reason: z.enum(REFUND_REASONS).optional().describe('Defaults to requested_by_customer.'),
  })
  .meta({ id: 'RefundRequest' });

export const refundSchema = z
  .strictObject({
    refund_id: z.string(),
    payment_order_id: z.string(),
    amount,
    currency: z.string(),
    status: z
      .enum(values(RefundStatus))
      .describe('pending until the PSP confirms; succeeded can still become failed (the PSP says so later).'),
    origin: z
      .enum(values(RefundOrigin))
      .describe('api: asked for here; psp: made at the PSP (its dashboard).'),
    reason: z.string().optional(),
    failure_reason: z.string().optional(),
    psp_refund_id: z.string().optional(),
    borne_by: z
      .strictObject({ seller: amount, platform_commission_returned: amount, platform: amount })
      .describe('Who bears the refund: the three sum to `amount`.'),
    transfer_reversal: z
      .strictObject({
        status: z.enum(['pending', 'succeeded', 'refused']),
        payout_id: z.string(),
        transfer_id: z.string(),
        amount,
        psp_reversal_id: z.string().optional(),
        failure_code: z.string().optional().describe('Why the PSP refused, e.g. balance_insufficient.'),
      })
      .optional()
      .describe(
        "The seller had been paid out: the payout's transfer reversed for their share. Refused: the seller owes it (receivable), netted by their next pay-ins.",
      ),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Refund' });

export const disputeSchema = z
  .strictObject({
    dispute_id: z.string(),
    payment_order_id: z.string(),
    amount,
    fee: amount,
    currency: z.string(),
    status: z
      .string()
      .describe("The PSP's status (needs_response, under_review, won, lost, warning_*, ...)."),
    is_inquiry: z.boolean(),
    reason: z.string().optional(),
    posted: z
      .array(z.string())
      .readonly()
      .describe('Money steps posted: funds_withdrawn, funds_reinstated, lost.'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Dispute' });

/** GET /v1/payments/{payment_order_id}: the order (its detail) with its refunds and disputes, oldest first. */
export const paymentOrderWithMoneyBackSchema = paymentOrderDetailSchema
  .extend({
    refunds: z.array(refundSchema).describe("The order's refunds, oldest first."),
    disputes: z.array(disputeSchema).describe("The order's disputes and inquiries."),
  })
  .meta({ id: 'PaymentOrderWithMoneyBack' });

const buyerAmount = amount.describe('A decimal string in `currency`.');

/** GET /v1/buyers/{buyer_id}/totals (lambdas/refunds/buyer-totals.ts). */
export const buyerTotalsSchema = z
  .strictObject({
    buyer_id: z.string(),
    totals: z
      .array(
        z.strictObject({
          currency: z.string(),
          paid: buyerAmount.describe('What the buyer paid: their payment orders that reached SUCCESS.'),
          refunded: buyerAmount.describe('Refunds that succeeded (ours and those made at the PSP).'),
          disputes_lost: buyerAmount.describe('Disputes the seller lost (the buyer kept the money).'),
          net: z.string().describe('paid - refunded - disputes_lost, a decimal string (may be negative).'),
          net_minor: z.number().int().describe('`net` in minor units.'),
          orders: z.number().int().describe('Payment orders paid in this currency.'),
        }),
      )
      .readonly()
      .describe('One entry per currency, sorted; empty for a buyer who never paid.'),
  })
  .meta({ id: 'BuyerTotals' });

const refundListSchema = z
  .strictObject({ payment_order_id: z.string(), data: z.array(refundSchema) })
  .meta({ id: 'RefundList' });

/** What the refund's amount can be refused for (all 400): it is read in the order's currency. */
const REFUND_AMOUNT_CODES = [
  MoneyErrorCode.AmountIsFloat,
  MoneyErrorCode.InvalidAmountFormat,
  MoneyErrorCode.TooManyDecimals,
  MoneyErrorCode.AmountNegative,
  MoneyErrorCode.AmountZero,
  MoneyErrorCode.AmountOutOfRange,
] as const;

const READ_ERRORS = {
  400: [ApiErrorCode.ValidationError],
  404: [RefundErrorCode.NotFound],
  ...COMMON_ERRORS,
} as const;

const doc = (d: Omit<RouteDoc, 'tag' | 'auth'>): RouteDoc => ({
  tag: 'refunds',
  auth: RouteAuth.StorefrontKey,
  ...d,
});

const ORDER_PATH = { payment_order_id: idSchema } as const;

export const refundRouteDocs: Readonly<Record<string, RouteDoc>> = {
  'POST /v1/payments/{payment_order_id}/refunds': doc({
    summary: 'Refund a payment order',
    description:
      'Part (`amount`) or all of what remains of a SUCCESS order. The refund and its posting are stored before the PSP is called; the answer says what is known now (`pending` until the PSP confirms).',
    pathParams: ORDER_PATH,
    idempotent: true,
    body: refundRequestSchema,
    responses: { 201: { description: 'The refund.', schema: refundSchema } },
    errors: {
      ...JSON_BODY_ERRORS,
      400: [
        ...JSON_BODY_ERRORS[400],
        ...REFUND_AMOUNT_CODES,
        ApiErrorCode.IdempotencyKeyInvalid,
        ApiErrorCode.IdempotencyError,
      ],
      404: [RefundErrorCode.NotFound],
      409: [
        RefundErrorCode.OrderNotRefundable,
        RefundErrorCode.AlreadyRefunded,
        ApiErrorCode.RequestInProgress,
      ],
      422: [RefundErrorCode.AmountExceedsRefundable],
      500: [...COMMON_ERRORS[500], RefundErrorCode.NeedsAttention],
      503: [RefundErrorCode.Contention, ApiErrorCode.ServiceUnavailable],
    },
  }),
  'GET /v1/payments/{payment_order_id}/refunds': doc({
    summary: "A payment order's refunds",
    description: 'Every refund of the order (ours and those made at the PSP).',
    pathParams: ORDER_PATH,
    responses: { 200: { description: 'The refunds.', schema: refundListSchema } },
    errors: READ_ERRORS,
  }),
  'GET /v1/refunds/{refund_id}': doc({
    summary: 'A refund',
    description: 'Its status as known now, and who bears it.',
    pathParams: { refund_id: idSchema },
    responses: { 200: { description: 'The refund.', schema: refundSchema } },
    errors: READ_ERRORS,
  }),
  'GET /v1/buyers/{buyer_id}/totals': doc({
    summary: "A buyer's totals",
    description:
      'Per currency, what the buyer paid in total, net of refunds and of disputes lost. Kept off the pay-in path from the payments stream: it follows a payment or a refund within seconds (eventually consistent).',
    pathParams: { buyer_id: idSchema },
    responses: { 200: { description: 'The totals.', schema: buyerTotalsSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...COMMON_ERRORS },
  }),
  'GET /v1/disputes/{dispute_id}': doc({
    summary: 'A dispute',
    description: "The PSP's status of the dispute (chargeback or inquiry) and the money steps posted for it.",
    pathParams: { dispute_id: idSchema },
    responses: { 200: { description: 'The dispute.', schema: disputeSchema } },
    errors: READ_ERRORS,
  }),
};

// The code and the schemas must agree: the same fields, and whatever the code takes or returns fits the schema.
const agree: [
  ViewFits<z.output<typeof refundRequestSchema>, RefundRequestBody>,
  ViewFits<RefundRequestBody, z.output<typeof refundRequestSchema>>,
  ViewFits<ReturnType<typeof refundView>, z.output<typeof refundSchema>>,
  ViewFits<ReturnType<typeof disputeView>, z.output<typeof disputeSchema>>,
  ViewFits<BuyerTotals, z.output<typeof buyerTotalsSchema>>,
] = [true, true, true, true, true];
void agree;
