/**
 * The PaymentProvider port on Stripe: PaymentIntents for card tokens, Checkout Sessions for the hosted page.
 * Every mutating call carries our id as the idempotency key, so a retry (ours or the SDK's) can only replay
 * the first result; Stripe's statuses are mapped onto our closed enum with an explicit default.
 */
import Stripe from 'stripe';
import type { Money } from '../money';
import { optionalEnv } from '../shared/config';
import { outboundCall } from '../shared/crash-point';
import { fromStripeAmount, toStripeAmount } from './currencies';
import type {
  BuyerAction,
  ChargeRequest,
  HostedCheckout,
  HostedCheckoutRequest,
  PaymentProvider,
  PspPayment,
} from './port';
import { classifyStripeError } from './stripe-errors';

export interface StripeProviderOptions {
  readonly apiKey: string;
  /** Another base URL than Stripe's (the local PSP simulator), e.g. http://127.0.0.1:12111. */
  readonly apiBase?: string;
  /** Per-request timeout: a few seconds, not the SDK's 80 s, so retries happen inside a Lambda's budget. */
  readonly timeoutMs?: number;
  /** The SDK's own retries of network errors and 5xx/409, with exponential backoff and jitter. */
  readonly maxNetworkRetries?: number;
}

/** The SDK's own Node HTTP client, announcing each request first (`outboundCall`: nothing in production). */
function announcedHttpClient() {
  const http = Stripe.createNodeHttpClient();
  const send = http.makeRequest.bind(http);
  http.makeRequest = (...request) => {
    try {
      outboundCall('psp');
    } catch (error) {
      return Promise.reject(error);
    }
    return send(...request);
  };
  return http;
}

export function createStripeClient(options: StripeProviderOptions): Stripe {
  const base = options.apiBase ? new URL(options.apiBase) : undefined;
  return new Stripe(options.apiKey, {
    httpClient: announcedHttpClient(),
    timeout: options.timeoutMs ?? 5_000,
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol.replace(':', '') as 'http' | 'https',
        }
      : {}),
  });
}

/**
 * A function's Stripe client from its environment: the key it was given, the local simulator's base when
 * PSP_API_BASE is set, and the timeout its `timeoutEnv` names (ms) or `defaultTimeoutMs`.
 */
export function stripeClientFromEnv(
  apiKey: string,
  timeoutEnv: string,
  defaultTimeoutMs: number,
  options: { readonly maxNetworkRetries?: number } = {},
): Stripe {
  return createStripeClient({
    apiKey,
    ...(process.env.PSP_API_BASE ? { apiBase: process.env.PSP_API_BASE } : {}),
    timeoutMs: Number(optionalEnv(timeoutEnv, String(defaultTimeoutMs))),
    ...options,
  });
}

const classify = classifyStripeError;

/** How many fresh keys one call tries after saved 5xx answers before it gives up (the caller retries later). */
const MAX_KEY_HOPS = 3;

/**
 * The request id of a 5xx that Stripe SAVED for an idempotency key (raised once the request began executing):
 * every retry with that key gets it again for 24 h, so retrying it cannot help. Stripe marks such an answer
 * `Stripe-Should-Retry: false` (and a replay `Idempotent-Replayed: true`, `Original-Request: <id>`).
 */
export function savedServerErrorOf(error: unknown): string | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if ((error.statusCode ?? 0) < 500) return undefined;
  const headers = (error.headers ?? {}) as Record<string, string | undefined>;
  if (headers['idempotent-replayed'] === 'true') return headers['original-request'] ?? error.requestId;
  if (headers['stripe-should-retry'] === 'false') return error.requestId;
  return undefined;
}

/**
 * Runs a keyed call; when the PSP answers with a saved 5xx, runs it again under a key derived from that
 * answer (`<base>-after-<request id>`), so every retry (ours, the sweeper's, another container's) walks the
 * same chain of keys and never depends on the 24 h window of a poisoned key. Safe for our two keyed calls:
 * a second create makes an unconfirmed intent nobody confirms; a second confirm of an intent that already
 * moved is refused by the PSP (the intent is the unit of payment, not the key).
 */
