/**
 * GET /v1/payments/{payment_order_id}: an order's status and history, and for a card payment waiting on the
 * buyer (3-D Secure) the action the storefront hands to the PSP's client library (see lambdas/api/payment-reads.ts),
 * and its refunds and disputes.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { readOnlyPaymentsContext } from '../api/config';
import { getPaymentOrderHandler } from '../api/payment-reads';
import { orderMoneyBack } from '../refunds/api';
import { readOnlyMoneyBack } from '../refunds/read-wiring';
import { documentClient } from '../shared/aws-clients';
import { instrumented } from '../shared/observability';
import { paymentProvider } from '../shared/psp-wiring';

const handle = getPaymentOrderHandler({
  payments: readOnlyPaymentsContext(documentClient()),
  logger: new Logger(),
  buyerAction: async (pspPaymentId) => (await paymentProvider()).buyerAction(pspPaymentId),
  // Its refunds and disputes live in the same payments table (the only one this function may read).
  moneyBack: (paymentOrderId) => orderMoneyBack(readOnlyMoneyBack(), paymentOrderId),
});

export const handler = instrumented(handle);
