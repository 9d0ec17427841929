/**
 * What each API route accepts and answers, for the OpenAPI document (openapi.ts): the request schemas are the
 * ones that validate requests (schemas.ts), the answers are response-schemas.ts, and every route names the error
 * codes it can answer with, per HTTP status. One entry per manifest route (`METHOD path`); a test fails when a
 * route has none, so a new route cannot ship undocumented. Other areas add their entries in their own module and
 * spread them into `routeDocs` below (one line each), as the manifest does.
 */
import { operatorRouteDocs } from '../operator/route-docs';
import { payoutRouteDocs } from '../payouts/route-docs';
import { paymentOrderWithMoneyBackSchema, refundRouteDocs } from '../refunds/route-docs';
import { ApiErrorCode } from './errors';
import { checkoutViewSchema, healthSchema, walletViewSchema, webhookAckSchema } from './response-schemas';
import { COMMON_ERRORS, JSON_BODY_ERRORS, MONEY_INPUT_CODES, RouteAuth, type RouteDoc } from './route-docs';
import { createPaymentSchema, idSchema } from './schemas';

export type { RouteDoc } from './route-docs';

const storefrontRouteDocs: Readonly<Record<string, RouteDoc>> = {
  'GET /v1/health': {
    summary: 'Liveness',
    description: 'Answers with the service name and the time; touches nothing.',
    tag: 'health',
    auth: RouteAuth.None,
    responses: { 200: { description: 'The service is up.', schema: healthSchema } },
    errors: { 500: COMMON_ERRORS[500] },
  },
  'POST /v1/payments': {
    summary: 'Submit a checkout',
    description:
      'Stores the checkout and its payment orders (one transaction) and starts the pay-in. With `credit_card_info` (a PSP token) the card is charged; without it the answer carries `payment_page_url` (the PSP hosted page). Bad input writes nothing.',
    tag: 'storefront',
    auth: RouteAuth.StorefrontKey,
    idempotent: true,
    body: createPaymentSchema,
    responses: {
      200: { description: 'The same checkout again (nothing new written).', schema: checkoutViewSchema },
      201: { description: 'The checkout was stored and its pay-in started.', schema: checkoutViewSchema },
    },
    errors: {
      ...JSON_BODY_ERRORS,
      400: [
        ...JSON_BODY_ERRORS[400],
        ApiErrorCode.DuplicatePaymentOrderId,
        ApiErrorCode.TooManyOrders,
        ApiErrorCode.MixedCurrencies,
        ...MONEY_INPUT_CODES,
        ApiErrorCode.IdempotencyKeyInvalid,
        ApiErrorCode.IdempotencyError,
      ],
      409: ['checkout_conflict', 'payment_order_conflict', ApiErrorCode.RequestInProgress],
      502: [ApiErrorCode.PspError],
      500: COMMON_ERRORS[500],
      503: [ApiErrorCode.PspUnavailable, ApiErrorCode.ServiceUnavailable],
    },
  },
  'GET /v1/payments/{payment_order_id}': {
    summary: 'A payment order',
    description:
      'Its status and append-only history (appended from the table stream: it may lag the status by about a second), its refunds and disputes; while 3-D Secure waits on the buyer, `next_action` (read live from the PSP).',
    tag: 'storefront',
    auth: RouteAuth.StorefrontKey,
    pathParams: { payment_order_id: idSchema },
    responses: {
      200: {
        description: 'The order, its history, its refunds and its disputes.',
        schema: paymentOrderWithMoneyBackSchema,
      },
    },
    errors: {
      400: [ApiErrorCode.ValidationError],
      404: [ApiErrorCode.NotFound],
      502: [ApiErrorCode.PspError],
      500: COMMON_ERRORS[500],
      503: [ApiErrorCode.PspUnavailable, ApiErrorCode.ServiceUnavailable],
    },
  },
  'GET /v1/checkouts/{checkout_id}': {
    summary: 'A checkout',
    description: 'The checkout, `is_payment_done`, and its orders in the order the storefront sent them.',
    tag: 'storefront',
    auth: RouteAuth.StorefrontKey,
    pathParams: { checkout_id: idSchema },
    responses: { 200: { description: 'The checkout.', schema: checkoutViewSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], 404: [ApiErrorCode.NotFound], ...COMMON_ERRORS },
  },
  'POST /v1/checkouts/{checkout_id}/cancel': {
    summary: 'Cancel a checkout',
    description:
      "Expires the checkout's hosted page at the PSP, cancels its open PaymentIntents, and FAILS its unpaid orders with `failure_code: canceled`. A payment that succeeded first wins: that order stays `SUCCESS` (each order's status is in the answer). Canceling again answers the same. To switch a buyer between hosted page and card, cancel and submit a new checkout (new ids).",
    tag: 'storefront',
    auth: RouteAuth.StorefrontKey,
    idempotent: true,
    pathParams: { checkout_id: idSchema },
    responses: {
      200: { description: 'The checkout after the cancel, with every order.', schema: checkoutViewSchema },
    },
    errors: {
      ...JSON_BODY_ERRORS,
      400: [...JSON_BODY_ERRORS[400], ApiErrorCode.IdempotencyKeyInvalid, ApiErrorCode.IdempotencyError],
      404: [ApiErrorCode.NotFound],
      409: [ApiErrorCode.RequestInProgress],
      502: [ApiErrorCode.PspError],
      500: COMMON_ERRORS[500],
      503: [ApiErrorCode.PspUnavailable, ApiErrorCode.ServiceUnavailable],
    },
  },
  'GET /v1/sellers/{seller_account}/wallet': {
    summary: "A seller's wallet",
    description:
      'Per currency: available, pending (in its hold period), payable now and why not, reserved, paid out, receivable and dispute-held; a seller with no sales has an empty list.',
    tag: 'storefront',
    auth: RouteAuth.StorefrontKey,
    pathParams: { seller_account: idSchema },
    responses: { 200: { description: 'The balances.', schema: walletViewSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...COMMON_ERRORS },
  },
  'POST /v1/webhooks/psp': {
    summary: "The PSP's webhook",
    description:
      'Stripe-signed events: the signature is checked on the raw body (300 s tolerance); each event is stored once and queued.',
    tag: 'webhooks',
    auth: RouteAuth.PspSignature,
    rawBody: { contentType: 'application/json', description: 'A Stripe event, byte for byte as signed.' },
    responses: { 200: { description: 'Stored (or already stored).', schema: webhookAckSchema } },
    errors: { 400: ['invalid_signature'], 500: COMMON_ERRORS[500] },
  },
};

/** `METHOD path` of every documented route -> its documentation. */
export const routeDocs: Readonly<Record<string, RouteDoc>> = {
  ...storefrontRouteDocs,
  ...operatorRouteDocs,
  ...payoutRouteDocs,
  ...refundRouteDocs,
};

export function routeKey(route: { readonly method: string; readonly path: string }): string {
  return `${route.method} ${route.path}`;
}
