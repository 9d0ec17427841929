/**
 * What the API answers, as zod schemas: the OpenAPI document (openapi.ts) is generated from these and from the
 * request schemas in schemas.ts, so the document cannot drift from the code. The views in views.ts are plain
 * TypeScript; the type checks at the bottom of this file fail the build when a view and its schema disagree.
 */
import { z } from 'zod';
import { OrderStatus, PaymentMode } from '../payments/model';
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
    payment_orders: z.array(paymentOrderViewSchema),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Checkout' });

export const walletViewSchema = z
  .strictObject({
    seller_account: z.string(),
    balances: z.array(
      z.strictObject({
        currency: z.string(),
        available: z.string().describe('Decimal string; negative when refunds exceed sales.'),
        reserved: z.string(),
        paid_out: z.string(),
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
const viewsAgree: [
  Agrees<PaymentOrderView, z.output<typeof paymentOrderViewSchema>>,
  Agrees<CheckoutView, z.output<typeof checkoutViewSchema>>,
] = [true, true];
void viewsAgree;
