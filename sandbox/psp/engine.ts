/**
 * What happens to money in the simulator: PaymentIntents and their charges, 3-D Secure, asynchronous
 * (processing) payments, Checkout Sessions, refunds, transfers (sync and the async "Tipalti-like" mode) and the
 * balance transactions the settlement report is made of. Every state change emits its Stripe event.
 *
 * The HTTP routes, the hosted page and the control API all drive money through this one class, so a payment
 * finished by the 3DS page, by a control call or by the clock goes through the same code.
 */
import { type CardFacts, type Outcome, TEST_PAYMENT_METHODS, type TestMethod } from './cards';
import type { SimClock } from './clock';
import {
  docUrl,
  invalidRequest,
  resourceMissing,
  StripeApiError,
  type StripeErrorBody,
  unexpectedState,
} from './errors';
import { chargeFee, type FeeSchedule } from './fees';
import { amountStep, stepViolation } from './money';
import {
  type BalanceTransaction,
  type Charge,
  type CheckoutSession,
  EMPTY_ADDRESS,
  type LineItemInput,
  type Metadata,
  type PaymentIntent,
  type PaymentMethod,
  type Refund,
  SIMULATED_API_VERSION,
  type StripeEvent,
  snapshot,
  type Transfer,
  type TransferReversal,
} from './objects';
import { newId, randomToken } from './random';
import type { Store } from './store';

export interface RequestContext {
  readonly requestId: string | null;
  readonly idempotencyKey: string | null;
}

export const AUTOMATIC: RequestContext = { requestId: null, idempotencyKey: null };

export interface EngineConfig {
  baseUrl(): string;
  fees: FeeSchedule;
  /** Clock ms after which a `processing` payment settles by itself. */
  processingDelayMs: number;
  /** Clock ms after which an async transfer's result arrives by itself. */
  asyncPayoutDelayMs: number;
  /** Days between a balance transaction and the day its funds settle (available_on). 0 = same instant. */
  settlementDelayDays: number;
}

export interface EventSink {
  countSubscribers(type: string): number;
  dispatch(event: StripeEvent): void;
}

/**
 * Async pay-out destinations (the Tipalti-like mode): `acct_async_fail...` fails, any other `acct_async...`
 * is paid; `setDestinationMode` overrides per account.
 */
export type DestinationMode =
  | { mode: 'sync' }
  | { mode: 'async'; result: 'paid' | 'failed'; delayMs?: number };

export interface CreateIntentInput {
  amount: number;
  currency: string;
  metadata: Metadata;
  description: string | null;
  transferGroup: string | null;
  paymentMethod?: string | undefined;
  receiptEmail: string | null;
  statementDescriptorSuffix: string | null;
  captureMethod: 'automatic' | 'automatic_async';
  paymentMethodTypes: string[];
  automaticPaymentMethods: { enabled: boolean; allow_redirects?: string } | null;
}

export interface ConfirmInput {
  paymentMethod?: string | undefined;
  returnUrl?: string | undefined;
  errorOnRequiresAction?: boolean | undefined;
}

export type PagePayResult =
  | { kind: 'succeeded'; redirect: string }
  | { kind: 'requires_action'; redirect: string }
  | { kind: 'declined'; message: string };

const DAY = 86_400;

export class PspEngine {
  private readonly destinationModes = new Map<string, DestinationMode>();

  constructor(
    readonly store: Store,
    readonly clock: SimClock,
    private readonly events: EventSink,
    private readonly config: EngineConfig,
  ) {}

  private nowS(): number {
    return this.clock.nowSeconds();
  }

