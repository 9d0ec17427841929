/**
 * `/v1/checkout/sessions`: create (mode=payment; amount from `line_items[i][price_data]`, or the simulator's
 * shorthand `amount` + `currency`), retrieve, list, expire. The session's `url` is the simulator's hosted page.
 */
import { invalidRequest, missingParam } from '../errors';
import { Params } from '../form';
import type { LineItemInput } from '../objects';
import { LIST_PARAMS, listOptions, type Route, route } from '../router';
import { checkAmountStep, checkChargeAmount, readAmount, readCurrency } from './payment-intents';

const MIN_EXPIRY_S = 30 * 60;
const MAX_EXPIRY_S = 24 * 60 * 60;

function lineItems(params: Params): { items: LineItemInput[]; currency: string } {
  const raw = params.list('line_items');
  if (!raw) {
    if (!params.has('amount')) throw missingParam('line_items');
    const currency = readCurrency(params);
    const amount = readAmount(params, currency);
    return { items: [{ name: 'Payment', unitAmount: amount, quantity: 1, currency }], currency };
  }
  const items: LineItemInput[] = [];
  raw.forEach((value, index) => {
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidRequest('Invalid line item', { param: `line_items[${index}]` });
    }
    const item = new Params(value, `line_items[${index}]`);
    item.allowOnly([
      'price_data',
      'quantity',
      'price',
      'adjustable_quantity',
      'tax_rates',
      'dynamic_tax_rates',
    ]);
    if (item.has('price')) {
      throw invalidRequest(`No such price: '${item.string('price')}'`, {
        param: `line_items[${index}][price]`,
        code: 'resource_missing',
      });
    }
    const priceData = item.object('price_data');
    if (!priceData) throw missingParam(`line_items[${index}][price_data]`);
    priceData.allowOnly([
      'currency',
      'unit_amount',
      'unit_amount_decimal',
      'product_data',
      'product',
      'tax_behavior',
    ]);
    const currency = readCurrency(priceData);
    const unitAmount = priceData.requiredInteger('unit_amount');
    if (unitAmount < 0)
      throw invalidRequest('unit_amount must be >= 0', {
        param: `line_items[${index}][price_data][unit_amount]`,
      });
    const quantity = item.requiredInteger('quantity');
    if (quantity < 1)
      throw invalidRequest('quantity must be >= 1', { param: `line_items[${index}][quantity]` });
    const product = priceData.object('product_data');
    const name = product?.string('name') ?? priceData.string('product') ?? `Item ${index + 1}`;
    checkAmountStep(unitAmount, currency, `line_items[${index}][price_data][unit_amount]`);
    items.push({ name, unitAmount, quantity, currency });
  });
  const currency = items[0]?.currency;
  if (!currency) throw missingParam('line_items');
  if (items.some((i) => i.currency !== currency)) {
    throw invalidRequest('All line items must use the same currency.', { param: 'line_items' });
  }
  return { items, currency };
}

export const checkoutSessionRoutes: Route[] = [
  route('POST', '/v1/checkout/sessions', ({ params, engine }) => {
    params.allowOnly([
      'mode',
      'line_items',
      'amount',
      'currency',
      'success_url',
      'cancel_url',
      'client_reference_id',
      'customer_email',
      'metadata',
      'expires_at',
      'payment_intent_data',
      'payment_method_types',
      'expand',
      'locale',
      'submit_type',
      'billing_address_collection',
    ]);
    const mode = params.string('mode') ?? 'payment';
    if (mode !== 'payment') {
      throw invalidRequest('The simulator supports Checkout Sessions in mode=payment only.', {
        param: 'mode',
      });
    }
    const { items, currency } = lineItems(params);
    const total = items.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
    // Same bounds as a PaymentIntent (the session creates one).
    checkChargeAmount(total, currency, 'line_items');
    const now = engine.clock.nowSeconds();
    const expiresAt = params.integer('expires_at') ?? now + MAX_EXPIRY_S;
    if (expiresAt < now + MIN_EXPIRY_S || expiresAt > now + MAX_EXPIRY_S) {
      throw invalidRequest(
        'The `expires_at` timestamp must be at least 30 minutes and less than 24 hours from Checkout Session creation.',
        { param: 'expires_at' },
      );
    }
    const pid = params.object('payment_intent_data');
    pid?.allowOnly([
      'metadata',
      'description',
      'transfer_group',
      'capture_method',
      'receipt_email',
      'statement_descriptor_suffix',
    ]);
    const types = params.stringList('payment_method_types');
    if (types?.some((t) => t !== 'card')) {
      throw invalidRequest('The simulator\u2019s hosted page accepts payment_method_types=card only.', {
        param: 'payment_method_types',
      });
    }
    return engine.createSession({
      lineItems: items,
      currency,
      successUrl: params.string('success_url') ?? null,
      cancelUrl: params.string('cancel_url') ?? null,
      clientReferenceId: params.nullableString('client_reference_id') ?? null,
      customerEmail: params.nullableString('customer_email') ?? null,
      metadata: params.metadata(),
      expiresAt,
      paymentIntentData: {
        metadata: pid?.metadata() ?? {},
        description: pid?.nullableString('description') ?? null,
        transferGroup: pid?.nullableString('transfer_group') ?? null,
      },
    });
  }),
  route('GET', '/v1/checkout/sessions', ({ params, engine }) => {
    params.allowOnly([...LIST_PARAMS, 'payment_intent', 'status', 'client_reference_id']);
    const pi = params.string('payment_intent');
    const status = params.string('status');
    return engine.store.sessions.list(
      '/v1/checkout/sessions',
      listOptions(params),
      (s) => (!pi || s.payment_intent === pi) && (!status || s.status === status),
    );
  }),
  route('GET', '/v1/checkout/sessions/:id', ({ params, engine, path }) => {
    params.allowOnly(['expand']);
    return engine.store.sessions.get(path.id ?? '', 'session');
  }),
  route('GET', '/v1/checkout/sessions/:id/line_items', ({ params, engine, path }) => {
    params.allowOnly([...LIST_PARAMS]);
    const session = engine.store.sessions.get(path.id ?? '', 'session');
    const items = engine.store.sessionInternals.get(session.id)?.lineItems ?? [];
    return {
      object: 'list',
      data: items.map((item, index) => ({
        id: `li_${session.id.slice(8, 30)}${index}`,
        object: 'item',
        amount_discount: 0,
        amount_subtotal: item.unitAmount * item.quantity,
        amount_tax: 0,
        amount_total: item.unitAmount * item.quantity,
        currency: item.currency,
        description: item.name,
        price: null,
        quantity: item.quantity,
      })),
      has_more: false,
      url: `/v1/checkout/sessions/${session.id}/line_items`,
    };
  }),
  route('POST', '/v1/checkout/sessions/:id/expire', ({ params, engine, path, request }) => {
    params.allowOnly(['expand']);
    const session = engine.store.sessions.get(path.id ?? '', 'session');
    return engine.expireSession(session, request);
  }),
];
