/**
 * A Stripe-compatible PSP simulator: `startPspSimulator(options)` starts an HTTP server that the real `stripe`
 * SDK can talk to (`new Stripe(key, { host: '127.0.0.1', port, protocol: 'http' })`), with fault injection,
 * signed webhooks and settlement files. State is in memory, or kept in `dataDir` across restarts
 * (persistence.ts). See README.md in this folder.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiAccess } from './access';
import { type Clock, SimClock } from './clock';
import { connectPayoutRoutes, connectPayoutsOf } from './connect-payouts';
import { PspControl } from './control';
import { PspEngine } from './engine';
import { FaultInjector, type FaultRule } from './faults';
import { DEFAULT_FEES, type FeeSchedule } from './fees';
import { HoldGate } from './gate';
import { IdempotencyStore } from './idempotency';
import { DEFAULT_MONEY_BACK, MoneyBack, type MoneyBackConfig } from './money-back';
import type { StripeEvent } from './objects';
import { PayeeNetwork } from './payee-network';
import { SimulatorPersistence } from './persistence';
import { randomToken } from './random';
import type { Route } from './router';
import { checkoutSessionRoutes } from './routes/checkout-sessions';
import { disputeRoutes } from './routes/disputes';
import { lookupRoutes } from './routes/lookups';
import { paymentIntentRoutes } from './routes/payment-intents';
import { refundRoutes } from './routes/refunds';
import { transferRoutes } from './routes/transfers';
import { createRequestHandler } from './server';
import { type SettlementS3Config, SettlementService } from './settlement';
import { Store } from './store';
import { subscribed, WebhookDispatcher, type WebhookEndpointConfig } from './webhooks';

export type { Clock } from './clock';
export type { PspControl } from './control';
export type { DestinationMode } from './engine';
export type { ApiFaultRule, FaultRule, WebhookFaultRule } from './faults';
export type { FeeSchedule } from './fees';
export { chargeFee, DEFAULT_FEES } from './fees';
export type { StripeEvent } from './objects';
export type { PayeeEvent, PayeeNetwork, PayeeOutcome, PayeePayment } from './payee-network';
export { signPayeePayload } from './payee-network';
export type {
  Discrepancy,
  PublishedSettlement,
  SettlementOptions,
  SettlementReport,
  SettlementS3Config,
} from './settlement';
export { PAYOUT_RECONCILIATION_COLUMNS, REPORT_TYPE } from './settlement';
export type { DeliveryRecord, WebhookEndpoint, WebhookEndpointConfig } from './webhooks';
export { signPayload } from './webhooks';

export const DEFAULT_PSP_PORT = 12111;

export interface PspSimulatorOptions {
  /** Default 12111; 0 picks a free port. */
  port?: number;
  host?: string;
  /** Base URL used in hosted-page links (`session.url`, 3DS). Default `http://<host>:<port>`. */
  publicUrl?: string;
  /** Secret keys accepted. Default: any key starting with `sk_test_`. */
  apiKeys?: string[];
  /** Keys of the asynchronous payout provider (`/payee/v1`). Default: any key starting with `payee_test_`. */
  payeeApiKeys?: string[];
  webhookEndpoints?: WebhookEndpointConfig[];
  settlement?: SettlementS3Config;
  /** Seed for fault decisions. Default: random (printed by `seed` on the returned simulator). */
  seed?: string | number;
  faults?: FaultRule[];
  /** Refund delays, the dispute fee and whether a won dispute returns it (see money-back.ts). */
  moneyBack?: Partial<MoneyBackConfig>;
  /** Simulator time source (ms). Default: the system clock. The control API moves it forward. */
  clock?: Clock;
  /** First webhook retry delay; doubles each attempt. Default 1000 ms. */
  webhookRetryBaseMs?: number;
  /** Cap on the webhook retry delay. Default 60 s. */
  webhookRetryMaxDelayMs?: number;
  /** Per-attempt timeout for a webhook POST. Default 10 s. */
  webhookTimeoutMs?: number;
  fees?: FeeSchedule;
  /** Simulator-clock delay before a `processing` payment settles by itself. Default 10 s. */
  processingDelayMs?: number;
  /** Simulator-clock delay before an async pay-out's result arrives by itself. Default 10 s. */
  asyncPayoutDelayMs?: number;
  /** Simulator-clock delay before a connected account's bank payout is paid or fails. Default: asyncPayoutDelayMs. */
  connectPayoutDelayMs?: number;
  /** Days between a transaction and its settlement day (`available_on`). Default 0 (same day). */
  settlementDelayDays?: number;
  log?: (line: string) => void;
  /**
   * Keep every object, event and idempotency key in this folder, durably, across restarts (as Stripe does).
   * Default: in memory only.
   */
  dataDir?: string;
}