async function withKeyChain<T>(baseKey: string, call: (key: string) => Promise<T>): Promise<T> {
  let key = baseKey;
  for (let hop = 0; ; hop++) {
    try {
      return await call(key);
    } catch (error) {
      const saved = savedServerErrorOf(error);
      if (!saved || hop >= MAX_KEY_HOPS) throw error;
      key = `${baseKey}-after-${saved}`;
    }
  }
}

export function toPspPayment(intent: Stripe.PaymentIntent): PspPayment {
  const amount: Money = fromStripeAmount(intent.amount, intent.currency);
  const meta = intent.metadata ?? {};
  const base = {
    pspPaymentId: intent.id,
    amount,
    ...(meta.payment_order_id ? { paymentOrderId: meta.payment_order_id } : {}),
    ...(meta.checkout_id ? { checkoutId: meta.checkout_id } : {}),
  };
  switch (intent.status) {
    case 'succeeded':
      return { ...base, status: 'succeeded' };
    case 'canceled':
      return { ...base, status: 'canceled', failureCode: intent.cancellation_reason ?? 'canceled' };
    case 'requires_payment_method': {
      // After a confirmation attempt this is a failure; before one, nothing has happened yet.
      const error = intent.last_payment_error;
      if (error) {
        return {
          ...base,
          status: 'failed',
          failureCode: error.decline_code ?? error.code ?? 'payment_failed',
          failureMessage: error.message ?? 'the payment failed',
        };
      }
      return { ...base, status: 'pending', pendingReason: 'requires_payment_method' };
    }
    case 'requires_action':
    case 'processing':
    case 'requires_confirmation':
    case 'requires_capture':
      return { ...base, status: 'pending', pendingReason: intent.status };
    default:
      return { ...base, status: 'pending', pendingReason: `unknown status ${String(intent.status)}` };
  }
}

export function toHostedCheckout(session: Stripe.Checkout.Session): HostedCheckout {
  const intent = session.payment_intent;
  return {
    sessionId: session.id,
    url: session.url ?? '',
    status: session.status === 'complete' ? 'complete' : session.status === 'expired' ? 'expired' : 'open',
    paid: session.payment_status === 'paid',
    ...(intent ? { pspPaymentId: typeof intent === 'string' ? intent : intent.id } : {}),
    expiresAt: new Date(session.expires_at * 1000).toISOString(),
    ...(session.client_reference_id ? { checkoutId: session.client_reference_id } : {}),
    ...(session.amount_total !== null && session.amount_total !== undefined && session.currency
      ? { amount: fromStripeAmount(session.amount_total, session.currency) }
      : {}),
  };
}

/** The hosted page's PaymentIntent metadata: its checkout, and its order(s) (Stripe: values up to 500 chars). */
export function hostedIntentMetadata(request: HostedCheckoutRequest): Record<string, string> {
  const orders = request.lines.map((line) => line.paymentOrderId);
  return {
    checkout_id: request.checkoutId,
    ...(orders.length === 1 && orders[0] ? { payment_order_id: orders[0] } : {}),
    payment_order_ids: orders.join(',').slice(0, 500),
  };
}

export class StripePaymentProvider implements PaymentProvider {
  constructor(private readonly stripe: Stripe) {}

  /**
   * Creates the order's PaymentIntent WITHOUT confirming it (nothing is charged yet), keyed by the order id, so
   * its id can be stored before the irreversible step. Re-creating it after the PSP forgot the key (24 h) makes
   * another unconfirmed intent, which nobody ever confirms: harmless.
   */
  async createPayment(request: ChargeRequest): Promise<PspPayment> {
    const { amount, currency } = toStripeAmount(request.amount);
    try {
      const intent = await withKeyChain(`payin-create-${request.paymentOrderId}`, (idempotencyKey) =>
        this.stripe.paymentIntents.create(
          {
            amount,
            currency,
            payment_method: request.paymentMethod,
            // No redirect-based methods: a 3-D Secure challenge is answered by the storefront (requires_action).
            automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
            metadata: {
              payment_order_id: request.paymentOrderId,
              checkout_id: request.checkoutId,
              seller_account: request.sellerAccount,
              buyer_id: request.buyerId,
            },
          },
          { idempotencyKey },
        ),
      );
      return toPspPayment(intent);
    } catch (error) {
      throw classify(error);
    }
  }

