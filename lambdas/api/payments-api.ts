/**
 * The storefront's payment routes as middy handlers built from their dependencies (the handler modules in
 * `lambdas/handlers/` build those once per container; tests can hand in others):
 *   POST /v1/payments                        submit a checkout (201 new, 200 the same again)
 *   GET  /v1/payments/{payment_order_id}     an order, its status and its history
 *   GET  /v1/checkouts/{checkout_id}         a checkout, is_payment_done and its orders
 *   POST /v1/checkouts/{checkout_id}/cancel  cancel it: no payment page any more, unpaid orders FAILED (canceled)
 * The read routes are in ./payment-reads.ts (no zod), re-exported here.
 */
import middy from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { cancelCheckout } from '../payments/cancel';
import { getCheckout } from '../payments/checkouts';
import { PaymentError } from '../payments/errors';
import { getOrders } from '../payments/order-transitions';
import {
  requestHash,
  type SubmitCheckoutInput,
  type SubmitDependencies,
  submitCheckout,
} from '../payments/submit';
import type { Timing } from '../payments/timing';
import type { PaymentProvider } from '../psp/port';
import { jsonResponse, requestIdOf } from './http';
import type { IdempotencyStore } from './idempotency';
import { httpErrors, idempotent, lockDurationMs, type ValidatedEvent, validJsonBody } from './middleware';
import { notFound, type PaymentsApiDependencies } from './payment-reads';
import { parseCancelCheckout, parseCreatePayment, pathId } from './schemas';
import { checkoutView } from './views';

export * from './payment-reads';

export interface CreatePaymentDependencies extends PaymentsApiDependencies {
  readonly idempotency: IdempotencyStore;
  /** Built on first use (the PSP client needs a secret). */
  readonly submit: () => Promise<SubmitDependencies>;
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
