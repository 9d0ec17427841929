/**
 * What the API accepts, as schemas: the shape is checked by zod (unknown keys refused, as Stripe does), then the
 * money by the money module (whose codes the caller gets: `amount_is_float`, `amount_too_many_decimals`,
 * `unknown_currency`, ...), then the rules that span orders (one currency, unique order ids, at most 40 orders),
 * then the PSP's own rules (`currency_not_supported`, `amount_precision_not_supported`, `amount_below_minimum`,
 * `amount_above_maximum`), so that nothing the PSP would refuse is ever stored.
 * The result is the typed input of `submitCheckout`; nothing here touches storage. Path ids and the 400 answer
 * are in ./validation.ts (no zod), re-exported here. The schemas are `zod/mini` ones (the tree-shakable API,
 * English messages from ../shared/zod-english.ts): the functions that validate bodies load no full zod. The
 * OpenAPI document is generated from them (openapi-registry.ts).
 */
import * as z from 'zod/mini';
import '../shared/zod-english';
import { type CurrencyCode, type Money, MoneyError, parseAmount, parseCurrency, sum } from '../money';
import type { BuyerInfo } from '../payments/model';
import type { SubmitCheckoutInput } from '../payments/submit';
import { checkChargeable, checkRepresentable, pspCurrency } from '../psp/currencies';
import { ApiError, ApiErrorCode } from './errors';
import { fieldPath, ID_RULE, isValidId, validationError } from './validation';

export {
  type FieldIssue,
  fieldPath,
  ID_PATTERN,
  isValidId,
  pathId,
  validationError,
} from './validation';

/**
 * DynamoDB's 100-item transaction holds the checkout and, per order, the order and its first history entry:
 * 1 + 2 x 40 leaves room to spare.
 */
export const MAX_ORDERS = 40;

export const idSchema = z.string({ error: ID_RULE }).check(z.refine(isValidId, { error: ID_RULE }));

/** A PSP payment-method token: Stripe's `pm_...` (or another prefixed id), never card data. */
const PSP_TOKEN = /^[a-z]{2,8}_[A-Za-z0-9_]{1,247}$/;

const paymentOrderSchema = z.strictObject({
  seller_account: idSchema,
  // Checked by the money module, which tells a float from a malformed string.
  amount: z.union([z.string().check(z.maxLength(64)), z.number()], {
    error: 'must be a decimal string such as "12.34"',
  }),
  currency: z.string({ error: 'must be an ISO 4217 code such as "USD"' }).check(z.maxLength(16)),
  payment_order_id: idSchema,
});

export const createPaymentSchema = z.strictObject({
  buyer_info: z.strictObject({
    buyer_id: idSchema,
    email: z.optional(z.email({ error: 'must be an email address' }).check(z.maxLength(254))),
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
    country: z.optional(
      z.string().check(z.regex(/^[A-Z]{2}$/, { error: 'must be an ISO 3166-1 alpha-2 code such as "DE"' })),
    ),
  }),
  checkout_id: idSchema,
  credit_card_info: z.optional(
    z.string().check(z.regex(PSP_TOKEN, { error: "must be the PSP's payment-method token, such as pm_..." })),
  ),
  payment_orders: z
    .array(paymentOrderSchema)
    .check(z.minLength(1, { error: 'must hold at least one payment order' })),
});

export type CreatePaymentBody = z.infer<typeof createPaymentSchema>;

function fromZod(error: z.core.$ZodError): ApiError {
  return validationError(
    error.issues.map((issue) => ({ field: fieldPath(issue.path), code: issue.code, message: issue.message })),
  );
}

function moneyError(error: unknown, field: string): never {
  if (error instanceof MoneyError) {
    throw new ApiError(400, error.code, error.message, { ...error.details, field }, { cause: error });
  }
  throw error;
}

