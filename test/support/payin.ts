/** Helpers for pay-in tests: the payments context of a test system, invariants, and waiting for orders. */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type AttentionContext, attentionSink } from '../../lambdas/attention';
import { verifyLedger, walletBalances } from '../../lambdas/ledger';
import { type CurrencyCode, formatAmount, parseAmount } from '../../lambdas/money';
import {
  type ExecutionDependencies,
  getOrder,
  getOrders,
  orderHistory,
  type PaymentsContext,
} from '../../lambdas/payments';
import { isTerminal, type OrderHistoryEntry, type PaymentOrder } from '../../lambdas/payments/model';
import { type SubmitResult, submitCheckout } from '../../lambdas/payments/submit';
import type { PaymentProvider } from '../../lambdas/psp/port';
import { createStripeClient, StripePaymentProvider } from '../../lambdas/psp/stripe-provider';
import { DefaultRiskRules, riskRulesFromEnv } from '../../lambdas/risk/rules';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../sandbox/local-system';
import { localDocumentClient } from './engines';
import { eventually } from './runtime';
import { startTestSystem } from './system';

export function paymentsContextOf(system: LocalSystem): PaymentsContext {
  const { tables } = system.names;
  return {
    db: localDocumentClient(),
    tables: { payments: tables.payments ?? '', ledger: tables.ledger ?? '', wallets: tables.wallets ?? '' },
    commissionBps: Number(system.runtime.environment.PLATFORM_COMMISSION_BPS ?? 1000),
    attention: attentionSink(attentionContextOf(system)),
  };
}

/** The needs-attention store of a test system. */
export function attentionContextOf(system: LocalSystem): AttentionContext {
  return { db: localDocumentClient(), table: system.names.tables.attention ?? '' };
}

export async function waitForOrders(
  ctx: PaymentsContext,
  orderIds: readonly string[],
  done: (orders: PaymentOrder[]) => boolean = (orders) => orders.every((o) => isTerminal(o.status)),
  timeoutMs = 30_000,
): Promise<PaymentOrder[]> {
  return eventually(async () => {
    const orders = await getOrders(ctx, orderIds);
    return orders.length === orderIds.length && done(orders) ? orders : undefined;
  }, timeoutMs);
}

/**
 * An order's history once the table's stream has appended its current version's move: history is written off
 * the order's write path (lambdas/payments/history-projection.ts), so it lags the order by a moment.
 */
export async function settledHistory(
  ctx: PaymentsContext,
  orderId: string,
  timeoutMs = 20_000,
): Promise<OrderHistoryEntry[]> {
  return eventually(async () => {
    const [order, history] = await Promise.all([getOrder(ctx, orderId), orderHistory(ctx, orderId)]);
    return order && history.at(-1)?.version === order.version ? history : undefined;
  }, timeoutMs);
}

/** Invariants 2 and 3 of DESIGN.md §8: balanced ledger, wallets equal their entries and are never negative. */
export async function assertLedgerInvariants(ctx: PaymentsContext): Promise<void> {
  const report = await verifyLedger({
    db: ctx.db,
    tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets },
  });
  if (!report.ok) throw new Error(`ledger check failed:\n${report.problems.join('\n')}`);
  for (const [currency, total] of Object.entries(report.totals)) {
    if (total !== 0n) throw new Error(`ledger does not sum to zero in ${currency}: ${total}`);
  }
}

export async function availableBalance(
  ctx: PaymentsContext,
  sellerId: string,
  currency: string,
): Promise<string> {
  const balances = await walletBalances(
    { db: ctx.db, tables: { ledger: ctx.tables.ledger, wallets: ctx.tables.wallets } },
    sellerId,
  );
  const wallet = balances.find((b) => b.currency === currency);
  return wallet ? formatAmount(wallet.available) : '0';
}

/**
 * Invariants 1 and 5 of DESIGN.md §8 over every order of a test system: one PaymentIntent per order at the
 * PSP, and every order terminal, or waiting with a deadline (PENDING also with a reason) so none is lost.
 */
const CHARGING_EVENTS = new Set([
  'payment_intent.succeeded',
  'payment_intent.processing',
  'payment_intent.amount_capturable_updated',
]);

export async function assertOrderInvariants(system: LocalSystem, ctx: PaymentsContext): Promise<void> {
  const orders: PaymentOrder[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.db.send(
      new ScanCommand({
        TableName: ctx.tables.payments,
        FilterExpression: 'begins_with(pk, :order) AND sk = :meta',
        ExpressionAttributeValues: { ':order': 'ORDER#', ':meta': 'META' },
        ExclusiveStartKey: start,
      }),
    );
    orders.push(...((page.Items ?? []) as PaymentOrder[]));
    start = page.LastEvaluatedKey;
  } while (start);
  // A charge is an intent that moved money (or is moving it), not one created: an unconfirmed intent left by a
  // create whose answer was a saved 5xx is never confirmed, so it charges nothing.
  const intentsByOrder = new Map<string, Set<string>>();
  for (const event of system.psp.control.events()) {
    if (!CHARGING_EVENTS.has(event.type)) continue;
    const object = event.data.object as { id?: string; metadata?: Record<string, string> };
    const orderId = object.metadata?.payment_order_id;
    if (!orderId || !object.id) continue;
    const intents = intentsByOrder.get(orderId) ?? new Set<string>();
    intents.add(object.id);
    intentsByOrder.set(orderId, intents);
  }
  const charges = new Map([...intentsByOrder].map(([orderId, intents]) => [orderId, intents.size]));
  for (const order of orders) {
    const where = `order ${order.payment_order_id} (${order.status})`;
    if ((charges.get(order.payment_order_id) ?? 0) > 1)
      throw new Error(`${where} was charged more than once`);
    if (isTerminal(order.status)) continue;
    if (!order.deadline) throw new Error(`${where} is not terminal and has no deadline`);
    if (order.status === 'PENDING' && !order.pending_reason)
      throw new Error(`${where} is PENDING without a reason`);
  }
}

