import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../lambdas/api/errors';
import { MAX_BODY_BYTES, readJsonBody } from '../../../lambdas/api/request';
import { fieldPath, MAX_ORDERS, parseCreatePayment, pathId } from '../../../lambdas/api/schemas';

type Body = Record<string, unknown> & { payment_orders: Record<string, unknown>[] };

function validBody(orders = 2): Body {
  return {
    buyer_info: { buyer_id: 'buyer_1', email: 'buyer@example.com', name: 'Ada', country: 'GB' },
    checkout_id: 'co_1',
    credit_card_info: 'pm_card_visa',
    payment_orders: Array.from({ length: orders }, (_, i) => ({
      seller_account: `seller_${i}`,
      amount: '10.00',
      currency: 'USD',
      payment_order_id: `po_${i}`,
    })),
  };
}

function withOrder(patch: Record<string, unknown>, index = 0): Body {
  const body = validBody();
  body.payment_orders[index] = { ...body.payment_orders[index], ...patch };
  return body;
}

function refusal(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected a refusal, got none');
}

function event(body: string | null, contentType: string | null = 'application/json') {
  return {
    body,
    isBase64Encoded: false,
    headers: contentType === null ? {} : { 'Content-Type': contentType },
  } as Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>;
}

describe('parseCreatePayment', () => {
  it('turns a valid body into the input of submitCheckout, amounts in minor units', () => {
    // Act
    const input = parseCreatePayment(validBody());

    // Assess
    expect(input).toEqual({
      checkoutId: 'co_1',
      buyer: { buyer_id: 'buyer_1', email: 'buyer@example.com', name: 'Ada', country: 'GB' },
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
      orders: [
        { paymentOrderId: 'po_0', sellerAccount: 'seller_0', amount: { currency: 'USD', minor: 1000n } },
        { paymentOrderId: 'po_1', sellerAccount: 'seller_1', amount: { currency: 'USD', minor: 1000n } },
      ],
    });
  });

  it('reads a body without credit_card_info as hosted-page mode, and optional buyer fields as absent', () => {
    // Prepare
    const { credit_card_info: _token, ...body } = validBody(1);
    body.buyer_info = { buyer_id: 'b' };

    // Act
    const input = parseCreatePayment(body);

    // Assess
    expect(input.paymentMethod).toBeUndefined();
    expect('paymentMethod' in input).toBe(false);
    expect(input.buyer).toEqual({ buyer_id: 'b' });
  });

  it.each([
    ['1000', 'JPY', 1000n],
    ['1.230', 'BHD', 1230n],
    ['0.50', 'EUR', 50n],
    ['100.00', 'MGA', 10000n],
    ['5', 'ISK', 5n],
  ])('accepts %s %s', (amount, currency, minor) => {
    // Act
    const input = parseCreatePayment({
      ...validBody(1),
      payment_orders: [{ seller_account: 's', amount, currency, payment_order_id: 'p' }],
    });

    // Assess
    expect(input.orders[0]?.amount).toEqual({ currency, minor });
  });

  it.each([
    ['a missing buyer_info', { buyer_info: undefined }, 'buyer_info'],
    ['a missing buyer_id', { buyer_info: { email: 'a@b.co' } }, 'buyer_info.buyer_id'],
    ['a bad email', { buyer_info: { buyer_id: 'b', email: 'nope' } }, 'buyer_info.email'],
    ['a bad country', { buyer_info: { buyer_id: 'b', country: 'germany' } }, 'buyer_info.country'],
    ['a missing checkout_id', { checkout_id: undefined }, 'checkout_id'],
    ['a checkout_id of the wrong type', { checkout_id: 42 }, 'checkout_id'],
    ['a checkout_id with a space', { checkout_id: 'co 1' }, 'checkout_id'],
    ['a checkout_id with a key separator', { checkout_id: 'co#1' }, 'checkout_id'],
    ['a checkout_id over 128 characters', { checkout_id: 'c'.repeat(129) }, 'checkout_id'],
    ['an empty checkout_id', { checkout_id: '' }, 'checkout_id'],
    ['a token that is not a PSP token', { credit_card_info: 'not a token' }, 'credit_card_info'],
    ['card info as an object', { credit_card_info: { token: 'pm_x' } }, 'credit_card_info'],
    ['no payment_orders', { payment_orders: undefined }, 'payment_orders'],
    ['an empty payment_orders', { payment_orders: [] }, 'payment_orders'],
    ['payment_orders not a list', { payment_orders: {} }, 'payment_orders'],
    ['an unknown field', { coupon: 'FREE' }, '(body)'],
  ])('refuses %s: 400 validation_error naming the field', (_what, patch, field) => {
    // Prepare
    const body: Record<string, unknown> = { ...validBody(), ...patch };
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete body[key];

    // Act
    const error = refusal(() => parseCreatePayment(body));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('validation_error');
    const fields = (error.details?.fields ?? []) as { field: string }[];
    expect(fields.map((f) => f.field)).toContain(field);
  });

  it.each([
    ['a missing seller_account', { seller_account: undefined }, 'payment_orders[0].seller_account'],
    ['a bad seller_account', { seller_account: 'seller/1' }, 'payment_orders[0].seller_account'],
    ['a missing payment_order_id', { payment_order_id: undefined }, 'payment_orders[0].payment_order_id'],
    ['a missing amount', { amount: undefined }, 'payment_orders[0].amount'],
    ['an amount of the wrong type', { amount: true }, 'payment_orders[0].amount'],
    ['a missing currency', { currency: undefined }, 'payment_orders[0].currency'],
    ['an unknown order field', { tip: '1.00' }, 'payment_orders[0]'],
  ])('refuses %s in an order: 400 validation_error naming the field', (_what, patch, field) => {
    // Prepare
    const body = withOrder(patch);
    for (const [key, value] of Object.entries(patch))
      if (value === undefined) delete (body.payment_orders[0] as Record<string, unknown>)[key];

    // Act
    const error = refusal(() => parseCreatePayment(body));

    // Assess
    expect(error.code).toBe('validation_error');
    const fields = (error.details?.fields ?? []) as { field: string }[];
    expect(fields.map((f) => f.field)).toContain(field);
  });

  it.each([
    [12.34, 'USD', 'amount_is_float', 'amount'],
    [10, 'USD', 'amount_is_float', 'amount'],
    ['12.345', 'USD', 'amount_too_many_decimals', 'amount'],
    ['10.5', 'JPY', 'amount_too_many_decimals', 'amount'],
    ['-1.00', 'USD', 'amount_negative', 'amount'],
    ['0', 'USD', 'amount_zero', 'amount'],
    ['0.00', 'USD', 'amount_zero', 'amount'],
    ['1e3', 'USD', 'invalid_amount_format', 'amount'],
    ['', 'USD', 'invalid_amount_format', 'amount'],
    [' 1.00', 'USD', 'invalid_amount_format', 'amount'],
    ['99999999999999999999', 'USD', 'amount_out_of_range', 'amount'],
    ['10.00', 'usd', 'unknown_currency', 'currency'],
    ['10.00', 'XYZ', 'unknown_currency', 'currency'],
    ['10.00', 'XAU', 'unknown_currency', 'currency'],
  ])('refuses amount %j in %s: 400 %s', (amount, currency, code, field) => {
    // Act
    const error = refusal(() => parseCreatePayment(withOrder({ amount, currency }, 1)));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe(code);
    expect(error.details?.field).toBe(`payment_orders[1].${field}`);
  });

  it('refuses orders in more than one currency: 400 mixed_currencies', () => {
    // Act
    const error = refusal(() => parseCreatePayment(withOrder({ currency: 'EUR' }, 1)));

    // Assess
    expect(error.code).toBe('mixed_currencies');
    expect(error.details?.currencies).toEqual(['USD', 'EUR']);
  });

  it('refuses an order id twice in one request: 400 duplicate_payment_order_id', () => {
    // Act
    const error = refusal(() => parseCreatePayment(withOrder({ payment_order_id: 'po_0' }, 1)));

    // Assess
    expect(error.code).toBe('duplicate_payment_order_id');
    expect(error.details).toMatchObject({
      payment_order_id: 'po_0',
      field: 'payment_orders[1].payment_order_id',
    });
  });

  it(`accepts ${MAX_ORDERS} orders and refuses ${MAX_ORDERS + 1}: 400 too_many_orders`, () => {
    // Act
    const most = parseCreatePayment(validBody(MAX_ORDERS));
    const error = refusal(() => parseCreatePayment(validBody(MAX_ORDERS + 1)));

    // Assess
    expect(most.orders).toHaveLength(MAX_ORDERS);
    expect(error.code).toBe('too_many_orders');
    expect(error.details).toMatchObject({ max: MAX_ORDERS, count: MAX_ORDERS + 1 });
  });

  it('refuses a total beyond the money range even when each order is in range', () => {
    // Prepare
    const body = validBody(2);
    for (const order of body.payment_orders) order.amount = '90071992547409.91';

    // Act
    const error = refusal(() => parseCreatePayment(body));

    // Assess
    expect(error.code).toBe('amount_out_of_range');
  });

  it.each([null, [], 'text', 42])('refuses a body that is not an object (%j)', (json) => {
    expect(refusal(() => parseCreatePayment(json)).code).toBe('validation_error');
  });
});

