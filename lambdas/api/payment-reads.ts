/**
 * The storefront's read routes (see ./payments-api.ts for all of them):
 *   GET  /v1/payments/{payment_order_id}     an order, its status and its history
 *   GET  /v1/checkouts/{checkout_id}         a checkout, is_payment_done and its orders
 * Apart from ./payments-api.ts, whose request bodies are zod schemas: these functions load no zod.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { getCheckout } from '../payments/checkouts';
import type { PaymentsContext } from '../payments/context';
import { getOrder, getOrders, orderHistory } from '../payments/order-transitions';
import type { BuyerAction } from '../psp/port';
import { ApiError, ApiErrorCode } from './errors';
import { jsonResponse, requestIdOf } from './http';
import { httpErrors } from './middleware';
import { pathId } from './validation';
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

export function notFound(what: string): ApiError {
  return new ApiError(404, ApiErrorCode.NotFound, `${what} not found`);
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