/** What the executor and the sweeper need, as the functions build it, for tests that call them directly. */
export function executionDependencies(
  system: LocalSystem,
  ctx: PaymentsContext,
  psp: PaymentProvider,
): ExecutionDependencies {
  return {
    psp,
    risk: new DefaultRiskRules(riskRulesFromEnv(system.runtime.environment), {
      db: ctx.db,
      table: ctx.tables.payments,
    }),
  };
}

/** The PSP client the functions build, pointed at the test system's simulator, for tests that call use cases. */
export function testPaymentProvider(system: LocalSystem): StripePaymentProvider {
  return new StripePaymentProvider(
    createStripeClient({ apiKey: 'sk_test_e2e', apiBase: system.endpoints.psp, timeoutMs: 2_000 }),
  );
}

let submitted = 0;

/**
 * Submits a USD checkout the way the API does (the same use case), starting the pay-in workflow through the
 * local Step Functions endpoint unless told not to (to play a workflow that never ran).
 */
export async function submitTestCheckout(
  system: LocalSystem,
  ctx: PaymentsContext,
  psp: PaymentProvider,
  request: {
    label: string;
    orders: readonly { seller: string; amount: string }[];
    paymentMethod?: string;
    startWorkflow?: boolean;
    /** USD unless told; the orders' amounts are read in it. */
    currency?: CurrencyCode;
    /** A buyer of the test's own (a fresh one per checkout unless told). */
    buyerId?: string;
  },
): Promise<SubmitResult> {
  submitted++;
  // Base 36: letters keep digit runs short, so an id never reads as a Luhn-valid card number to the API's guard.
  const checkoutId = `co_${request.label}_${submitted}_${Date.now().toString(36)}`;
  const sfn = new SFNClient({
    endpoint: system.endpoints.stepFunctions,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    return await submitCheckout(
      ctx,
      {
        psp,
        risk: executionDependencies(system, ctx, psp).risk,
        startWorkflow: async (id, orderIds) => {
          if (request.startWorkflow === false) return;
          await sfn.send(
            new StartExecutionCommand({
              stateMachineArn: system.runtime.stepFunctions.arnOf('pay-in'),
              name: id,
              input: JSON.stringify({ checkout_id: id, payment_order_ids: orderIds }),
            }),
          );
        },
        hostedPage: {
          successUrl: 'https://shop.example/co/{CHECKOUT_ID}/done',
          cancelUrl: 'https://shop.example/co/{CHECKOUT_ID}/cancel',
          ttlMs: 60 * 60_000,
        },
      },
      {
        checkoutId,
        buyer: {
          buyer_id: request.buyerId ?? `buyer_${request.label}_${submitted}`,
          email: 'buyer@example.com',
        },
        currency: request.currency ?? 'USD',
        ...(request.paymentMethod ? { paymentMethod: request.paymentMethod } : {}),
        orders: request.orders.map((o, i) => ({
          paymentOrderId: `${checkoutId}_po${i + 1}`,
          sellerAccount: o.seller,
          amount: parseAmount(o.amount, request.currency ?? 'USD'),
        })),
      },
    );
  } finally {
    sfn.destroy();
  }
}

export interface PayinTestSystem {
  readonly system: LocalSystem;
  readonly ctx: PaymentsContext;
  readonly psp: StripePaymentProvider;
}

/**
 * The hooks every pay-in integration file needs: a local system of its own (started before all, stopped after
 * all), its payments context and a test PSP client handed to `use`, and after each test the PSP's faults cleared
 * and the order and ledger invariants (DESIGN.md §8: 1, 2, 3, 5) checked, whatever the test did.
 */
export function usePayinSystem(
  use: (s: PayinTestSystem) => void,
  options: {
    /** Before the system starts (e.g. environment the functions read at start). */
    readonly beforeStart?: () => void;
    /** After each test, before the invariants (e.g. lift a rate limit, wait for webhooks). */
    readonly afterEachTest?: (s: PayinTestSystem) => Promise<void>;
  } = {},
): void {
  let started: PayinTestSystem | undefined;
  beforeAll(async () => {
    options.beforeStart?.();
    const system = await startTestSystem();
    started = { system, ctx: paymentsContextOf(system), psp: testPaymentProvider(system) };
    use(started);
  });
  afterEach(async () => {
    if (!started) return;
    started.system.psp.control.clearFaults();
    await options.afterEachTest?.(started);
    await assertOrderInvariants(started.system, started.ctx);
    await assertLedgerInvariants(started.ctx);
  });
  afterAll(async () => {
    await started?.system.stop();
  });
}

/** What the buyer's browser posts on the PSP's hosted page: a test card that succeeds. Answers the redirect. */
export function payHostedPage(url: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      email: 'buyer@example.com',
      cardNumber: '4242 4242 4242 4242',
      cardExpiry: '12 / 34',
      cardCvc: '123',
    }),
    redirect: 'manual',
  });
}
