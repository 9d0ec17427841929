/**
 * The hosted payment page: a person (here headless Chromium, driven by playwright-core) pays a Checkout
 * Session with a test card and lands on success_url; 3-D Secure goes through the simulator's 3DS page; a
 * decline shows an error. The same flows are also exercised over plain HTTP, which needs no browser.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { delivered } from './support/receiver';
import { type SimHarness, startHarness } from './support/sim';

const CHROMIUM = '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && !CI) {
  console.warn(
    `hosted-page browser tests skipped: ${CHROMIUM} is absent (install: apt-get install -y chromium)`,
  );
}

const logLines: string[] = [];
let h: SimHarness;
let shop: Server;
let shopUrl: string;

beforeAll(async () => {
  h = await startHarness({ log: (line) => logLines.push(line) });
  // The storefront the buyer returns to.
  shop = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(`<h1 id="shop">shop page ${req.url}</h1>`);
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await h.stop();
  shop.closeAllConnections();
  await new Promise<void>((resolve) => shop.close(() => resolve()));
});

async function newSession(checkoutId: string): Promise<Stripe.Checkout.Session> {
  return h.stripe.checkout.sessions.create({
    mode: 'payment',
    line_items: [
      {
        price_data: { currency: 'usd', unit_amount: 2450, product_data: { name: 'Teapot <b>' } },
        quantity: 1,
      },
    ],
    success_url: `${shopUrl}/success?session_id={CHECKOUT_SESSION_ID}`,
    cancel_url: `${shopUrl}/cancel`,
    client_reference_id: checkoutId,
    payment_intent_data: { metadata: { checkout_id: checkoutId } },
  });
}

function form(fields: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  };
}

describe('hosted page over HTTP', () => {
  it('pays with 4242 4242 4242 4242 and redirects to success_url; the session completes by webhook', async () => {
    // Prepare
    const session = await newSession('co-http-1');
    // Act
    const response = await fetch(
      session.url as string,
      form({
        email: 'buyer@example.com',
        cardNumber: '4242 4242 4242 4242',
        cardExpiry: '12 / 34',
        cardCvc: '123',
      }),
    );
    // Assess
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${shopUrl}/success?session_id=${session.id}`);
    const completed = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid' });
    const pi = await h.stripe.paymentIntents.retrieve(completed.payment_intent as string);
    expect(pi).toMatchObject({ status: 'succeeded', amount: 2450, metadata: { checkout_id: 'co-http-1' } });
    await h.receiver.waitFor((r) =>
      delivered(r, 'checkout.session.completed').some((d) => d.rawBody.includes(session.id)),
    );
  });

  it('shows the decline for 4000 0000 0000 0002 and keeps the session open', async () => {
    // Prepare
    const session = await newSession('co-http-2');
    // Act
    const response = await fetch(
      session.url as string,
      form({ cardNumber: '4000000000000002', cardExpiry: '12/34', cardCvc: '123' }),
    );
    // Assess
    expect(response.status).toBe(402);
    expect(await response.text()).toContain('Your card was declined.');
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('after expire, the page refuses payment and a 3-D Secure attempt begun on it can no longer finish', async () => {
    // Prepare: one session the buyer has not paid, one with a 3-D Secure challenge open on it.
    const unpaid = await newSession('co-http-expire-1');
    const challenged = await newSession('co-http-expire-2');
    const started = await fetch(
      challenged.url as string,
      form({ cardNumber: '4000 0027 6000 3184', cardExpiry: '12/34', cardCvc: '123' }),
    );
    await started.text();
    const pending = await h.stripe.checkout.sessions.retrieve(challenged.id);
    const pi = pending.payment_intent as string;
    expect((await h.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
    // Act
    await h.stripe.checkout.sessions.expire(unpaid.id);
    await h.stripe.checkout.sessions.expire(challenged.id);
    const paid = await fetch(
      unpaid.url as string,
      form({ cardNumber: '4242 4242 4242 4242', cardExpiry: '12/34', cardCvc: '123' }),
    );
    const authenticated = await fetch(`${h.sim.url}/3ds/${pi}`, form({ outcome: 'succeed' }));
    // Assess: refused, nothing captured, and a second expire is refused as the wrong state.
    expect(paid.status).toBe(410);
    expect(authenticated.status).toBe(409);
    expect((await h.stripe.paymentIntents.retrieve(pi)).status).toBe('canceled');
    await expect(h.stripe.checkout.sessions.expire(unpaid.id)).rejects.toMatchObject({ statusCode: 400 });
    const intents = await h.stripe.paymentIntents.list({ limit: 100 });
    expect(
      intents.data.filter(
        (p) => p.metadata?.checkout_id?.startsWith('co-http-expire') && p.status === 'succeeded',
      ),
    ).toEqual([]);
  });

  it('rejects a number that fails the Luhn check and a past expiry', async () => {
    const session = await newSession('co-http-3');
    const luhn = await fetch(
      session.url as string,
      form({ cardNumber: '4242424242424241', cardExpiry: '12/34', cardCvc: '123' }),
    );
    const expired = await fetch(
      session.url as string,
      form({ cardNumber: '4242424242424242', cardExpiry: '01/20', cardCvc: '123' }),
    );
    expect(await luhn.text()).toContain('Your card number is incorrect.');
    expect(await expired.text()).toContain('expiration year is in the past');
  });

  it('keeps no card number: only brand and last4 exist in objects, events and logs', async () => {
    // Prepare
    const session = await newSession('co-http-4');
    // Act
    await fetch(
      session.url as string,
      form({ cardNumber: '5555 5555 5555 4444', cardExpiry: '12/34', cardCvc: '123' }),
    );
    await h.sim.control.webhooksIdle();
    // Assess
    const completed = await h.stripe.checkout.sessions.retrieve(session.id, {
      expand: ['payment_intent.latest_charge'],
    });
    const everything = JSON.stringify([completed, h.sim.control.events(), logLines, h.receiver.received]);
    expect(everything.includes('"last4":"4444"')).toBe(true);
    expect(everything.includes('5555555555554444')).toBe(false);
    expect(everything.includes('5555 5555 5555 4444')).toBe(false);
  });
});

describe.runIf(browserAvailable || CI)('hosted page in headless Chromium', () => {
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'psp-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('lets a buyer pay with a test card and returns them to success_url', async () => {
    // Prepare
    const session = await newSession('co-browser-1');
    const page = await context.newPage();
    await page.goto(session.url as string);
    // Act
    await page.fill('#email', 'buyer@example.com');
    await page.fill('#cardNumber', '4242 4242 4242 4242');
    await page.fill('#cardExpiry', '12 / 34');
    await page.fill('#cardCvc', '123');
    await page.fill('#billingName', 'Ada Buyer');
    await Promise.all([page.waitForURL(`${shopUrl}/success**`), page.click('#submit')]);
    // Assess
    expect(page.url()).toBe(`${shopUrl}/success?session_id=${session.id}`);
    const completed = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(completed.customer_details).toMatchObject({ email: 'buyer@example.com', name: 'Ada Buyer' });
    await h.receiver.waitFor((r) =>
      delivered(r, 'checkout.session.completed').some((d) => d.rawBody.includes(session.id)),
    );
    await page.close();
  });

  it('takes a 3-D Secure card through the 3DS page', async () => {
    // Prepare
    const session = await newSession('co-browser-2');
    const page = await context.newPage();
    await page.goto(session.url as string);
    await page.fill('#cardNumber', '4000 0025 0000 3155');
    await page.fill('#cardExpiry', '12 / 34');
    await page.fill('#cardCvc', '123');
    await Promise.all([page.waitForURL(`${h.sim.url}/3ds/**`), page.click('#submit')]);
    // Act
    await Promise.all([page.waitForURL(`${shopUrl}/success**`), page.click('#complete-auth')]);
    // Assess
    const completed = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(completed.status).toBe('complete');
    const pi = await h.stripe.paymentIntents.retrieve(completed.payment_intent as string);
    expect(pi.status).toBe('succeeded');
    await page.close();
  });

  it('shows a decline and lets the buyer go back to cancel_url', async () => {
    // Prepare
    const session = await newSession('co-browser-3');
    const page = await context.newPage();
    await page.goto(session.url as string);
    await page.fill('#cardNumber', '4000 0000 0000 9995');
    await page.fill('#cardExpiry', '12 / 34');
    await page.fill('#cardCvc', '123');
    // Act
    await Promise.all([page.waitForLoadState('load'), page.click('#submit')]);
    const error = await page.textContent('#error');
    await Promise.all([page.waitForURL(`${shopUrl}/cancel`), page.click('#cancel')]);
    // Assess
    expect(error).toContain('insufficient funds');
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
    await page.close();
  });
});
