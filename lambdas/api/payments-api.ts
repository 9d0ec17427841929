/**
 * The storefront's payment routes as middy handlers built from their dependencies (the handler modules in
 * `lambdas/handlers/` build those once per container; tests can hand in others):
 *   POST /v1/payments                        submit a checkout (201 new, 200 the same again)
 *   GET  /v1/payments/{payment_order_id}     an order, its status and its history
 *   GET  /v1/checkouts/{checkout_id}         a checkout, is_payment_done and its orders
 *   POST /v1/checkouts/{checkout_id}/cancel  cancel it: no payment page any more, unpaid orders FAILED (canceled)
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { cancelCheckout } from '../payments/cancel';
import { getCheckout } from '../payments/checkouts';
import type { PaymentsContext } from '../payments/context';
import { PaymentError } from '../payments/errors';
import { getOrder, getOrders, orderHistory } from '../payments/order-transitions';
import {
  requestHash,
  type SubmitCheckoutInput,
  type SubmitDependencies,
  submitCheckout,
} from '../payments/submit';
import type { Timing } from '../payments/timing';
import type { BuyerAction, PaymentProvider } from '../psp/port';
import { ApiError, ApiErrorCode } from './errors';
import { jsonResponse, requestIdOf } from './http';
import type { IdempotencyStore } from './idempotency';
import { httpErrors, idempotent, lockDurationMs, type ValidatedEvent, validJsonBody } from './middleware';
import { parseCancelCheckout, parseCreatePayment, pathId } from './schemas';
import { checkoutView, historyView, paymentOrderView } from './views';

export interface PaymentsApiDependencies {
  readonly payments: PaymentsContext;
  readonly logger: Logger;
}

export interface PaymentOrderApiDependencies extends PaymentsApiDependencies {
  /** Reads a waiting payment's buyer action from the PSP (3-D Secure), live: it is never stored. */
  readonly buyerAction?: (pspPaymentId: string) => Promise<BuyerAction | undefined>;
  /** The order's refunds and disputes (lambdas/refunds), shown with it. */
  readonly moneyBack?: (
    paymentOrderId: string,
  ) => Promise<{ readonly refunds: readonly unknown[]; readonly disputes: readonly unknown[] }>;
}

export interface CreatePaymentDependencies extends PaymentsApiDependencies {
  readonly idempotency: IdempotencyStore;
  /** Built on first use (the PSP client needs a secret). */
  readonly submit: () => Promise<SubmitDependencies>;
}

function notFound(what: string): ApiError {
  return new ApiError(404, ApiErrorCode.NotFound, `${what} not found`);
}

export function createPaymentHandler(deps: CreatePaymentDependencies) {
  const { payments, logger } = deps;

  async function create(event: ValidatedEvent<SubmitCheckoutInput>, context: Context) {
    const input = event.input;
    const log = { request_id: requestIdOf(event), checkout_id: input.checkoutId };
    // One request per checkout at a time (whatever their idempotency keys): a concurrent one is told to retry.
    return deps.idempotency.withLock(`checkout#${input.checkoutId}`, lockDurationMs(context), async () => {
      // A resubmission is answered from what is stored, without registering anything with the PSP again —
      // unless a hosted page is still unregistered (the PSP failed the first time): submitting finishes that.
      const existing = await getCheckout(payments, input.checkoutId);
      const settled =
        existing &&
        (existing.mode === 'card' ||
          existing.psp_session_id ||
          existing.canceled_at ||
          existing.risk_decision === 'decline');
      if (existing && settled) {
        if (existing.request_hash !== requestHash(input)) {
          throw new PaymentError(
            'checkout_conflict',
            `checkout ${input.checkoutId} exists with a different request`,
            {
              checkout_id: input.checkoutId,
            },
          );
        }
        logger.info('checkout resubmitted', log);
        return jsonResponse(200, checkoutView(existing, await getOrders(payments, existing.order_ids)));
      }
      const submit = await deps.submit();
      const result = await submitCheckout(
        payments,
        { ...submit, log: (message, data) => logger.warn(message, { ...log, ...data }) },
        input,
      );
      logger.info(result.created ? 'checkout submitted' : 'checkout resubmitted', {
        ...log,
        mode: result.checkout.mode,
        orders: result.orders.length,
      });
      return jsonResponse(result.created ? 201 : 200, checkoutView(result.checkout, result.orders));
    });
  }

  return middy<ValidatedEvent<SubmitCheckoutInput>, APIGatewayProxyResult>()
    .use(httpErrors(logger))
    .use(validJsonBody(parseCreatePayment))
    .use(idempotent(deps.idempotency, logger))
    .handler(create);
}

