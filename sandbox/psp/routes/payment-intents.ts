/** `/v1/payment_intents`: create (optionally confirming), confirm, retrieve, list, cancel. */
import type { CreateIntentInput } from '../engine';
import { invalidRequest } from '../errors';
import type { Params } from '../form';
import {
  formatMajor,
  isSupportedCurrency,
  maximumChargeAmount,
  minimumChargeAmount,
  stepViolation,
} from '../money';
import { LIST_PARAMS, listOptions, type Route, route } from '../router';

/** Accepted; the simulator has no behaviour for them beyond echoing what the object has a field for. */
const IGNORED_CREATE = [
  'customer',
  'setup_future_usage',
  'payment_method_options',
  'off_session',
  'mandate_data',
  'shipping',
  'on_behalf_of',
  'application_fee_amount',
  'statement_descriptor',
  'use_stripe_sdk',
  'radar_options',
  'confirmation_token',
];

export function readAmount(params: Params, currency: string, key = 'amount'): number {
  return checkChargeAmount(params.requiredInteger(key), currency, key);
}

export function checkChargeAmount(amount: number, currency: string, key: string): number {
  const minimum = minimumChargeAmount(currency);
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${formatMajor(minimum, currency)} ${currency}`, {
      param: key,
      code: 'amount_too_small',
    });
  }
  const maximum = maximumChargeAmount(currency);
  if (amount > maximum) {
    throw invalidRequest(`Amount must be no more than ${formatMajor(maximum, currency)} ${currency}`, {
      param: key,
      code: 'amount_too_large',
    });
  }
  checkAmountStep(amount, currency, key);
  return amount;
}

/** Stripe's per-currency step: three-decimal amounts end in 0, ISK and UGX are multiples of 100. */
export function checkAmountStep(amount: number, currency: string, key: string): void {
  const violation = stepViolation(amount, currency);
  if (violation) throw invalidRequest(violation.message, { param: key, code: violation.code });
}

export function readCurrency(params: Params, key = 'currency'): string {
  const currency = params.requiredString(key).toLowerCase();
  if (!isSupportedCurrency(currency)) {
    throw invalidRequest(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: usd, eur, gbp, jpy, ...`,
      {
        param: key,
      },
    );
  }
  return currency;
}

function intentInput(params: Params): CreateIntentInput {
  const currency = readCurrency(params);
  const amount = readAmount(params, currency);
  const captureMethod = params.string('capture_method') ?? 'automatic';
  if (captureMethod !== 'automatic' && captureMethod !== 'automatic_async') {
    throw invalidRequest('The simulator supports capture_method automatic and automatic_async only.', {
      param: 'capture_method',
    });
  }
  const automatic = params.object('automatic_payment_methods');
  const types = params.stringList('payment_method_types');
  return {
    amount,
    currency,
    metadata: params.metadata(),
    description: params.nullableString('description') ?? null,
    transferGroup: params.nullableString('transfer_group') ?? null,
    paymentMethod: params.string('payment_method'),
    receiptEmail: params.nullableString('receipt_email') ?? null,
    statementDescriptorSuffix: params.nullableString('statement_descriptor_suffix') ?? null,
    captureMethod,
    paymentMethodTypes: types ?? ['card'],
    automaticPaymentMethods: automatic
      ? {
          enabled: automatic.boolean('enabled') ?? false,
          ...(automatic.string('allow_redirects')
            ? { allow_redirects: automatic.string('allow_redirects') }
            : {}),
        }
      : types
        ? null
        : { allow_redirects: 'always', enabled: true },
  };
}

export const paymentIntentRoutes: Route[] = [
  route('POST', '/v1/payment_intents', ({ params, engine, request }) => {
    params.allowOnly([
      'amount',
      'currency',
      'payment_method',
      'payment_method_types',
      'automatic_payment_methods',
      'confirm',
      'return_url',
      'error_on_requires_action',
      'metadata',
      'description',
      'capture_method',
      'confirmation_method',
      'transfer_group',
      'receipt_email',
      'statement_descriptor_suffix',
      'expand',
      ...IGNORED_CREATE,
    ]);
    const input = intentInput(params);
    const confirm = params.boolean('confirm') ?? false;
    const pi = engine.createPaymentIntent(input, request);
    if (confirm) {
      engine.confirmPaymentIntent(
        pi,
        {
          returnUrl: params.string('return_url'),
          errorOnRequiresAction: params.boolean('error_on_requires_action'),
        },
        request,
      );
    }
    return pi;
  }),
  route('GET', '/v1/payment_intents', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'customer']);
    return engine.store.paymentIntents.list('/v1/payment_intents', listOptions(params));
  }),
  route('GET', '/v1/payment_intents/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand', 'client_secret']);
    return engine.store.paymentIntents.get(path.id ?? '', 'intent');
  }),
  route('POST', '/v1/payment_intents/:id/confirm', ({ params, engine, path, request }) => {
    params.allowOnly([
      'payment_method',
      'return_url',
      'error_on_requires_action',
      'expand',
      'off_session',
      'mandate_data',
      'payment_method_options',
      'use_stripe_sdk',
      'receipt_email',
      'setup_future_usage',
      'shipping',
      'radar_options',
      'capture_method',
      'confirmation_token',
    ]);
    const pi = engine.store.paymentIntents.get(path.id ?? '', 'intent');
    return engine.confirmPaymentIntent(
      pi,
      {
        paymentMethod: params.string('payment_method'),
        returnUrl: params.string('return_url'),
        errorOnRequiresAction: params.boolean('error_on_requires_action'),
      },
      request,
    );
  }),
  route('POST', '/v1/payment_intents/:id/cancel', ({ params, engine, path, request }) => {
    params.allowOnly(['cancellation_reason', 'expand']);
    const pi = engine.store.paymentIntents.get(path.id ?? '', 'intent');
    return engine.cancelPaymentIntent(pi, params.string('cancellation_reason') ?? null, request);
  }),
];