  emit(
    type: string,
    object: unknown,
    request: RequestContext,
    previous?: Record<string, unknown>,
  ): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: SIMULATED_API_VERSION,
      created: this.nowS(),
      data: previous
        ? { object: snapshot(object), previous_attributes: previous }
        : { object: snapshot(object) },
      livemode: false,
      pending_webhooks: this.events.countSubscribers(type),
      request: { id: request.requestId, idempotency_key: request.idempotencyKey },
      type,
    };
    this.store.events.insert(event);
    this.events.dispatch(event);
    return event;
  }

  // ---------------------------------------------------------------- payment methods

  private insertMethod(
    method: TestMethod,
    extra: { expMonth?: number; expYear?: number; email?: string | null; name?: string | null } = {},
  ): PaymentMethod {
    const created = this.nowS();
    const card = method.card;
    const pm: PaymentMethod = {
      id: newId('pm'),
      object: 'payment_method',
      billing_details: {
        address: { ...EMPTY_ADDRESS },
        email: extra.email ?? null,
        name: extra.name ?? null,
        phone: null,
      },
      created,
      customer: null,
      livemode: false,
      metadata: {},
      type: method.type,
    };
    if (card) {
      pm.card = {
        brand: card.brand,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: card.country,
        exp_month: extra.expMonth ?? 12,
        exp_year: extra.expYear ?? new Date(this.clock.now()).getUTCFullYear() + 3,
        fingerprint: randomToken(16),
        funding: card.funding,
        last4: card.last4,
        networks: { available: [card.brand], preferred: null },
        three_d_secure_usage: { supported: true },
        wallet: null,
      };
    } else {
      pm.sepa_debit = {
        bank_code: '19043',
        branch_code: '',
        country: 'AT',
        fingerprint: randomToken(16),
        generated_from: null,
        last4: '3204',
      };
    }
    this.store.paymentMethods.insert(pm);
    this.store.methodBehaviour.set(pm.id, method);
    return pm;
  }

  /** A test token (`pm_card_visa`) becomes a fresh PaymentMethod, as on Stripe; an existing `pm_` id is reused. */
  resolvePaymentMethod(idOrToken: string, param = 'payment_method'): PaymentMethod {
    const known = TEST_PAYMENT_METHODS[idOrToken];
    if (known) return this.insertMethod(known);
    const existing = this.store.paymentMethods.find(idOrToken);
    if (existing) return existing;
    throw resourceMissing('PaymentMethod', idOrToken, param);
  }

  /** The hosted page's card: only brand/last4/expiry survive; the caller drops the number. */
  cardPaymentMethod(
    card: CardFacts,
    outcome: Outcome,
    details: { expMonth: number; expYear: number; email: string | null; name: string | null },
  ): PaymentMethod {
    return this.insertMethod({ type: 'card', card, outcome }, details);
  }

  // ---------------------------------------------------------------- payment intents

  createPaymentIntent(input: CreateIntentInput, request: RequestContext, sessionId?: string): PaymentIntent {
    const id = newId('pi');
    const pi: PaymentIntent = {
      id,
      object: 'payment_intent',
      amount: input.amount,
      amount_capturable: 0,
      amount_details: { tip: {} },
      amount_received: 0,
      application: null,
      application_fee_amount: null,
      automatic_payment_methods: input.automaticPaymentMethods,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: input.captureMethod,
      client_secret: `${id}_secret_${randomToken(25)}`,
      confirmation_method: 'automatic',
      created: this.nowS(),
      currency: input.currency,
      customer: null,
      description: input.description,
      invoice: null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: input.metadata,
      next_action: null,
      on_behalf_of: null,
      payment_method: null,
      payment_method_options: {
        card: {
          installments: null,
          mandate_options: null,
          network: null,
          request_three_d_secure: 'automatic',
        },
      },
      payment_method_types: input.paymentMethodTypes,
      processing: null,
      receipt_email: input.receiptEmail,
      review: null,
      setup_future_usage: null,
      shipping: null,
      statement_descriptor: null,
      statement_descriptor_suffix: input.statementDescriptorSuffix,
      status: 'requires_payment_method',
      transfer_data: null,
      transfer_group: input.transferGroup,
    };
    if (input.paymentMethod) {
      pi.payment_method = this.resolvePaymentMethod(input.paymentMethod).id;
      pi.status = 'requires_confirmation';
    }
    this.store.paymentIntents.insert(pi);
    this.store.intentInternals.set(id, sessionId ? { sessionId } : {});
    this.emit('payment_intent.created', pi, request);
    return pi;
  }

  /**
   * Confirms with the attached (or given) payment method. A decline mutates the intent (and emits its events)
   * and then throws Stripe's 402 card error carrying the intent, which the idempotency layer stores.
   */
  confirmPaymentIntent(pi: PaymentIntent, input: ConfirmInput, request: RequestContext): PaymentIntent {
    if (pi.status === 'succeeded') {
      throw unexpectedState(
        'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
      );
    }
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      throw unexpectedState(
        `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`,
      );
    }
    if (input.paymentMethod) pi.payment_method = this.resolvePaymentMethod(input.paymentMethod).id;
    if (!pi.payment_method) {
      throw invalidRequest(
        'You cannot confirm this PaymentIntent because it\u2019s missing a payment method. To confirm the PaymentIntent with a PaymentMethod, you must provide `payment_method`.',
        { code: 'payment_intent_unexpected_state' },
      );
    }
    const internals = this.store.intentInternals.get(pi.id) ?? {};
    if (input.returnUrl) internals.returnUrl = input.returnUrl;
    this.store.intentInternals.set(pi.id, internals);
    const pm = this.store.paymentMethods.get(pi.payment_method, 'payment_method');
    const behaviour = this.store.methodBehaviour.get(pm.id);
    const outcome: Outcome = behaviour?.outcome ?? { kind: 'succeed' };
    pi.last_payment_error = null;
    pi.next_action = null;

    switch (outcome.kind) {
      case 'succeed':
        this.succeed(pi, pm, request);
        return pi;
      case 'decline':
        this.decline(pi, pm, outcome, request);
        throw this.cardError(pi);
      case 'authenticate': {
        if (input.errorOnRequiresAction) {
          this.fail(pi, request, {
            type: 'card_error',
            code: 'authentication_required',
            decline_code: 'authentication_not_handled',
            doc_url: docUrl('authentication_required'),
            message:
              'This payment required an authentication action to complete, but `error_on_requires_action` was set. When you\u2019re ready, you can upgrade your integration to handle actions at https://stripe.com/docs/payments/payment-intents/upgrade-to-handle-actions.',
            payment_method: snapshot(pm),
          });
          throw this.cardError(pi);
        }
        pi.status = 'requires_action';
        pi.next_action = {
          type: 'redirect_to_url',
          redirect_to_url: {
            return_url: internals.returnUrl ?? null,
            url: `${this.config.baseUrl()}/3ds/${pi.id}`,
          },
        };
        this.emit('payment_intent.requires_action', pi, request);
        return pi;
      }
      case 'processing': {
        const charge = this.insertCharge(pi, pm, 'pending');
        pi.status = 'processing';
        pi.latest_charge = charge.id;
        internals.settleDueAt = this.clock.now() + this.config.processingDelayMs;
        this.emit('charge.pending', charge, request);
        this.emit('payment_intent.processing', pi, request);
        return pi;
      }
    }
  }

  /** Finishes 3-D Secure: the 3DS page's buttons and the control API both land here. */
  completeAuthentication(
    piId: string,
    result: 'succeed' | 'fail',
    request: RequestContext = AUTOMATIC,
  ): PaymentIntent {
    const pi = this.store.paymentIntents.get(piId, 'intent');
    if (pi.status !== 'requires_action') {
      throw unexpectedState(`PaymentIntent ${pi.id} is not awaiting authentication (status ${pi.status}).`);
    }
    const pm = this.store.paymentMethods.get(pi.payment_method ?? '', 'payment_method');
    pi.next_action = null;
    if (result === 'succeed') {
      this.succeed(pi, pm, request, { authenticated: true });
    } else {
      this.fail(pi, request, {
        type: 'invalid_request_error',
        code: 'payment_intent_authentication_failure',
        doc_url: docUrl('payment_intent_authentication_failure'),
        message:
          'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
        payment_method: snapshot(pm),
      });
    }
    return pi;
  }

  /** Settles a `processing` payment: by the clock (after `processingDelayMs`) or by a control call. */
  settleProcessing(piId: string, result?: 'succeed' | 'fail'): PaymentIntent {
    const pi = this.store.paymentIntents.get(piId, 'intent');
    if (pi.status !== 'processing') {
      throw unexpectedState(`PaymentIntent ${pi.id} is not processing (status ${pi.status}).`);
    }
    const pm = this.store.paymentMethods.get(pi.payment_method ?? '', 'payment_method');
    const behaviour = this.store.methodBehaviour.get(pm.id)?.outcome;
    const outcome = result ?? (behaviour?.kind === 'processing' ? behaviour.settleAs : 'succeed');
    const charge = this.store.charges.get(pi.latest_charge ?? '', 'charge');
    const internals = this.store.intentInternals.get(pi.id);
    if (internals) delete internals.settleDueAt;
    if (outcome === 'succeed') {
      this.markChargeSucceeded(charge, pi);
      this.finishSucceeded(pi, charge, AUTOMATIC);
    } else {
      charge.status = 'failed';
      charge.paid = false;
      charge.captured = false;
      charge.amount_captured = 0;
      charge.failure_code = 'payment_method_provider_decline';
      charge.failure_message = 'The payment was declined by the bank.';
      pi.status = 'requires_payment_method';
      pi.last_payment_error = {
        type: 'card_error',
        code: 'payment_method_provider_decline',
        doc_url: docUrl('payment_method_provider_decline'),
        message: 'The payment was declined by the bank.',
        charge: charge.id,
        payment_method: snapshot(pm),
      };
      this.emit('charge.failed', charge, AUTOMATIC);
      this.emit('payment_intent.payment_failed', pi, AUTOMATIC);
    }
    return pi;
  }

  cancelPaymentIntent(pi: PaymentIntent, reason: string | null, request: RequestContext): PaymentIntent {
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      throw unexpectedState(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      );
    }
    pi.status = 'canceled';
    pi.canceled_at = this.nowS();
    pi.cancellation_reason = reason;
    pi.next_action = null;
    this.emit('payment_intent.canceled', pi, request);
    return pi;
  }

  private cardError(pi: PaymentIntent): StripeApiError {
    const error = pi.last_payment_error;
    if (!error) throw new Error(`no payment error on ${pi.id}`);
    return new StripeApiError(402, {
      ...error,
      payment_intent: snapshot(pi),
      request_log_url: `${this.config.baseUrl()}/_sim/events?payment_intent=${pi.id}`,
    });
  }

  private succeed(
    pi: PaymentIntent,
    pm: PaymentMethod,
    request: RequestContext,
    options: { authenticated?: boolean } = {},
  ): void {
    const charge = this.insertCharge(pi, pm, 'succeeded', options);
    this.finishSucceeded(pi, charge, request);
  }

  private finishSucceeded(pi: PaymentIntent, charge: Charge, request: RequestContext): void {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.latest_charge = charge.id;
    pi.last_payment_error = null;
    this.emit('charge.succeeded', charge, request);
    this.emit('payment_intent.succeeded', pi, request);
    const sessionId = this.store.intentInternals.get(pi.id)?.sessionId;
    if (sessionId) this.completeSession(sessionId, pi, charge, request);
  }

  private decline(
    pi: PaymentIntent,
    pm: PaymentMethod,
    outcome: Extract<Outcome, { kind: 'decline' }>,
    request: RequestContext,
  ): void {
    const charge = this.insertCharge(pi, pm, 'failed', { failure: outcome });
    pi.latest_charge = charge.id;
    this.emit('charge.failed', charge, request);
    this.fail(pi, request, {
      type: 'card_error',
      code: outcome.code,
      ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}),
      doc_url: docUrl(outcome.code),
      message: outcome.message,
      charge: charge.id,
      payment_method: snapshot(pm),
    });
  }

  private fail(pi: PaymentIntent, request: RequestContext, error: StripeErrorBody): void {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = error;
    this.emit('payment_intent.payment_failed', pi, request);
  }

  private insertCharge(
    pi: PaymentIntent,
    pm: PaymentMethod,
    status: Charge['status'],
    options: { failure?: Extract<Outcome, { kind: 'decline' }>; authenticated?: boolean } = {},
  ): Charge {
    const id = newId('ch');
    const declined = options.failure;
    const details: Charge['payment_method_details'] = pm.card
      ? {
          type: 'card',
          card: {
            brand: pm.card.brand,
            checks: pm.card.checks,
            country: pm.card.country,
            exp_month: pm.card.exp_month,
            exp_year: pm.card.exp_year,
            fingerprint: pm.card.fingerprint,
            funding: pm.card.funding,
            installments: null,
            last4: pm.card.last4,
            mandate: null,
            network: pm.card.brand,
            three_d_secure: options.authenticated
              ? { authentication_flow: 'challenge', result: 'authenticated', version: '2.2.0' }
              : null,
            wallet: null,
          },
        }
      : { type: 'sepa_debit', sepa_debit: { ...pm.sepa_debit, mandate: `mandate_${randomToken(24)}` } };
    const charge: Charge = {
      id,
      object: 'charge',
      amount: pi.amount,
      amount_captured: 0,
      amount_refunded: 0,
      application: null,
      application_fee: null,
      application_fee_amount: null,
      balance_transaction: null,
      billing_details: snapshot(pm.billing_details),
      calculated_statement_descriptor: 'PSP SIMULATOR',
      captured: false,
      created: this.nowS(),
      currency: pi.currency,
      customer: null,
      description: pi.description,
      disputed: false,
      failure_balance_transaction: null,
      failure_code: declined ? declined.code : null,
      failure_message: declined ? declined.message : null,
      fraud_details: {},
      invoice: null,
      livemode: false,
      metadata: {},
      on_behalf_of: null,
      outcome: declined
        ? {
            network_status: 'declined_by_network',
            reason: declined.declineCode ?? declined.code,
            risk_level: 'normal',
            risk_score: 20,
            seller_message: 'The bank did not return any further details with this decline.',
            type: 'issuer_declined',
          }
        : {
            network_status: 'approved_by_network',
            reason: null,
            risk_level: 'normal',
            risk_score: 20,
            seller_message: 'Payment complete.',
            type: 'authorized',
          },
      paid: false,
      payment_intent: pi.id,
      payment_method: pm.id,
      payment_method_details: details,
      radar_options: {},
      receipt_email: pi.receipt_email,
      receipt_number: null,
      receipt_url: `${this.config.baseUrl()}/receipts/${id}`,
      refunded: false,
      refunds: {
        object: 'list',
        data: [],
        has_more: false,
        url: `/v1/charges/${id}/refunds`,
      },
      review: null,
      shipping: null,
      source_transfer: null,
      statement_descriptor: null,
      statement_descriptor_suffix: pi.statement_descriptor_suffix,
      status,
      transfer_data: null,
      transfer_group: pi.transfer_group,
    };
    this.store.charges.insert(charge);
    if (status === 'succeeded') this.markChargeSucceeded(charge, pi);
    return charge;
  }

  private markChargeSucceeded(charge: Charge, pi: PaymentIntent): void {
    charge.status = 'succeeded';
    charge.paid = true;
    charge.captured = true;
    charge.amount_captured = charge.amount;
    const fee = chargeFee(charge.amount, this.config.fees, amountStep(charge.currency));
    const type = charge.payment_method_details?.type === 'card' ? 'charge' : 'payment';
    const txn = this.insertBalanceTransaction(
      charge.amount,
      fee,
      charge.currency,
      'charge',
      type,
      charge.id,
      pi.description,
    );
    charge.balance_transaction = txn.id;
  }

  // ---------------------------------------------------------------- balance

  private availableOn(createdSeconds: number): number {
    const delay = this.config.settlementDelayDays;
    if (delay === 0) return createdSeconds;
    return createdSeconds - (createdSeconds % DAY) + delay * DAY;
  }

  private insertBalanceTransaction(
    amount: number,
    fee: number,
    currency: string,
    category: BalanceTransaction['reporting_category'],
    type: BalanceTransaction['type'],
    source: string,
    description: string | null,
  ): BalanceTransaction {
    const created = this.nowS();
    const availableOn = this.availableOn(created);
    const txn: BalanceTransaction = {
      id: newId('txn'),
      object: 'balance_transaction',
      amount,
      available_on: availableOn,
      created,
      currency,
      description,
      exchange_rate: null,
      fee,
      fee_details: fee
        ? [
            {
              amount: fee,
              application: null,
              currency,
              description: 'Stripe processing fees',
              type: 'stripe_fee',
            },
          ]
        : [],
      net: amount - fee,
      reporting_category: category,
      source,
      status: availableOn <= created ? 'available' : 'pending',
      type,
    };
    return this.store.balanceTransactions.insert(txn);
  }

  // ---------------------------------------------------------------- checkout sessions

  createSession(input: {
    lineItems: LineItemInput[];
    currency: string;
    successUrl: string | null;
    cancelUrl: string | null;
    clientReferenceId: string | null;
    customerEmail: string | null;
    metadata: Metadata;
    expiresAt: number;
    paymentIntentData: { metadata: Metadata; description: string | null; transferGroup: string | null };
  }): CheckoutSession {
    const id = `cs_test_${randomToken(58)}`;
    const total = input.lineItems.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
    const session: CheckoutSession = {
      id,
      object: 'checkout.session',
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: total,
      amount_total: total,
      automatic_tax: { enabled: false, status: null },
      billing_address_collection: null,
      cancel_url: input.cancelUrl,
      client_reference_id: input.clientReferenceId,
      consent: null,
      consent_collection: null,
      created: this.nowS(),
      currency: input.currency,
      currency_conversion: null,
      custom_fields: [],
      custom_text: { shipping_address: null, submit: null },
      customer: null,
      customer_creation: 'if_required',
      customer_details: null,
      customer_email: input.customerEmail,
      expires_at: input.expiresAt,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale: null,
      metadata: input.metadata,
      mode: 'payment',
      payment_intent: null,
      payment_link: null,
      payment_method_collection: 'if_required',
      payment_method_options: {},
      payment_method_types: ['card'],
      payment_status: 'unpaid',
      phone_number_collection: { enabled: false },
      recovered_from: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_details: null,
      shipping_options: [],
      status: 'open',
      submit_type: null,
      subscription: null,
      success_url: input.successUrl,
      tax_id_collection: { enabled: false },
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      url: `${this.config.baseUrl()}/checkout/${id}`,
    };
    this.store.sessions.insert(session);
    this.store.sessionInternals.set(id, {
      lineItems: input.lineItems,
      paymentIntentData: input.paymentIntentData,
    });
    return session;
  }

  expireSession(session: CheckoutSession, request: RequestContext): CheckoutSession {
    if (session.status !== 'open') {
      throw unexpectedState(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
        'checkout_session_unexpected_state',
      );
    }
    session.status = 'expired';
    session.url = null;
    const pi = session.payment_intent ? this.store.paymentIntents.find(session.payment_intent) : undefined;
    if (pi && ['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      this.cancelPaymentIntent(pi, 'abandoned', request);
    }
    this.emit('checkout.session.expired', session, request);
    return session;
  }

  private completeSession(
    sessionId: string,
    pi: PaymentIntent,
    charge: Charge,
    request: RequestContext,
  ): void {
    const session = this.store.sessions.get(sessionId);
    if (session.status !== 'open') return;
    session.status = 'complete';
    session.payment_status = 'paid';
    session.payment_intent = pi.id;
    session.url = null;
    session.customer_details = {
      address: { ...EMPTY_ADDRESS },
      email: charge.billing_details.email ?? session.customer_email,
      name: charge.billing_details.name,
      phone: null,
      tax_exempt: 'none',
      tax_ids: [],
    };
    this.emit('checkout.session.completed', session, request);
  }

  /** Success URL with Stripe's `{CHECKOUT_SESSION_ID}` template filled in. */
  successRedirect(session: CheckoutSession): string {
    const url = session.success_url ?? `${this.config.baseUrl()}/checkout/${session.id}/done`;
    return url.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
  }

  /** A payment attempt from the hosted page (a person, or a browser test). */
  payCheckoutSession(
    session: CheckoutSession,
    card: {
      facts: CardFacts;
      outcome: Outcome;
      expMonth: number;
      expYear: number;
      email: string | null;
      name: string | null;
    },
  ): PagePayResult {
    if (session.status !== 'open')
      return { kind: 'declined', message: 'This Checkout Session is no longer active.' };
    const internals = this.store.sessionInternals.get(session.id);
    let pi = session.payment_intent ? this.store.paymentIntents.find(session.payment_intent) : undefined;
    if (!pi) {
      pi = this.createPaymentIntent(
        {
          amount: session.amount_total,
          currency: session.currency,
          metadata: { ...(internals?.paymentIntentData.metadata ?? {}) },
          description: internals?.paymentIntentData.description ?? null,
          transferGroup: internals?.paymentIntentData.transferGroup ?? null,
          receiptEmail: null,
          statementDescriptorSuffix: null,
          captureMethod: 'automatic',
          paymentMethodTypes: ['card'],
          automaticPaymentMethods: null,
        },
        AUTOMATIC,
        session.id,
      );
      session.payment_intent = pi.id;
    }
    const pm = this.cardPaymentMethod(card.facts, card.outcome, {
      expMonth: card.expMonth,
      expYear: card.expYear,
      email: card.email,
      name: card.name,
    });
    try {
      this.confirmPaymentIntent(
        pi,
        { paymentMethod: pm.id, returnUrl: `${this.config.baseUrl()}/checkout/${session.id}` },
        AUTOMATIC,
      );
    } catch (error) {
      if (error instanceof StripeApiError)
        return { kind: 'declined', message: error.body.message ?? 'Your card was declined.' };
      throw error;
    }
    if (pi.status === 'requires_action')
      return { kind: 'requires_action', redirect: `${this.config.baseUrl()}/3ds/${pi.id}` };
    return { kind: 'succeeded', redirect: this.successRedirect(session) };
  }

  // ---------------------------------------------------------------- refunds

  createRefund(
    input: {
      charge?: string | undefined;
      paymentIntent?: string | undefined;
      amount?: number | undefined;
      reason: string | null;
      metadata: Metadata;
    },
    request: RequestContext,
  ): Refund {
    let charge: Charge;
    if (input.charge) {
      charge = this.store.charges.get(input.charge, 'charge');
    } else if (input.paymentIntent) {
      const pi = this.store.paymentIntents.get(input.paymentIntent, 'payment_intent');
      if (pi.status !== 'succeeded' || !pi.latest_charge) {
        throw unexpectedState(
          `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
          'charge_not_refundable',
        );
      }
      charge = this.store.charges.get(pi.latest_charge, 'payment_intent');
    } else {
      throw invalidRequest(
        'One of the following params should be provided for this request: payment_intent or charge.',
        {
          code: 'parameter_missing',
        },
      );
    }
    if (charge.status !== 'succeeded') {
      throw unexpectedState(
        `Charge ${charge.id} has not succeeded and cannot be refunded.`,
        'charge_not_refundable',
      );
    }
    const remaining = charge.amount - charge.amount_refunded;
    if (remaining === 0) {
      throw unexpectedState(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
    }
    const amount = input.amount ?? remaining;
    if (amount <= 0) throw invalidRequest('Refund amount must be a positive integer.', { param: 'amount' });
    const step = stepViolation(amount, charge.currency);
    if (step) throw invalidRequest(step.message, { param: 'amount', code: step.code });
    if (amount > remaining) {
      throw invalidRequest(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        { param: 'amount', code: 'amount_too_large', replayable: true },
      );
    }
    const id = newId('re');
    const txn = this.insertBalanceTransaction(-amount, 0, charge.currency, 'refund', 'refund', id, null);
    const refund: Refund = {
      id,
      object: 'refund',
      amount,
      balance_transaction: txn.id,
      charge: charge.id,
      created: this.nowS(),
      currency: charge.currency,
      metadata: input.metadata,
      payment_intent: charge.payment_intent,
      reason: input.reason,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    this.store.refunds.insert(refund);
    const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    charge.refunds.data.unshift(refund);
    this.emit('refund.created', refund, request);
    this.emit('charge.refunded', charge, request, previous);
    return refund;
  }

  // ---------------------------------------------------------------- transfers (pay-outs)

  setDestinationMode(account: string, mode: DestinationMode): void {
    this.destinationModes.set(account, mode);
  }

  private modeOf(destination: string): DestinationMode {
    const configured = this.destinationModes.get(destination);
    if (configured) return configured;
    if (destination.startsWith('acct_async_fail')) return { mode: 'async', result: 'failed' };
    if (destination.startsWith('acct_async')) return { mode: 'async', result: 'paid' };
    return { mode: 'sync' };
  }

  createTransfer(
    input: {
      amount: number;
      currency: string;
      destination: string;
      transferGroup: string | null;
      description: string | null;
      metadata: Metadata;
      sourceTransaction: string | null;
    },
    request: RequestContext,
  ): Transfer {
    if (!/^acct_[A-Za-z0-9_]+$/.test(input.destination)) {
      throw invalidRequest(`No such destination: '${input.destination}'`, {
        param: 'destination',
        code: 'resource_missing',
      });
    }
    const id = newId('tr');
    const txn = this.insertBalanceTransaction(
      -input.amount,
      0,
      input.currency,
      'transfer',
      'transfer',
      id,
      input.description,
    );
    const transfer: Transfer = {
      id,
      object: 'transfer',
      amount: input.amount,
      amount_reversed: 0,
      balance_transaction: txn.id,
      created: this.nowS(),
      currency: input.currency,
      description: input.description,
      destination: input.destination,
      destination_payment: newId('py'),
      livemode: false,
      metadata: input.metadata,
      reversals: {
        object: 'list',
        data: [],
        has_more: false,
        url: `/v1/transfers/${id}/reversals`,
      },
      reversed: false,
      source_transaction: input.sourceTransaction,
      source_type: 'card',
      transfer_group: input.transferGroup,
    };
    this.store.transfers.insert(transfer);
    const mode = this.modeOf(input.destination);
    this.store.transferInternals.set(
      id,
      mode.mode === 'async'
        ? {
            mode: 'async',
            result: mode.result,
            dueAt: this.clock.now() + (mode.delayMs ?? this.config.asyncPayoutDelayMs),
            settled: false,
          }
        : { mode: 'sync', settled: true },
    );
    this.emit('transfer.created', transfer, request);
    return transfer;
  }

  reverseTransfer(
    transfer: Transfer,
    input: { amount?: number | undefined; metadata: Metadata; description?: string | null },
    request: RequestContext,
  ): TransferReversal {
    const remaining = transfer.amount - transfer.amount_reversed;
    const amount = input.amount ?? remaining;
    if (remaining === 0)
      throw unexpectedState(
        `Transfer ${transfer.id} has already been fully reversed.`,
        'transfer_already_reversed',
      );
    if (amount <= 0 || amount > remaining) {
      throw invalidRequest(
        `Reversal amount (${amount}) is greater than the remaining amount on the transfer (${remaining}).`,
        {
          param: 'amount',
          code: 'amount_too_large',
          replayable: true,
        },
      );
    }
    const id = newId('trr');
    const txn = this.insertBalanceTransaction(
      amount,
      0,
      transfer.currency,
      'transfer_reversal',
      'transfer_refund',
      id,
      input.description ?? null,
    );
    const reversal: TransferReversal = {
      id,
      object: 'transfer_reversal',
      amount,
      balance_transaction: txn.id,
      created: this.nowS(),
      currency: transfer.currency,
      destination_payment_refund: null,
      metadata: input.metadata,
      source_refund: null,
      transfer: transfer.id,
    };
    this.store.reversals.insert(reversal);
    const previous = { amount_reversed: transfer.amount_reversed, reversed: transfer.reversed };
    transfer.amount_reversed += amount;
    transfer.reversed = transfer.amount_reversed === transfer.amount;
    transfer.reversals.data.unshift(reversal);
    this.emit('transfer.reversed', transfer, request, previous);
    return reversal;
  }

  /**
   * The async provider's answer for a transfer: `transfer.paid`, or `transfer.failed` with the money returned
   * to the platform balance (the transfer shows fully reversed; no separate `transfer.reversed` is sent).
   */
  settleTransfer(transferId: string, result?: 'paid' | 'failed'): Transfer {
    const transfer = this.store.transfers.get(transferId, 'transfer');
    const internals = this.store.transferInternals.get(transfer.id);
    if (internals?.mode !== 'async')
      throw unexpectedState(`Transfer ${transfer.id} is not an async pay-out.`, 'transfer_not_async');
    if (internals.settled)
      throw unexpectedState(`Transfer ${transfer.id} already has its result.`, 'transfer_already_settled');
    internals.settled = true;
    const outcome = result ?? internals.result ?? 'paid';
    internals.result = outcome;
    if (outcome === 'paid') {
      this.emit('transfer.paid', transfer, AUTOMATIC);
    } else {
      const remaining = transfer.amount - transfer.amount_reversed;
      if (remaining > 0) {
        const id = newId('trr');
        const txn = this.insertBalanceTransaction(
          remaining,
          0,
          transfer.currency,
          'transfer_reversal',
          'transfer_cancel',
          id,
          'Payout failed at destination',
        );
        const reversal: TransferReversal = {
          id,
          object: 'transfer_reversal',
          amount: remaining,
          balance_transaction: txn.id,
          created: this.nowS(),
          currency: transfer.currency,
          destination_payment_refund: null,
          metadata: {},
          source_refund: null,
          transfer: transfer.id,
        };
        this.store.reversals.insert(reversal);
        transfer.amount_reversed = transfer.amount;
        transfer.reversed = true;
        transfer.reversals.data.unshift(reversal);
      }
      this.emit('transfer.failed', transfer, AUTOMATIC);
    }
    return transfer;
  }

  // ---------------------------------------------------------------- time

  /** Runs whatever the clock has made due: session expiry, processing payments, async pay-outs, availability. */
  tick(): void {
    const now = this.clock.now();
    const nowS = Math.floor(now / 1000);
    for (const session of this.store.sessions.all()) {
      if (session.status === 'open' && session.expires_at <= nowS) this.expireSession(session, AUTOMATIC);
    }
    for (const [id, internals] of this.store.intentInternals) {
      if (internals.settleDueAt !== undefined && internals.settleDueAt <= now) this.settleProcessing(id);
    }
    for (const [id, internals] of this.store.transferInternals) {
      if (
        internals.mode === 'async' &&
        !internals.settled &&
        internals.dueAt !== undefined &&
        internals.dueAt <= now
      ) {
        this.settleTransfer(id);
      }
    }
    for (const txn of this.store.balanceTransactions.all()) {
      if (txn.status === 'pending' && txn.available_on <= nowS) txn.status = 'available';
    }
  }
}