export function getPaymentOrderHandler(deps: PaymentOrderApiDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) => {
      const orderId = pathId(event, 'payment_order_id');
      const order = await getOrder(deps.payments, orderId);
      if (!order) throw notFound(`payment order ${orderId}`);
      const [history, moneyBack] = await Promise.all([
        orderHistory(deps.payments, orderId),
        deps.moneyBack?.(orderId),
      ]);
      // A card payment waiting on the buyer (3-D Secure): what the storefront needs to let them act.
      // The order is ours and is answered whatever the PSP says: when it cannot tell (down, or it does not
      // know the payment), the answer is the order without the live next_action, and the log says why.
      let action: BuyerAction | undefined;
      if (
        order.status === 'PENDING' &&
        order.pending_reason === 'requires_action' &&
        order.psp_reference &&
        deps.buyerAction
      ) {
        try {
          action = await deps.buyerAction(order.psp_reference);
        } catch (error) {
          deps.logger.warn('buyer action unavailable from the PSP', {
            request_id: requestIdOf(event),
            payment_order_id: orderId,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
      return jsonResponse(200, {
        ...paymentOrderView(order),
        ...(action
          ? {
              next_action: {
                client_secret: action.clientSecret,
                ...(action.redirectUrl ? { redirect_url: action.redirectUrl } : {}),
              },
            }
          : {}),
        history: historyView(history),
        ...(moneyBack ? { refunds: moneyBack.refunds, disputes: moneyBack.disputes } : {}),
      });
    });
}

export function getCheckoutHandler(deps: PaymentsApiDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) => {
      const checkoutId = pathId(event, 'checkout_id');
      const checkout = await getCheckout(deps.payments, checkoutId);
      if (!checkout) throw notFound(`checkout ${checkoutId}`);
      return jsonResponse(200, checkoutView(checkout, await getOrders(deps.payments, checkout.order_ids)));
    });
}

export interface CancelCheckoutDependencies extends PaymentsApiDependencies {
  readonly idempotency: IdempotencyStore;
  /** Built on first use (the PSP client needs a secret). */
  readonly psp: () => Promise<PaymentProvider>;
  readonly timing?: Timing;
}

/**
 * POST /v1/checkouts/{checkout_id}/cancel: idempotent by itself (canceling again answers the same orders), and
 * under an `Idempotency-Key` as every POST. Holds the checkout's lock, as submitting does, so a cancel and a
 * (re)submission of the same checkout never interleave. Answers 200 with the checkout and each order's status:
 * an order the buyer paid before the cancel stays SUCCESS, and says so.
 */
export function cancelCheckoutHandler(deps: CancelCheckoutDependencies) {
  const { payments, logger } = deps;
  return middy<ValidatedEvent<Record<string, never>>, APIGatewayProxyResult>()
    .use(httpErrors(logger))
    .use(validJsonBody(parseCancelCheckout, { optional: true }))
    .use(idempotent(deps.idempotency, logger))
    .handler(async (event, context) => {
      const checkoutId = pathId(event, 'checkout_id');
      if (!(await getCheckout(payments, checkoutId))) throw notFound(`checkout ${checkoutId}`);
      return deps.idempotency.withLock(`checkout#${checkoutId}`, lockDurationMs(context), async () => {
        const result = await cancelCheckout(payments, await deps.psp(), checkoutId, deps.timing);
        logger.info('checkout canceled', {
          request_id: requestIdOf(event),
          checkout_id: checkoutId,
          statuses: result.orders.map((o) => o.status).join(','),
        });
        return jsonResponse(200, checkoutView(result.checkout, result.orders));
      });
    });
}
