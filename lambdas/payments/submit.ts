/**
 * Submitting a checkout (the seeds' "payment event"): store it and its orders before anything else happens,
 * then start the pay-in workflow (card mode) or register the hosted page with the PSP (hosted mode, whose token
 * and URL are stored before the API answers). The same checkout_id with the same content answers what was
 * stored; each order also carries a deadline, so the sweeper finishes it if the workflow never starts.
 */
import { createHash } from 'node:crypto';
import type { CurrencyCode, Money } from '../money';
import type { PaymentProvider } from '../psp/port';
import { PaymentError } from './errors';
import type { BuyerInfo, Checkout, PaymentOrder } from './model';
import { DEFAULT_TIMING, type Timing } from './outcomes';
import { createCheckout, getOrders, type PaymentsContext } from './store';

export interface SubmitCheckoutInput {
  readonly checkoutId: string;
  readonly buyer: BuyerInfo;
  readonly currency: CurrencyCode;
  /** A PSP payment-method token (card mode); absent means hosted-page mode. */
  readonly paymentMethod?: string;
  readonly orders: readonly { paymentOrderId: string; sellerAccount: string; amount: Money }[];
}

export interface SubmitDependencies {
  readonly psp: PaymentProvider;
  /** Starts the pay-in workflow for a card-mode checkout; starting it twice must be harmless. */
  readonly startWorkflow: (checkoutId: string, orderIds: readonly string[]) => Promise<void>;
  readonly hostedPage: { successUrl: string; cancelUrl: string; ttlMs: number };
  readonly timing?: Timing;
  readonly log?: (message: string, data: Record<string, unknown>) => void;
}

export interface SubmitResult {
  readonly created: boolean;
  readonly checkout: Checkout;
  readonly orders: readonly PaymentOrder[];
}

/** A stable hash of what was asked, so a resubmission can be told from a conflicting reuse of the id. */
export function requestHash(input: SubmitCheckoutInput): string {
  const canonical = {
    checkout_id: input.checkoutId,
    buyer: Object.fromEntries(Object.entries(input.buyer).sort(([a], [b]) => a.localeCompare(b))),
    currency: input.currency,
    payment_method: input.paymentMethod ?? null,
    orders: input.orders.map((o) => [
      o.paymentOrderId,
      o.sellerAccount,
      o.amount.currency,
      o.amount.minor.toString(),
    ]),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export async function submitCheckout(
  ctx: PaymentsContext,
  deps: SubmitDependencies,
  input: SubmitCheckoutInput,
): Promise<SubmitResult> {
  const timing = deps.timing ?? DEFAULT_TIMING;
  const now = ctx.clock ? ctx.clock() : new Date();
  const at = now.toISOString();
  const hosted = input.paymentMethod === undefined;
  const total = input.orders.reduce((sum, o) => sum + o.amount.minor, 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new PaymentError('checkout_conflict', 'the checkout total is beyond the supported range', {});
  }

  let session: Awaited<ReturnType<PaymentProvider['createHostedCheckout']>> | undefined;
  if (hosted) {
    // Registered with the PSP first (keyed by checkout_id, so a retry gets the same session), then stored
    // together with the checkout: the API never answers with a token it has not stored.
    session = await deps.psp.createHostedCheckout({
      checkoutId: input.checkoutId,
      currency: input.currency,
      lines: input.orders.map((o) => ({
        paymentOrderId: o.paymentOrderId,
        sellerAccount: o.sellerAccount,
        amount: o.amount,
      })),
      ...(input.buyer.email ? { buyerEmail: input.buyer.email } : {}),
      successUrl: deps.hostedPage.successUrl.replace('{CHECKOUT_ID}', encodeURIComponent(input.checkoutId)),
      cancelUrl: deps.hostedPage.cancelUrl.replace('{CHECKOUT_ID}', encodeURIComponent(input.checkoutId)),
      expiresAt: new Date(now.getTime() + deps.hostedPage.ttlMs),
    });
  }

  const checkout: Checkout = {
    checkout_id: input.checkoutId,
    buyer: input.buyer,
    mode: hosted ? 'hosted' : 'card',
    currency: input.currency,
    total_minor: Number(total),
    order_ids: input.orders.map((o) => o.paymentOrderId),
    order_count: input.orders.length,
    is_payment_done: false,
    ...(input.paymentMethod ? { payment_method: input.paymentMethod } : {}),
    ...(session
      ? {
          psp_session_id: session.sessionId,
          payment_page_url: session.url,
          session_expires_at: session.expiresAt,
        }
      : {}),
    request_hash: requestHash(input),
    version: 1,
    created_at: at,
    updated_at: at,
  };
  // Hosted orders wait for the buyer; the sweeper looks at them when the page expires.
  const deadline = session
    ? new Date(Date.parse(session.expiresAt) + 60_000).toISOString()
    : new Date(now.getTime() + timing.executingTimeoutMs).toISOString();
  const orders: PaymentOrder[] = input.orders.map((o) => ({
    payment_order_id: o.paymentOrderId,
    checkout_id: input.checkoutId,
    seller_account: o.sellerAccount,
    amount_minor: Number(o.amount.minor),
    currency: o.amount.currency,
    status: hosted ? 'PENDING' : 'NOT_STARTED',
    ...(hosted ? { pending_reason: 'awaiting_buyer_on_hosted_page' } : {}),
    version: 1,
    mode: checkout.mode,
    deadline,
    wallet_updated: false,
    ledger_updated: false,
    created_at: at,
    updated_at: at,
  }));

  const result = await createCheckout(ctx, checkout, orders);
  if (!hosted) {
    try {
      await deps.startWorkflow(input.checkoutId, checkout.order_ids);
    } catch (error) {
      // The orders are stored with a deadline: the sweeper executes them if the workflow never runs.
      deps.log?.('could not start the pay-in workflow; the sweeper will execute the orders', {
        checkout_id: input.checkoutId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const stored = result.created ? orders : await getOrders(ctx, result.checkout.order_ids);
  return { created: result.created, checkout: result.checkout, orders: stored };
}