export interface PspSimulator {
  readonly url: string;
  readonly port: number;
  readonly seed: string | number;
  readonly control: PspControl;
  /** Whether the state was loaded from `dataDir` (a restart). */
  readonly restored: boolean;
  /**
   * After a restart: sends every event again that a registered endpoint had not acknowledged before (call it
   * once the endpoints are registered). Answers how many deliveries were started.
   */
  resumeWebhooks(): number;
  stop(): Promise<void>;
}

export async function startPspSimulator(options: PspSimulatorOptions = {}): Promise<PspSimulator> {
  const host = options.host ?? '127.0.0.1';
  const seed = options.seed ?? randomToken(12);
  const log = options.log ?? (() => undefined);
  const clock = new SimClock(options.clock);
  const store = new Store();
  const faults = new FaultInjector(seed);
  for (const rule of options.faults ?? []) faults.add(rule);
  const webhooks = new WebhookDispatcher({
    retryBaseMs: options.webhookRetryBaseMs ?? 1000,
    retryMaxDelayMs: options.webhookRetryMaxDelayMs ?? 60_000,
    attemptTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    pickFaults: (type, endpoint) => faults.pickWebhook(type, endpoint),
    log,
  });
  for (const endpoint of options.webhookEndpoints ?? []) webhooks.addEndpoint(endpoint);

  let baseUrl = options.publicUrl ?? '';
  const fees = options.fees ?? DEFAULT_FEES;
  const engine = new PspEngine(store, clock, webhooks, {
    baseUrl: () => baseUrl,
    fees,
    processingDelayMs: options.processingDelayMs ?? 10_000,
    asyncPayoutDelayMs: options.asyncPayoutDelayMs ?? 10_000,
    settlementDelayDays: options.settlementDelayDays ?? 0,
  });
  const settlement = new SettlementService(store, fees, options.settlement);
  const gate = new HoldGate();
  const control = new PspControl(engine, clock, faults, gate, webhooks, settlement);
  // Set once persistence exists (below): an acknowledged payee delivery is written like any other change.
  let persistPayees: (() => void) | undefined;
  const payees = new PayeeNetwork(clock, faults, {
    retryBaseMs: options.webhookRetryBaseMs ?? 1000,
    log,
    onChange: () => persistPayees?.(),
  });
  engine.onTick((now) => payees.tick(now));
  control.payees = payees;
  const payeeKeys = options.payeeApiKeys ? new Set(options.payeeApiKeys) : undefined;
  const moneyBack = new MoneyBack(engine, { ...DEFAULT_MONEY_BACK, ...options.moneyBack });
  engine.moneyBack = moneyBack;
  control.moneyBack = moneyBack;
  const keys = options.apiKeys ? new Set(options.apiKeys) : undefined;
  const access = new ApiAccess((key) => (keys ? keys.has(key) : key.startsWith('sk_test_')));
  control.access = access;
  const routes: Route[] = [
    ...paymentIntentRoutes,
    ...checkoutSessionRoutes,
    ...refundRoutes,
    ...disputeRoutes,
    ...transferRoutes,
    ...connectPayoutRoutes,
    ...lookupRoutes,
  ];
  connectPayoutsOf(engine, () => options.connectPayoutDelayMs ?? options.asyncPayoutDelayMs ?? 10_000);

  const idempotency = new IdempotencyStore(clock);
  const persistence = options.dataDir
    ? new SimulatorPersistence(options.dataDir, { store, clock, idempotency, webhooks, payees })
    : undefined;
  const restored = persistence?.load() ?? false;
  if (restored) log(`state restored from ${options.dataDir}`);
  const persist = persistence ? () => persistence.save() : undefined;
  persistPayees = persist;

  const server = createServer(
    createRequestHandler({
      engine,
      routes,
      faults,
      idempotency,
      ...(persist ? { persist } : {}),
      gate,
      control,
      payee: {
        network: payees,
        acceptsKey: (key) => (payeeKeys ? payeeKeys.has(key) : key.startsWith('payee_test_')),
      },
      access,
      log,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PSP_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  if (!baseUrl) baseUrl = url;

  // Lets time-driven work (session expiry, async settlement) happen without a request to trigger it.
  const ticker = setInterval(() => {
    try {
      engine.tick();
      persist?.();
    } catch (error) {
      log(`tick failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }, 250);
  ticker.unref();

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    seed,
    control,
    restored,
    resumeWebhooks() {
      if (!persistence) return 0;
      let started = 0;
      for (const endpoint of webhooks.listEndpoints()) {
        const wanted = (event: StripeEvent) => subscribed(endpoint, event.type);
        for (const event of persistence.undelivered(endpoint.url, wanted)) {
          webhooks.dispatchTo(endpoint.id, event);
          started++;
        }
      }
      return started;
    },
    stop() {
      stopping ??= (async () => {
        clearInterval(ticker);
        gate.release();
        payees.stop();
        await webhooks.stop();
        settlement.stop();
        persist?.();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
