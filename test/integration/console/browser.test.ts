/**
 * The storefront demo and the operator console in headless Chromium (playwright-core, Debian's chromium):
 * a card checkout (tokenized in the page by the PSP simulator), a 3-D Secure payment finished in the PSP's
 * window, a decline, a hosted-page checkout that comes back through the redirect, the API docs page, and the
 * console's main views (needs-attention, reconciliation with its chart, a seller's payouts). Screenshots go to test-results/screenshots (their paths are printed; CI keeps them).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttentionKind, AttentionSubjectType, recordAttention } from '../../../lambdas/attention';
import { manifest } from '../../../lib/manifest';
import { withDemoReturnUrls } from '../../../sandbox/dev-pages';
import type { LocalSystem } from '../../../sandbox/local-system';
import { localDocumentClient } from '../../support/engines';
import {
  paymentsContextOf,
  submitTestCheckout,
  testPaymentProvider,
  waitForOrders,
} from '../../support/payin';
import { callApi, startTestSystem } from '../../support/system';

const CHROMIUM = '/usr/bin/chromium';
const CI = process.env.CI === 'true';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && !CI) {
  console.warn(
    `storefront/console browser tests skipped: ${CHROMIUM} is absent (apt-get install -y chromium)`,
  );
}
const SHOTS = resolve('test-results/screenshots');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

describe.runIf(browserAvailable || CI)('storefront demo and operator console in headless Chromium', () => {
  let system: LocalSystem;
  let context: BrowserContext;
  let profile: string;
  let api: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    system = await startTestSystem({ manifest: withDemoReturnUrls(manifest, api), apiPort: port });
    profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 800 },
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
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await system?.stop();
  });

  async function checkoutWithCard(name: string, card: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${api}/_demo/shop`);
    await expect.poll(() => page.locator('#cart tbody tr').count()).toBe(3);
    await page.fill('#card-number', card);
    if (name === 'card') await shot(page, '01-shop-cart');
    await page.click('#checkout');
    await page.waitForURL(/\/_demo\/shop\/result\?checkout_id=/, { timeout: 20_000 });
    return page;
  }

  const statuses = (page: Page) =>
    page.locator('#orders [data-status]').evaluateAll((els) => els.map((e) => e.textContent));

  it('pays a three-seller cart with a card tokenized in the page; the card never reaches our API', async () => {
    const page = await checkoutWithCard('card', '4242 4242 4242 4242');
    await page.waitForSelector('#summary[data-done="true"]', { timeout: 30_000 });
    expect(await statuses(page)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    // A paid order can be refunded from the page (POST /v1/payments/{id}/refunds): the refund's status shows.
    expect(await page.locator('button.refund').count()).toBe(3);
    expect(await page.locator('button.refund').first().isDisabled()).toBe(false);
    expect(await page.textContent('#refund-note')).toBe('');
    await shot(page, '02-shop-result-paid');
    const firstOrder = await page.locator('#orders tbody tr').first().getAttribute('data-order');
    await page.locator('button.refund').first().click();
    const refunded = page.locator(`#orders tr[data-order="${firstOrder}"] .refund-status`);
    await page.waitForSelector(
      `#orders tr[data-order="${firstOrder}"] .refund-status[data-refund-status="succeeded"]`,
      {
        timeout: 20_000,
      },
    );
    const amount = (await page.locator(`#orders tr[data-order="${firstOrder}"] td.num`).textContent()) ?? '';
    expect(await refunded.textContent()).toBe(`refund ${amount}: succeeded`);
    expect(await page.locator('button.refund').count()).toBe(2);
    await shot(page, '02b-shop-result-refunded');
    const items = await localDocumentClient().send(
      new ScanCommand({ TableName: system.names.tables.payments }),
    );
    expect(JSON.stringify(items.Items)).not.toContain('4242424242424242');
    expect(JSON.stringify(items.Items)).toContain('"payment_method":"pm_');
    await page.close();
  }, 60_000);

  it('3-D Secure: the result page opens the PSP challenge and shows the order moving to SUCCESS', async () => {
    const page = await checkoutWithCard('3ds', '4000 0027 6000 3184');
    await page.waitForSelector('button.authenticate', { timeout: 30_000 });
    await shot(page, '03-shop-3ds-pending');
    // Every order of the checkout has its own challenge (one PaymentIntent each): complete each once.
    const done = new Set<string>();
    for (let round = 0; round < 50 && done.size < 3; round++) {
      const orders = await page
        .locator('button.authenticate')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-order') ?? ''));
      const next = orders.find((o) => !done.has(o));
      if (!next) {
        await page.waitForTimeout(300);
        continue;
      }
      const [popup] = await Promise.all([
        page.waitForEvent('popup'),
        page.locator(`button.authenticate[data-order="${next}"]`).click(),
      ]);
      await popup.waitForSelector('#complete-auth');
      if (done.size === 0) await shot(popup, '04-psp-3ds-challenge');
      await popup.click('#complete-auth');
      await popup.waitForSelector('#title');
      await popup.close();
      done.add(next);
    }
    await page.waitForSelector('#summary[data-done="true"]', { timeout: 30_000 });
    expect(await statuses(page)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    await shot(page, '05-shop-3ds-paid');
    await page.close();
  }, 90_000);

  it('a declined card shows FAILED with the reason', async () => {
    const page = await checkoutWithCard('decline', '4000 0000 0000 0002');
    await page.waitForSelector('#summary[data-done="true"]', { timeout: 30_000 });
    expect(await statuses(page)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(await page.textContent('#orders')).toMatch(/declined/i);
    await shot(page, '06-shop-declined');
    await page.close();
  }, 60_000);

  it('pays on the hosted page and comes back to the result page through the redirect', async () => {
    const page = await context.newPage();
    await page.goto(`${api}/_demo/shop`);
    await page.check('#mode-hosted');
    await page.click('#checkout');
    await page.waitForURL(new RegExp(`^${system.endpoints.psp}/checkout/cs_`), { timeout: 20_000 });
    await page.fill('#cardNumber', '4242 4242 4242 4242');
    await page.fill('#cardExpiry', '12 / 34');
    await page.fill('#cardCvc', '123');
    await shot(page, '07-psp-hosted-page');
    await page.click('#submit');
    await page.waitForURL(/\/_demo\/shop\/result\?checkout_id=/, { timeout: 20_000 });
    await page.waitForSelector('#summary[data-done="true"]', { timeout: 30_000 });
    expect(await statuses(page)).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    await shot(page, '08-shop-hosted-paid');
    await page.close();
  }, 60_000);

  it('renders the API reference from /openapi.json', async () => {
    const page = await context.newPage();
    await page.goto(`${api}/docs`);
    await page.waitForSelector('details.operation');
    expect(await page.locator('details.operation').count()).toBe(manifest.routes.length);
    await page.locator('details.operation').nth(1).click();
    await shot(page, '09-api-docs');
    await page.close();
  });

  it("shows the console's main views with the operator's key", async () => {
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept('browser test: checking replay'));
    await page.goto(`${api}/_console`);
    await page.fill('#operator-key', 'local-storefront-key');
    await page.click('#save-key');
    await page.waitForSelector('.error');
    expect(await page.textContent('.error')).toMatch(/operator_key_required/);
    await page.fill('#operator-key', 'local-operator-key');
    await page.click('#save-key');
    await page.waitForSelector('#payments-view tbody tr');
    await shot(page, '10-console-payments');

    await page.locator('#payments-view tbody tr a').first().click();
    await page.waitForSelector('#payment-view .timeline-ledger');
    await shot(page, '11-console-payment-timeline');

    await page.goto(`${api}/_console#seller/seller_books`);
    await page.waitForSelector('#seller-view');
    await page.click('#run-check');
    await page.waitForSelector('#ledger-check [data-ok="true"]');
    await shot(page, '12-console-seller');

    await page.goto(`${api}/_console#webhooks`);
    await page.waitForSelector('#webhooks-view button.replay');
    await page.locator('#webhooks-view button.replay').first().click();
    await page.waitForSelector('.flash');
    await shot(page, '13-console-webhooks');

    await page.goto(`${api}/_console#queues`);
    await page.waitForSelector('#queues-view button.peek');
    await page.locator('#queues-view button.peek').first().click();
    await page.waitForSelector('#queue-messages h3');
    await shot(page, '14-console-queues');

    await page.goto(`${api}/_console#audit`);
    await page.waitForSelector('#audit-view tbody tr');
    expect(await page.textContent('#audit-view')).toContain('browser test: checking replay');
    await shot(page, '15-console-audit');
    await page.close();
  }, 90_000);

  it("console: needs-attention list, detail and resolve; reconciliation chart and break resolution; a seller's payouts, refunds, disputes and pause", async () => {
    const db = localDocumentClient();
    const subject = `co_browser_attn_${Date.now().toString(36)}_a`;
    const { record } = await recordAttention(
      { db, table: system.names.tables.attention as string },
      {
        kind: AttentionKind.AmountMismatch,
        subjectType: AttentionSubjectType.PaymentOrder,
        subjectId: subject,
        summary: 'the PSP captured 12.00, the order is 10.00',
        details: { payment_order_id: subject, captured: '12.00', expected: '10.00' },
      },
    );
    // A settlement file of today with a row we hold no record of: one break to resolve.
    const day = new Date().toISOString().slice(0, 10);
    await system.psp.control.publishSettlement({
      date: day,
      discrepancies: [{ kind: 'extra_row', amountMinor: 555, currency: 'usd' }],
    });
    await system.runtime.settleBuckets();
    // seller_books (paid by the first test): a destination, a payout paid by the bank, a dispute.
    const seller = 'seller_books';
    const put = await callApi(system, 'PUT', `/v1/sellers/${seller}`, {
      destination: { provider: 'stripe_connect', account: 'acct_browser_books' },
    });
    expect(put.status).toBeLessThan(300);
    const payout = await callApi(system, 'POST', '/v1/payouts', {
      seller_account: seller,
      currency: 'USD',
      amount: '5.00',
    });
    expect(payout.status).toBe(201);
    const payments = paymentsContextOf(system);
    const { orders } = await submitTestCheckout(system, payments, testPaymentProvider(system), {
      label: 'browser_dispute',
      orders: [{ seller, amount: '8.00' }],
      paymentMethod: 'pm_card_visa',
    });
    const [disputed] = await waitForOrders(
      payments,
      orders.map((o) => o.payment_order_id),
    );
    system.psp.control.moneyBack?.openDispute({ paymentIntent: String(disputed?.psp_reference) });

    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept('browser test: explained'));
    await page.goto(`${api}/_console`);
    await page.fill('#operator-key', 'local-operator-key');
    await page.click('#save-key');
    await page.waitForSelector('#payments-view');

    await page.goto(`${api}/_console#attention`);
    const row = `#attention-view tr[data-attention="${record.attention_id}"]`;
    await page.waitForSelector(row);
    await shot(page, '16-console-attention');
    await page.locator(`${row} a`).last().click();
    await page.waitForSelector('#attention-detail');
    expect(await page.textContent('#attention-detail')).toContain('captured');
    await shot(page, '17-console-attention-detail');
    await page.click('#attention-detail button.resolve-attention');
    await page.waitForSelector('#attention-detail [data-status="RESOLVED"]');
    expect(await page.textContent('#attention-detail')).toContain('browser test: explained');

    await page.goto(`${api}/_console#recon`);
    await page.waitForSelector(`#recon-view tr[data-day="${day}"]`);
    await page.click(`#recon-view tr[data-day="${day}"] a`);
    await page.waitForSelector('#recon-chart g.bar');
    const bars = await page
      .locator('#recon-chart g.bar')
      .evaluateAll((gs) =>
        gs.map((g) => [g.getAttribute('data-class'), Number(g.getAttribute('data-value'))]),
      );
    expect(bars.find(([c]) => c === 'matched')?.[1]).toBeGreaterThan(0);
    expect(bars.find(([c]) => c === 'missing_internally')?.[1]).toBeGreaterThan(0);
    await shot(page, '18-console-reconciliation');
    const openBefore = await page.locator('#recon-day tr[data-status="open"]').count();
    expect(openBefore).toBeGreaterThan(0);
    await page.locator('#recon-day tr[data-status="open"] button.resolve-accept').first().click();
    await page.waitForSelector('.flash');
    expect(await page.textContent('.flash')).toMatch(/resolved/);
    expect(await page.locator('#recon-day tr[data-status="open"]').count()).toBe(openBefore - 1);
    expect(await page.textContent('#recon-day')).toContain('accept by operator: browser test: explained');
    await shot(page, '19-console-reconciliation-resolved');

    await page.goto(`${api}/_console#seller/${seller}`);
    await page.waitForSelector('#seller-view tr[data-payout]');
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.waitForSelector('#seller-view');
          return page.locator('#seller-view tr[data-dispute]').count();
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    expect(await page.locator('#seller-view tr[data-refund]').count()).toBeGreaterThan(0);
    expect(await page.getAttribute('#payout-settings', 'data-paused')).toBe('false');
    await page.click('#payouts-pause');
    await page.waitForSelector('#payout-settings[data-paused="true"]');
    await shot(page, '20-console-seller-payouts');
    await page.click('#payouts-resume');
    await page.waitForSelector('#payout-settings[data-paused="false"]');
    await page.close();
  }, 120_000);
});