describe('readJsonBody', () => {
  it('answers the parsed JSON of an application/json body', () => {
    expect(readJsonBody(event('{"a":[1,"x"]}', 'application/json; charset=utf-8'))).toEqual({ a: [1, 'x'] });
  });

  it('reads a base64-encoded body', () => {
    // Prepare
    const encoded = { ...event(Buffer.from('{"a":1}').toString('base64')), isBase64Encoded: true };

    // Act + Assess
    expect(readJsonBody(encoded)).toEqual({ a: 1 });
  });

  it.each([
    ['no content type', null],
    ['text/plain', 'text/plain'],
    ['form data', 'application/x-www-form-urlencoded'],
    ['another charset', 'application/json; charset=latin1'],
  ])('refuses %s: 415 unsupported_media_type', (_what, contentType) => {
    // Act
    const error = refusal(() => readJsonBody(event('{}', contentType)));

    // Assess
    expect(error.statusCode).toBe(415);
    expect(error.code).toBe('unsupported_media_type');
  });

  it.each([['{"a":'], ['not json'], [''], ['   ']])('refuses %j: 400 invalid_json', (body) => {
    // Act
    const error = refusal(() => readJsonBody(event(body)));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('invalid_json');
  });

  it('refuses a null body: 400 invalid_json', () => {
    expect(refusal(() => readJsonBody(event(null))).code).toBe('invalid_json');
  });

  it(`refuses a body over ${MAX_BODY_BYTES} bytes: 413 body_too_large (counted in UTF-8 bytes)`, () => {
    // Prepare
    const fits = JSON.stringify({ pad: 'x'.repeat(MAX_BODY_BYTES - 12) });
    const multiByte = JSON.stringify({ pad: 'é'.repeat(MAX_BODY_BYTES / 2) });

    // Act
    const error = refusal(() => readJsonBody(event(`${fits}      `)));

    // Assess
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(readJsonBody(event(fits))).toBeTruthy();
    expect(error.statusCode).toBe(413);
    expect(error.code).toBe('body_too_large');
    expect(refusal(() => readJsonBody(event(multiByte))).code).toBe('body_too_large');
  });

  it.each([
    ['a card number as a token', JSON.stringify({ ...validBody(), credit_card_info: '4242424242424242' })],
    ['a spaced card number in a name', JSON.stringify({ buyer_info: { name: 'Ada 4000 0566 5566 5556' } })],
    ['a card number as a JSON number', '{"credit_card_info":4242424242424242}'],
    ['a card object', JSON.stringify({ credit_card_info: { number: 'x', exp_month: 12, cvc: '123' } })],
    ['a cvv key deep down', JSON.stringify({ a: [{ b: { CVV: '1' } }] })],
    ['escaped digits', '{"x":"\\u0034\\u0032\\u0034\\u0032424242424242"}'],
    ['a card number in malformed JSON', '{"credit_card_info": 4242-4242-4242-4242'],
  ])('refuses %s: 400 card_data_not_allowed, never repeating it', (_what, body) => {
    // Act
    const error = refusal(() => readJsonBody(event(body)));

    // Assess
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('card_data_not_allowed');
    const said = JSON.stringify({ message: error.message, details: error.details });
    expect(said).not.toMatch(/\d{4}/);
  });
});

describe('pathId', () => {
  it('answers a valid id and refuses what no id can be', () => {
    expect(pathId({ pathParameters: { checkout_id: 'co_1.a@b+c-d' } }, 'checkout_id')).toBe('co_1.a@b+c-d');
    expect(refusal(() => pathId({ pathParameters: { checkout_id: 'a b' } }, 'checkout_id')).code).toBe(
      'validation_error',
    );
    expect(refusal(() => pathId({ pathParameters: null }, 'checkout_id')).code).toBe('validation_error');
  });
});

describe('fieldPath', () => {
  it('writes zod paths the way a caller reads them', () => {
    expect(fieldPath(['payment_orders', 3, 'amount'])).toBe('payment_orders[3].amount');
    expect(fieldPath(['buyer_info', 'email'])).toBe('buyer_info.email');
    expect(fieldPath([])).toBe('(body)');
  });
});
