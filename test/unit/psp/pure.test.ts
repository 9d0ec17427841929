/** The simulator's pure pieces: Stripe form decoding, money and fees, cards, fault dice, idempotency, CSV. */
import { describe, expect, it } from 'vitest';
import { classifyCardNumber, luhnValid } from '../../../sandbox/psp/cards';
import { SimClock } from '../../../sandbox/psp/clock';
import { StripeApiError } from '../../../sandbox/psp/errors';
import { FaultInjector } from '../../../sandbox/psp/faults';
import { chargeFee } from '../../../sandbox/psp/fees';
import { canonicalParams, Params, parseForm } from '../../../sandbox/psp/form';
import { IdempotencyStore } from '../../../sandbox/psp/idempotency';
import { formatMajor } from '../../../sandbox/psp/money';
import { parseDay, toCsv } from '../../../sandbox/psp/settlement';

describe('form decoding', () => {
  it('decodes bracket notation into objects and arrays', () => {
    const parsed = parseForm(
      'metadata[order]=o%201&line_items[0][price_data][unit_amount]=500&line_items[1][quantity]=2&expand[]=a&expand[]=b',
    );
    expect(parsed).toEqual({
      metadata: { order: 'o 1' },
      line_items: [{ price_data: { unit_amount: '500' } }, { quantity: '2' }],
      expand: ['a', 'b'],
    });
  });

  it('rejects a parameter the endpoint does not know and a non-integer amount', () => {
    const params = new Params(parseForm('amount=12.5&colour=red'));
    expect(() => params.allowOnly(['amount'])).toThrow(StripeApiError);
    expect(() => params.integer('amount')).toThrow('Invalid integer: 12.5');
  });

  it('compares parameters independently of their order', () => {
    expect(canonicalParams(parseForm('a=1&b[x]=2'))).toBe(canonicalParams(parseForm('b[x]=2&a=1')));
    expect(canonicalParams(parseForm('a=1'))).not.toBe(canonicalParams(parseForm('a=2')));
  });
});

describe('money and fees', () => {
  it('writes major units with the currency exponent', () => {
    expect([
      formatMajor(1234, 'usd'),
      formatMajor(-5, 'usd'),
      formatMajor(1234, 'jpy'),
      formatMajor(1234, 'bhd'),
    ]).toEqual(['12.34', '-0.05', '1234', '1.234']);
  });

  it('charges 2.9 % rounded half up plus 30 minor units', () => {
    // 1000 * 2.9 % = 29; 1017 * 2.9 % = 29.493 -> 29; 1018 * 2.9 % = 29.522 -> 30; 50 * 2.9 % = 1.45 -> 1
    expect([chargeFee(1000), chargeFee(1017), chargeFee(1018), chargeFee(50)]).toEqual([59, 59, 60, 31]);
  });
});

describe('test cards', () => {
  it('knows Stripe test numbers, checks Luhn and keeps only brand and last4', () => {
    const ok = classifyCardNumber('4242 4242 4242 4242');
    const declined = classifyCardNumber('4000000000000002');
    expect(ok).toEqual({
      ok: true,
      card: { brand: 'visa', last4: '4242', funding: 'credit', country: 'US' },
      outcome: { kind: 'succeed' },
    });
    expect(declined.ok && declined.outcome.kind).toBe('decline');
    expect(classifyCardNumber('4242424242424241')).toMatchObject({ ok: false, code: 'incorrect_number' });
    expect(luhnValid('4000002500003155')).toBe(true);
  });
});

describe('fault dice', () => {
  it('fires a counted fault exactly N times', () => {
    const faults = new FaultInjector('s');
    faults.add({ kind: 'error', route: 'POST /v1/refunds', count: 2 });
    const fired = Array.from(
      { length: 4 },
      () => faults.pickApi('POST', '/v1/refunds', '/v1/refunds') !== undefined,
    );
    expect(fired).toEqual([true, true, false, false]);
  });

  it('matches templates, concrete paths and methods', () => {
    const faults = new FaultInjector('s');
    faults.add({ kind: 'error', route: 'POST /v1/payment_intents/:id/confirm' });
    expect(
      faults.pickApi('POST', '/v1/payment_intents/:id/confirm', '/v1/payment_intents/pi_1/confirm'),
    ).toBeDefined();
    expect(faults.pickApi('GET', '/v1/payment_intents/:id', '/v1/payment_intents/pi_1')).toBeUndefined();
  });

  it('rolls the same dice for the same seed', () => {
    const roll = (seed: string) => {
      const faults = new FaultInjector(seed);
      faults.add({ kind: 'loss', probability: 0.3 });
      return Array.from(
        { length: 40 },
        () => faults.pickWebhook('x.y', { id: 'we_1', url: 'http://h' }).length,
      );
    };
    expect(roll('a')).toEqual(roll('a'));
    expect(roll('a').reduce((n, x) => n + x, 0)).toBeGreaterThan(0);
  });
});

describe('idempotency store', () => {
  it('replays within 24 h of simulator time and forgets after', () => {
    const clock = new SimClock({ now: () => 0 });
    const store = new IdempotencyStore(clock);
    const first = store.claim('sk', 'k', 'POST /x a');
    if (first.kind !== 'fresh') throw new Error('expected a fresh claim');
    first.complete({ status: 200, body: '{}', requestId: 'req_1' });
    expect(store.claim('sk', 'k', 'POST /x a').kind).toBe('replay');
    clock.advance(24 * 3600 * 1000);
    expect(store.claim('sk', 'k', 'POST /x a').kind).toBe('fresh');
  });

  it('refuses a key in flight and a key reused with other parameters', () => {
    const store = new IdempotencyStore(new SimClock({ now: () => 0 }));
    store.claim('sk', 'k', 'POST /x a');
    expect(() => store.claim('sk', 'k', 'POST /x a')).toThrow(expect.objectContaining({ statusCode: 409 }));
    expect(() => store.claim('sk', 'k', 'POST /x b')).toThrow(expect.objectContaining({ statusCode: 400 }));
  });
});

describe('settlement CSV', () => {
  it('quotes cells with commas and quotes, and validates the day', () => {
    expect(toCsv(['a', 'b'], [{ a: 'x,y', b: 'say "hi"' }])).toBe('a,b\n"x,y","say ""hi"""\n');
    expect(parseDay('2026-03-14')).toBe(Date.UTC(2026, 2, 14));
    expect(() => parseDay('2026-02-30')).toThrow(RangeError);
  });
});