  /** Confirms (charges) a stored PaymentIntent; its own key, so a retry replays the first confirmation. */
  async confirmPayment(pspPaymentId: string, paymentOrderId: string): Promise<PspPayment> {
    try {
      const intent = await withKeyChain(`payin-confirm-${paymentOrderId}`, (idempotencyKey) =>
        this.stripe.paymentIntents.confirm(pspPaymentId, {}, { idempotencyKey }),
      );
      return toPspPayment(intent);
    } catch (error) {
      // A decline is an answer, not a failure: Stripe returns 402 with the PaymentIntent in the error.
      if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) {
        return toPspPayment(error.payment_intent);
      }
      throw classify(error);
    }
  }

  async buyerAction(pspPaymentId: string): Promise<BuyerAction | undefined> {
    try {
      const intent = await this.stripe.paymentIntents.retrieve(pspPaymentId);
      if (intent.status !== 'requires_action' || !intent.client_secret) return undefined;
      const redirect = intent.next_action?.redirect_to_url?.url;
      return { clientSecret: intent.client_secret, ...(redirect ? { redirectUrl: redirect } : {}) };
    } catch (error) {
      throw classify(error);
    }
  }

  async retrievePayment(pspPaymentId: string): Promise<PspPayment> {
    try {
      return toPspPayment(await this.stripe.paymentIntents.retrieve(pspPaymentId));
    } catch (error) {
      throw classify(error);
    }
  }

  async cancelPayment(pspPaymentId: string, idempotencyKey: string): Promise<PspPayment> {
    try {
      return toPspPayment(await this.stripe.paymentIntents.cancel(pspPaymentId, {}, { idempotencyKey }));
    } catch (error) {
      // Already succeeded or canceled: what it is now is the answer.
      if (
        error instanceof Stripe.errors.StripeInvalidRequestError &&
        error.code === 'payment_intent_unexpected_state'
      ) {
        return this.retrievePayment(pspPaymentId);
      }
      throw classify(error);
    }
  }

  async createHostedCheckout(request: HostedCheckoutRequest): Promise<HostedCheckout> {
    try {
      const session = await this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: request.checkoutId,
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
          expires_at: Math.floor(request.expiresAt.getTime() / 1000),
          ...(request.buyerEmail ? { customer_email: request.buyerEmail } : {}),
          line_items: request.lines.map((line) => ({
            quantity: 1,
            price_data: {
              currency: toStripeAmount(line.amount).currency,
              unit_amount: toStripeAmount(line.amount).amount,
              product_data: { name: `Order ${line.paymentOrderId} (${line.sellerAccount})` },
            },
          })),
          metadata: { checkout_id: request.checkoutId },
          // The order id, as on a direct charge, so a refund or dispute made at the PSP (seen only as events)
          // finds its order. A page paying several sellers' orders names them all: which one a dashboard refund
          // of part of it belongs to is a person's call (lambdas/refunds/service.ts).
          payment_intent_data: { metadata: hostedIntentMetadata(request) },
        },
        { idempotencyKey: `hosted-${request.checkoutId}` },
      );
      return toHostedCheckout(session);
    } catch (error) {
      throw classify(error);
    }
  }

  async expireHostedCheckout(sessionId: string, idempotencyKey: string): Promise<HostedCheckout> {
    try {
      return toHostedCheckout(await this.stripe.checkout.sessions.expire(sessionId, {}, { idempotencyKey }));
    } catch (error) {
      // Only an open session can be expired: one that completed (or expired) meanwhile is answered as it is.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 400) {
        const session = await this.retrieveHostedCheckout(sessionId);
        if (session.status !== 'open') return session;
      }
      throw classify(error);
    }
  }

  async retrieveHostedCheckout(sessionId: string): Promise<HostedCheckout> {
    try {
      return toHostedCheckout(await this.stripe.checkout.sessions.retrieve(sessionId));
    } catch (error) {
      throw classify(error);
    }
  }
}
