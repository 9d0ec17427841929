/**
 * Currencies as the PSP counts them, end to end on the whole system: for every currency whose Stripe exponent
 * or rule differs from ISO 4217 (and a control of each ordinary kind), a checkout submitted through the API
 * is charged at the PSP in the PSP's unit, its webhook event reads back as the order's amount, the wallet holds
 * the ISO amount, a refund sent in the PSP's unit reads back as the same money, and the settlement rows (major
 * units) parse to it too. Amounts the PSP cannot represent are refused up front and write nothing.
 */
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  basisPointsOf,
  formatAmount,
  fromMajorUnits,
  type Money,
  negate,
  parseAmount,
  subtract,
} from '../../../lambdas/money';
import { getOrder, type PaymentsContext } from '../../../lambdas/payments';
import { fromStripeAmount, toStripeAmount } from '../../../lambdas/psp/currencies';
import { toPspPayment } from '../../../lambdas/psp/stripe-provider';
import { DEFAULT_POLICY } from '../../../lambdas/refunds/config';
import { type MoneyBackContext, orderRefunds } from '../../../lambdas/refunds/store';
import type { LocalSystem } from '../../../sandbox/local-system';
import {
  assertLedgerInvariants,
  assertOrderInvariants,
  availableBalance,
  paymentsContextOf,
  waitForOrders,
} from '../../support/payin';
import { callApi, startTestSystem } from '../../support/system';

let system: LocalSystem;
let ctx: PaymentsContext;
let stripe: Stripe;

