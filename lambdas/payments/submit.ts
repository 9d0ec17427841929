/**
 * Submitting a checkout (the seeds' "payment event"): store it and its orders before anything else happens,
 * then start the pay-in workflow (card mode) or register the hosted page with the PSP (hosted mode, whose token
 * and URL are stored before the API answers). The same checkout_id with the same content answers what was
 * stored; each order also carries a deadline, so the sweeper finishes it if the workflow never starts.
 */
import { createHash } from 'node:crypto';
import { type CurrencyCode, MAX_MINOR_UNITS, type Money, MoneyError } from '../money';
import type { PaymentProvider } from '../psp/port';
import type { RiskProvider } from '../risk/rules';
import { attachHostedSession, completeCheckoutIfDone, createCheckout } from './checkouts';
import { nowOf, type PaymentsContext } from './context';
import { PaymentError } from './errors';
import type { BuyerInfo, Checkout, PaymentOrder } from './model';
import { getOrders } from './order-transitions';
import { decideRisk } from './risk-gate';
import { DEFAULT_TIMING, type Timing } from './timing';

/** A session must live this long after it is registered (Stripe's minimum is 30 minutes). */
const MIN_REGISTRATION_LEAD_MS = 31 * 60_000;

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
  /** Assesses a hosted-page checkout before its page is registered (card mode: the workflow's risk step). */
  readonly risk: RiskProvider;
  /** Starts the pay-in workflow for a card-mode checkout; starting it twice must be harmless. */
  readonly startWorkflow: (checkoutId: string, orderIds: readonly string[]) => Promise<void>;
  readonly hostedPage: { successUrl: string; cancelUrl: string; ttlMs: number };
  readonly timing?: Timing;
  readonly log?: (message: string, data: Record<string, unknown>) => void;
}

export interface SubmitResult {
  /** True for the first complete answer about this checkout (201); false for a resubmission (200). */
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
  const now = nowOf(ctx);
  const at = now.toISOString();
  const hosted = input.paymentMethod === undefined;
  const total = input.orders.reduce((sum, o) => sum + o.amount.minor, 0n);
  if (total > MAX_MINOR_UNITS) {
    throw new MoneyError('amount_out_of_range', 'the checkout total is beyond the supported range', {
      checkout_id: input.checkoutId,
    });
  }
  // Hosted orders wait for the buyer while the page lives, but the sweeper asks the PSP about their page every
  // recheck interval meanwhile (and once more after it expires): a page paid while its webhooks were lost is
  // credited within minutes, never left PENDING with the money taken until the page's expiry.
  const pageExpiresAt = new Date(now.getTime() + deps.hostedPage.ttlMs).toISOString();
  const deadline = hosted
    ? new Date(
        Math.min(now.getTime() + timing.pendingRecheckMs, Date.parse(pageExpiresAt) + 60_000),
      ).toISOString()
    : new Date(now.getTime() + timing.executingTimeoutMs).toISOString();

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
    ...(hosted ? { session_expires_at: pageExpiresAt } : {}),
    request_hash: requestHash(input),
    version: 1,
    created_at: at,
    updated_at: at,
  };
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
    commission_bps: ctx.commissionBps ?? 0,
    created_at: at,
    updated_at: at,
  }));

  // Stored first: everything after this (the PSP registration, the workflow) can be retried from what is stored.
  const result = await createCheckout(ctx, checkout, orders);
  let stored = result.checkout;
  // A checkout whose first submission failed half-way (the page not registered) is answered as new when a
  // retry completes it: the storefront never had a successful answer for it.
  let completedNow = result.created;
  if (stored.mode === 'hosted' && !stored.psp_session_id && !stored.canceled_at && !stored.page_closed_at) {
    // Assessed once before a page exists (card mode is assessed by the workflow before any charge): a declined
    // checkout gets no page, its orders are FAILED (risk_declined), and nothing is payable.
    if ((await decideRisk(ctx, stored, deps.risk, 'api')) === 'decline') {
      const closed = await completeCheckoutIfDone(ctx, input.checkoutId);
      return { created: result.created, checkout: closed.checkout, orders: closed.orders };
    }
    completedNow = true;
    const expiresAt = Date.parse(stored.session_expires_at ?? pageExpiresAt);
    if (expiresAt - now.getTime() < MIN_REGISTRATION_LEAD_MS) {
      // Too late to register the same page again (the PSP wants 30 minutes of life): the storefront must
      // start a new checkout; the sweeper fails this one's orders when their deadline passes.
      throw new PaymentError(
        'checkout_conflict',
        `checkout ${input.checkoutId} can no longer get a payment page`,
        {
          checkout_id: input.checkoutId,
        },
      );
    }
    // Registered with the stored expiry under the checkout_id as idempotency key: a retry after a lost answer
    // sends the very same request and gets the same session. The token is stored before the API answers.
    const session = await deps.psp.createHostedCheckout({
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
      expiresAt: new Date(stored.session_expires_at ?? pageExpiresAt),
    });
    stored = await attachHostedSession(ctx, input.checkoutId, {
      sessionId: session.sessionId,
      url: session.url,
    });
    // Canceled, or given up on by the sweeper, while the page was being registered: it must not stay payable.
    if ((stored.canceled_at || stored.page_closed_at) && stored.psp_session_id === undefined) {
      await deps.psp.expireHostedCheckout(session.sessionId, `expire-${input.checkoutId}`);
    }
  }
  if (stored.mode === 'card') {
    try {
      await deps.startWorkflow(input.checkoutId, stored.order_ids);
    } catch (error) {
      // The orders are stored with a deadline: the sweeper executes them if the workflow never runs.
      deps.log?.('could not start the pay-in workflow; the sweeper will execute the orders', {
        checkout_id: input.checkoutId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const storedOrders = result.created ? orders : await getOrders(ctx, stored.order_ids);
  return { created: completedNow, checkout: stored, orders: storedOrders };
}