/** The body of POST /v1/payments (parsed JSON) as the input of `submitCheckout`, or a 400 that says why not. */
export function parseCreatePayment(json: unknown): SubmitCheckoutInput {
  // Counted before the shape so that a huge list is refused without validating each entry.
  const orders = (json as { payment_orders?: unknown } | null)?.payment_orders;
  if (Array.isArray(orders) && orders.length > MAX_ORDERS) {
    throw new ApiError(
      400,
      ApiErrorCode.TooManyOrders,
      `a checkout holds at most ${MAX_ORDERS} payment orders`,
      {
        max: MAX_ORDERS,
        count: orders.length,
      },
    );
  }
  const parsed = createPaymentSchema.safeParse(json);
  if (!parsed.success) throw fromZod(parsed.error);
  const body = parsed.data;

  const amounts: Money[] = body.payment_orders.map((order, i) => {
    try {
      parseCurrency(order.currency);
    } catch (error) {
      moneyError(error, `payment_orders[${i}].currency`);
    }
    try {
      return parseAmount(order.amount, order.currency);
    } catch (error) {
      return moneyError(error, `payment_orders[${i}].amount`);
    }
  });

  const currencies = [...new Set(amounts.map((a) => a.currency))];
  const currency = currencies[0] as CurrencyCode;
  if (currencies.length > 1) {
    throw new ApiError(
      400,
      ApiErrorCode.MixedCurrencies,
      'all payment orders of a checkout share one currency',
      {
        currencies,
      },
    );
  }

  const seen = new Set<string>();
  for (const [i, order] of body.payment_orders.entries()) {
    if (seen.has(order.payment_order_id)) {
      throw new ApiError(
        400,
        ApiErrorCode.DuplicatePaymentOrderId,
        `payment_order_id ${order.payment_order_id} appears more than once`,
        { field: `payment_orders[${i}].payment_order_id`, payment_order_id: order.payment_order_id },
      );
    }
    seen.add(order.payment_order_id);
  }

  try {
    // The total must fit the money range too (it is stored and sent to the PSP in hosted mode).
    sum(currency, amounts);
  } catch (error) {
    moneyError(error, 'payment_orders');
  }

  checkPspLimits(amounts, body.credit_card_info === undefined);

  const info = body.buyer_info;
  const buyer: BuyerInfo = {
    buyer_id: info.buyer_id,
    ...(info.email !== undefined ? { email: info.email } : {}),
    ...(info.name !== undefined ? { name: info.name } : {}),
    ...(info.country !== undefined ? { country: info.country } : {}),
  };
  return {
    checkoutId: body.checkout_id,
    buyer,
    currency,
    ...(body.credit_card_info !== undefined ? { paymentMethod: body.credit_card_info } : {}),
    orders: body.payment_orders.map((order, i) => ({
      paymentOrderId: order.payment_order_id,
      sellerAccount: order.seller_account,
      amount: amounts[i] as Money,
    })),
  };
}

/**
 * The PSP's own rules, before anything is stored (lambdas/psp/currencies.ts): the currency must be one it
 * charges, every amount one it can represent exactly, and every charge within its minimum and maximum. With a
 * card token each order is its own charge; on the hosted page the checkout is one charge of the total.
 */
function checkPspLimits(amounts: readonly Money[], hosted: boolean): void {
  const [first] = amounts;
  if (!first) return;
  try {
    pspCurrency(first.currency);
  } catch (error) {
    moneyError(error, 'payment_orders[0].currency');
  }
  for (const [i, amount] of amounts.entries()) {
    try {
      if (hosted) checkRepresentable(amount);
      else checkChargeable(amount);
    } catch (error) {
      moneyError(error, `payment_orders[${i}].amount`);
    }
  }
  if (hosted) {
    try {
      checkChargeable(sum(first.currency, amounts));
    } catch (error) {
      moneyError(error, 'payment_orders');
    }
  }
}

/** A path parameter that must be an id (`{payment_order_id}`, `{checkout_id}`). */
/** The cancel route takes no fields: no body, or an empty JSON object. */
export function parseCancelCheckout(json: unknown): Record<string, never> {
  if (json === undefined) return {};
  if (typeof json !== 'object' || json === null || Array.isArray(json) || Object.keys(json).length > 0) {
    throw validationError([
      { field: 'body', code: 'unexpected_body', message: 'send no body, or an empty JSON object' },
    ]);
  }
  return {};
}
