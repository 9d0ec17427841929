/**
 * Browser tokenization (Stripe.js's createPaymentMethod): a form POST to /v1/payment_methods with the
 * publishable key answers a PaymentMethod the server then charges with its secret key. The publishable key
 * opens nothing else, the card number is kept nowhere, bad cards are refused as Stripe refuses them, and the
 * answer can be read from another origin (CORS), as the storefront page needs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimHarness, startHarness } from './support/sim';

let h: SimHarness;
const logLines: string[] = [];

beforeAll(async () => {
  h = await startHarness({ log: (line) => logLines.push(line) });
});
afterAll(async () => {
  await h.stop();
});

function tokenize(card: Record<string, string>, key = 'pk_test_local_simulator') {
  const form = new URLSearchParams({ key, type: 'card' });
  for (const [k, v] of Object.entries(card)) form.set(`card[${k}]`, v);
  return fetch(`${h.sim.url}/v1/payment_methods`, {
    method: 'POST',
    headers: { origin: 'http://127.0.0.1:3000' },
    body: form,
  });
}

const GOOD = { number: '4242 4242 4242 4242', exp_month: '12', exp_year: '34', cvc: '123' };

describe('browser tokenization', () => {
  it('answers a pm_ the server can charge, keeping only brand and last4', async () => {
    const response = await tokenize(GOOD);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const pm = (await response.json()) as {
      id: string;
      card: { brand: string; last4: string; exp_year: number };
    };
    expect(pm.id).toMatch(/^pm_/);
    expect(pm.card).toMatchObject({ brand: 'visa', last4: '4242', exp_year: 2034 });
    const pi = await h.stripe.paymentIntents.create({
      amount: 1234,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
    });
    expect(pi.status).toBe('succeeded');
    const everything = JSON.stringify([pm, pi, h.sim.control.events(), logLines]);
    expect(everything).not.toContain('4242424242424242');
    expect(everything).not.toContain('4242 4242 4242 4242');
  });

  it('tokenizes a card that will be declined (the decline comes at confirmation, as on Stripe)', async () => {
    const pm = (await (await tokenize({ ...GOOD, number: '4000000000000002' })).json()) as { id: string };
    await expect(
      h.stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method: pm.id,
        confirm: true,
      }),
    ).rejects.toMatchObject({ code: 'card_declined' });
  });

  it('refuses bad cards with card errors', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ ...GOOD, number: '4242424242424241' }, 'incorrect_number'],
      [{ ...GOOD, number: '12' }, 'invalid_number'],
      [{ ...GOOD, exp_month: '13' }, 'invalid_expiry_month'],
      [{ ...GOOD, exp_year: '2001' }, 'invalid_expiry_year'],
      [{ ...GOOD, cvc: 'x' }, 'invalid_cvc'],
    ];
    for (const [card, code] of cases) {
      const response = await tokenize(card);
      expect(response.status, code).toBe(402);
      expect(((await response.json()) as { error: { type: string; code: string } }).error).toMatchObject({
        type: 'card_error',
        code,
      });
    }
  });

  it('opens nothing else with a publishable key', async () => {
    expect((await tokenize(GOOD, 'pk_live_nope')).status).toBe(401);
    const other = await fetch(`${h.sim.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { authorization: 'Bearer pk_test_local_simulator' },
      body: new URLSearchParams({ amount: '100', currency: 'usd' }),
    });
    expect(other.status).toBe(401);
    const list = await fetch(`${h.sim.url}/v1/payment_methods?key=pk_test_local_simulator`);
    expect(list.status).toBe(401);
  });
});
