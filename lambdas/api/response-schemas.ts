/**
 * What the API answers, as zod schemas: the OpenAPI document (openapi.ts) is generated from these and from the
 * request schemas in schemas.ts, so the document cannot drift from the code. The views in views.ts are plain
 * TypeScript; the type checks at the bottom of this file fail the build when a view and its schema disagree.
 */
import { z } from 'zod';
import { OrderStatus, PaymentMode } from '../payments/model';
import type { walletWithPayability } from '../payouts/api';
import { DestinationStatus, NotPayableReason, Schedule } from '../payouts/model';
import type { CheckoutView, PaymentOrderView } from './views';

const decimalAmount = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .describe('A decimal string in the currency exponent, e.g. "12.34" (USD), "1500" (JPY).');
const timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 time (UTC).');

export const errorEnvelopeSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe('Machine-readable code, e.g. validation_error.'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      request_id: z.string(),
    }),
  })
  .meta({ id: 'Error' });

export const orderStatusSchema = z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]]);
const modeSchema = z.enum(Object.values(PaymentMode) as [PaymentMode, ...PaymentMode[]]);

export const paymentOrderViewSchema = z
  .strictObject({
    payment_order_id: z.string(),
    checkout_id: z.string(),
    seller_account: z.string(),
    amount: decimalAmount,
    currency: z.string(),
    status: orderStatusSchema,
    mode: modeSchema,
    psp_reference: z.string().optional(),
    failure_code: z.string().optional(),
    failure_reason: z.string().optional(),
    pending_reason: z.string().optional(),
    wallet_updated: z.boolean(),
    ledger_updated: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'PaymentOrder' });

export const historyEntrySchema = z
  .strictObject({
    version: z.number().int(),
    from: orderStatusSchema.nullable(),
    to: orderStatusSchema,
    at: timestamp,
    actor: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'HistoryEntry' });

export const paymentOrderDetailSchema = paymentOrderViewSchema
  .extend({
    next_action: z
      .strictObject({
        client_secret: z.string().describe("For the PSP's client library (Stripe.js handleNextAction)."),
        redirect_url: z.url().optional().describe('Where to send the buyer for 3-D Secure.'),
      })
      .optional()
      .describe('Present while 3-D Secure waits on the buyer (read live from the PSP, never stored).'),
    history: z.array(historyEntrySchema),
  })
  .meta({ id: 'PaymentOrderDetail' });

export const checkoutViewSchema = z
  .strictObject({
    checkout_id: z.string(),
    buyer_info: z.strictObject({
      buyer_id: z.string(),
      email: z.string().optional(),
      name: z.string().optional(),
      country: z.string().optional(),
    }),
    mode: modeSchema,
    currency: z.string(),
    total_amount: decimalAmount,
    is_payment_done: z.boolean(),
    psp_token: z.string().optional(),
    payment_page_url: z.url().optional(),
    payment_page_expires_at: timestamp.optional(),
    /** Set once the storefront canceled the checkout (POST /v1/checkouts/{id}/cancel). */
    canceled_at: timestamp.optional(),
    payment_orders: z.array(paymentOrderViewSchema),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Checkout' });

const notPayableReasonSchema = z.enum(
  Object.values(NotPayableReason) as [NotPayableReason, ...NotPayableReason[]],
);

export const walletViewSchema = z
  .strictObject({
    seller_account: z.string(),
    payouts: z
      .strictObject({
        schedule: z.enum(Object.values(Schedule) as [Schedule, ...Schedule[]]),
        paused: z.boolean(),
        destination_status: z.enum(
          Object.values(DestinationStatus) as [DestinationStatus, ...DestinationStatus[]],
        ),
      })
      .nullable()
      .describe('The payout settings in short; null until PUT /v1/sellers/{seller_account}.'),
    balances: z.array(
      z.strictObject({
        currency: z.string(),
        available: z.string().describe('Decimal string; negative when refunds exceed sales.'),
        pending: z.string().describe('Part of available still in its hold period.'),
        payable: z.string().describe('What a payout can take now.'),
        reserved: z.string(),
        paid_out: z.string(),
        receivable: z
          .string()
          .describe('Owed to the platform (refunds or disputes the wallet did not cover).'),
        dispute_held: z.string().describe('Held for open disputes.'),
        minimum: z.string().describe("The seller's minimum payout in this currency."),
        not_payable_reasons: z
          .array(notPayableReasonSchema)
          .readonly()
          .describe('Empty when `payable` can be paid now.'),
      }),
    ),
  })
  .meta({ id: 'Wallet' });

export const healthSchema = z
  .strictObject({ status: z.literal('ok'), service: z.string(), request_id: z.string(), time: timestamp })
  .meta({ id: 'Health' });

export const webhookAckSchema = z
  .strictObject({ received: z.literal(true), duplicate: z.boolean() })
  .meta({ id: 'WebhookAck' });

// The views and their schemas must agree: the same fields, and whatever the schema allows fits the view.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Agrees<View, Schema> =
  Same<keyof View, keyof Schema> extends true ? (Schema extends View ? true : false) : false;
/**
 * For views whose types are inferred from the code that builds them (the other areas' views): the same fields,
 * and whatever the view returns fits the schema (so the document never refuses a real answer).
 */
export type ViewFits<View, Schema> =
  Same<keyof View, keyof Schema> extends true ? (View extends Schema ? true : false) : false;
const viewsAgree: [
  Agrees<PaymentOrderView, z.output<typeof paymentOrderViewSchema>>,
  Agrees<CheckoutView, z.output<typeof checkoutViewSchema>>,
  ViewFits<Awaited<ReturnType<typeof walletWithPayability>>, z.output<typeof walletViewSchema>>,
] = [true, true, true];
void viewsAgree;