beforeAll(async () => {
  system = await startTestSystem();
  ctx = paymentsContextOf(system);
  const base = new URL(system.endpoints.psp);
  stripe = new Stripe('sk_test_currencies', {
    host: base.hostname,
    port: Number(base.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 2,
  });
});
afterEach(async () => {
  await assertOrderInvariants(system, ctx);
  await assertLedgerInvariants(ctx);
});
afterAll(async () => {
  await system?.stop();
});

let sequence = 0;

function checkout(currency: string, amount: string, hosted = false) {
  sequence++;
  const id = `co_cur_${currency}_${sequence}_${Date.now().toString(36)}`;
  return {
    id,
    orderId: `${id}_po1`,
    seller: `seller_cur_${currency}_${sequence}`,
    body: {
      checkout_id: id,
      buyer_info: { buyer_id: `buyer_cur_${sequence}` },
      ...(hosted ? {} : { credit_card_info: 'pm_card_visa' }),
      payment_orders: [
        {
          payment_order_id: `${id}_po1`,
          seller_account: `seller_cur_${currency}_${sequence}`,
          amount,
          currency,
        },
      ],
    },
  };
}

function eventsOf(type: string, paymentOrderId: string) {
  return system.psp.control
    .events()
    .filter(
      (e) =>
        e.type === type &&
        (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id ===
          paymentOrderId,
    );
}

describe('a charge, its webhook, a refund and the settlement rows, in the PSP unit', () => {
  it.each([
    // [currency, API amount, Stripe amount]
    ['MGA', '100.00', 100],
    ['ISK', '500', 50_000],
    ['UGX', '15000', 1_500_000],
    ['HUF', '1200.00', 120_000],
    ['TWD', '300.00', 30_000],
    ['BHD', '1.230', 1230],
    ['JOD', '2.500', 2500],
    ['KWD', '1.230', 1230],
    ['OMR', '3.010', 3010],
    ['TND', '4.560', 4560],
    ['JPY', '1500', 1500],
    ['USD', '12.34', 1234],
  ])(
    '%s %s is charged as amount=%s and every amount read back is the same money',
    async (currency, text, units) => {
      // Prepare
      const c = checkout(currency, text);
      const amount: Money = parseAmount(text, currency);

      // Act: the charge
      const created = await callApi(system, 'POST', '/v1/payments', c.body);
      const [order] = await waitForOrders(ctx, [c.orderId]);

      // Assess: the PSP was asked for its own unit, the ledger holds ours
      expect(created.status).toBe(201);
      expect(order?.status).toBe('SUCCESS');
      const [intentCreated] = eventsOf('payment_intent.created', c.orderId);
      const intent = intentCreated?.data.object as Stripe.PaymentIntent;
      expect(intent.amount).toBe(units);
      expect(intent.currency).toBe(currency.toLowerCase());
      const commission = basisPointsOf(amount, ctx.commissionBps ?? 0, 'half_up');
      expect(await availableBalance(ctx, c.seller, currency)).toBe(
        formatAmount(subtract(amount, commission)),
      );

      // Assess: the webhook's object reads back as the order's amount
      const succeeded = await (async () => {
        for (let i = 0; i < 100; i++) {
          const [event] = eventsOf('payment_intent.succeeded', c.orderId);
          if (event) return event;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('no payment_intent.succeeded event');
      })();
      expect(toPspPayment(succeeded.data.object as Stripe.PaymentIntent).amount).toEqual(amount);
      expect((await getOrder(ctx, c.orderId))?.amount_minor).toBe(Number(amount.minor));

      // Act: a full refund, sent in the PSP's unit
      const refund = await stripe.refunds.create({
        payment_intent: intent.id,
        amount: toStripeAmount(amount).amount,
      });

      // Assess
      expect(refund.amount).toBe(units);
      expect(fromStripeAmount(refund.amount, refund.currency)).toEqual(amount);
      // A refund made at the PSP is posted by our webhook consumer: wait until it is final here too, so the
      // ledger check after this test does not read the ledger in the middle of that posting.
      const moneyBack: MoneyBackContext = { db: ctx.db, tables: ctx.tables, policy: DEFAULT_POLICY };
      await (async () => {
        for (let i = 0; i < 200; i++) {
          const records = await orderRefunds(moneyBack, c.orderId);
          if (records.some((r) => r.status === 'succeeded')) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('the PSP refund was never posted');
      })();

      // Act: the day's settlement rows, in major units
      const today = new Date(system.psp.control.now()).toISOString().slice(0, 10);
      const report = system.psp.control.settlementReport({ date: today, currency: currency.toLowerCase() });
      const retrieved = await stripe.paymentIntents.retrieve(intent.id);
      const chargeRow = report.rows.find((r) => r.source_id === retrieved.latest_charge);
      const refundRow = report.rows.find((r) => r.source_id === refund.id);

      // Assess
      expect(chargeRow && fromMajorUnits(chargeRow.gross ?? '', currency)).toEqual(amount);
      expect(refundRow && fromMajorUnits(refundRow.gross ?? '', currency)).toEqual(negate(amount));
      // The fee is a whole number of our minor units too (a whole ISK or UGX, never a fraction of one).
      expect(() => fromMajorUnits(chargeRow?.fee ?? '', currency)).not.toThrow();
    },
  );

  it('charges a hosted page in the PSP unit: 100.00 MGA is amount_total=100', async () => {
    // Prepare
    const c = checkout('MGA', '100.00', true);

    // Act
    const created = await callApi<{ psp_token: string }>(system, 'POST', '/v1/payments', c.body);
    const session = await stripe.checkout.sessions.retrieve(created.body.psp_token);

    // Assess
    expect(created.status).toBe(201);
    expect(session.amount_total).toBe(100);
    expect(session.currency).toBe('mga');
  });

  it('the simulator refuses a refund that is not a whole ISK, as Stripe does', async () => {
    // Prepare
    const c = checkout('ISK', '500');
    await callApi(system, 'POST', '/v1/payments', c.body);
    await waitForOrders(ctx, [c.orderId]);
    const [intentCreated] = eventsOf('payment_intent.created', c.orderId);
    const intentId = (intentCreated?.data.object as Stripe.PaymentIntent | undefined)?.id ?? '';

    // Act
    const refused = await stripe.refunds.create({ payment_intent: intentId, amount: 550 }).catch((e) => e);

    // Assess
    expect(refused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(refused.code).toBe('invalid_charge_amount_no_decimal_compatible');
  });
});

describe('the PSP limits, before anything is stored', () => {
  it('a hosted checkout below the PSP minimum is refused with a 400 and its ids stay free', async () => {
    // Prepare
    const c = checkout('USD', '0.20', true);

    // Act
    const refused = await callApi<{ error: { code: string } }>(system, 'POST', '/v1/payments', c.body);
    const orderAfterRefusal = await getOrder(ctx, c.orderId);
    const corrected = await callApi(system, 'POST', '/v1/payments', {
      ...c.body,
      payment_orders: [{ ...c.body.payment_orders[0], amount: '20.00' }],
    });

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('amount_below_minimum');
    expect(orderAfterRefusal).toBeUndefined();
    expect(corrected.status).toBe(201);
  });

  it.each([
    ['card', 'MGA', '100.50', 'amount_precision_not_supported'],
    ['hosted', 'HUF', '1234.56', 'amount_precision_not_supported'],
    ['card', 'KWD', '1.234', 'amount_precision_not_supported'],
    ['card', 'USD', '0.49', 'amount_below_minimum'],
    ['hosted', 'USD', '1000000.00', 'amount_above_maximum'],
    ['card', 'IQD', '1000.000', 'currency_not_supported'],
    ['hosted', 'IQD', '1000.000', 'currency_not_supported'],
  ])('%s mode, %s %s: 400 %s, nothing stored, nothing charged', async (mode, currency, text, code) => {
    // Prepare
    const c = checkout(currency, text, mode === 'hosted');
    const intentsBefore = system.psp.control.events().length;

    // Act
    const refused = await callApi<{ error: { code: string } }>(system, 'POST', '/v1/payments', c.body);

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe(code);
    expect(await getOrder(ctx, c.orderId)).toBeUndefined();
    expect(system.psp.control.events().length).toBe(intentsBefore);
  });
});
