/**
 * What exists, declared once. `lib/payments-stack.ts` turns this into CloudFormation; `sandbox/` runs it on
 * local engines. Add a function, route, queue or state machine here and both pick it up.
 */
import {
  CIRCUIT_ACCESS,
  loadShapingQueues,
  loadShapingTables,
  PSP_HOT_PATH_ENVIRONMENT,
  sweepShardWorker,
} from './load-shaping';
import { withOperator } from './operator';
import { ATTENTION_ACCESS, payinTables } from './payin';
import {
  PAYOUT_ENVIRONMENT,
  payoutFunctions,
  payoutRoutes,
  payoutSchedules,
  payoutSecrets,
  payoutStateMachines,
  payoutTableStreamEventSources,
  payoutTables,
} from './payouts';
import { productionFunctions, productionQueues, productionTableStreamEventSources } from './production';
import {
  reconciliationFunctions,
  reconciliationQueues,
  reconciliationTables,
  SETTLEMENTS_TRIGGER,
} from './reconciliation';
import { refundFunctions, refundRoutes, refundSchedules } from './refunds';
import type { Manifest } from './types';

export { envVarFor, localSecretValueEnvVar, pascalCase } from './naming';
export type * from './types';
export { apiOf, DEFAULT_MEMORY_MB, memoryOf } from './types';

/** Money-moving pay-in functions: the order, the ledger (append-only) and the wallets, and the PSP key. */
const PAYIN_MONEY_ACCESS = {
  tables: { payments: 'readWrite', ledger: 'append', wallets: 'readWrite', ...ATTENTION_ACCESS },
  secrets: ['stripe-api-key'],
} as const;

/** The platform's commission on every pay-in, and the pay-in's deadlines. */
const PAYIN_ENVIRONMENT = {
  PLATFORM_COMMISSION_BPS: '1000',
  PSP_TIMEOUT_MS: '5000',
} as const;

/** Default risk rules: checkout amount limits per currency, velocity per buyer; block list empty. */
const PAYIN_RISK_RULES = {
  RISK_MAX_CHECKOUT_AMOUNT: JSON.stringify({
    USD: '10000.00',
    EUR: '10000.00',
    GBP: '8000.00',
    JPY: '1500000',
  }),
  RISK_VELOCITY_MAX_CHECKOUTS: '10',
  RISK_VELOCITY_WINDOW_MINUTES: '10',
  RISK_BLOCKED_BUYERS: '',
} as const;

const declared: Manifest = {
  service: 'marketplace-payments',

  tables: [
    {
      id: 'payments',
      description: 'Checkouts (payment events), payment orders, their append-only history, and the outbox.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      // Sparse index of orders that are not terminal, keyed by a shard and their deadline (for the sweeper).
      // Keys only: an order's updates that keep its deadline (its PSP id, its ledger flags) then write nothing
      // to the index, and the sweeper reads each due order from the table anyway (consistently).
      globalIndexes: [
        {
          name: 'gsi1',
          partitionKey: { name: 'gsi1pk', type: 'S' },
          sortKey: { name: 'gsi1sk', type: 'S' },
          projection: 'KEYS_ONLY',
        },
      ],
      stream: true,
      money: true,
      // Only the risk rules' velocity counters expire; checkouts, orders and history never do.
      ttlAttribute: 'expires_at',
    },
    {
      id: 'ledger',
      description: 'Append-only double-entry ledger: transactions and entries (platform accounts sharded).',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      money: true,
      // Streamed only to watch it: a MODIFY or REMOVE of a ledger item raises an alarm (lib/manifest/production.ts).
      stream: true,
      appendOnly: true,
    },
    {
      id: 'wallets',
      description:
        'Seller wallets (available, reserved, paid out) and pay-out holds; changed only by postings.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      money: true,
    },
    {
      id: 'idempotency',
      description: 'API idempotency records: the first response to an Idempotency-Key, kept 24 h.',
      partitionKey: { name: 'pk', type: 'S' },
      ttlAttribute: 'expires_at',
    },
    {
      id: 'webhook-events',
      description: 'Webhook inbox: each PSP event stored once by its id.',
      partitionKey: { name: 'pk', type: 'S' },
      ttlAttribute: 'expires_at',
    },
    ...payoutTables,
    ...payinTables,
    ...loadShapingTables,
    ...reconciliationTables,
  ],

  queues: [
    {
      id: 'webhook-events',
      description: 'Verified PSP events waiting to be applied.',
      visibilityTimeoutSeconds: 180,
      deadLetter: { queue: 'webhook-events-dlq', maxReceiveCount: 5 },
    },
    {
      id: 'webhook-events-dlq',
      description: 'PSP events that failed to apply 5 times: an alarm fires on any message here.',
      visibilityTimeoutSeconds: 30,
      retentionDays: 14,
    },
    {
      id: 'domain-events-analytics',
      // No consumer yet: when one is added, its visibility timeout must be >= 6x that function's timeout.
      description: 'Subscriber of domain-events (raw delivery): money movements for analytics.',
      visibilityTimeoutSeconds: 60,
      deadLetter: { queue: 'domain-events-analytics-dlq', maxReceiveCount: 5 },
      retentionDays: 14,
    },
    {
      id: 'domain-events-analytics-dlq',
      description: 'Domain events the analytics receiver failed 5 times.',
      visibilityTimeoutSeconds: 30,
      retentionDays: 14,
    },
    {
      id: 'domain-events-publish-failures',
      description:
        'On-failure destination of the payments stream: batches of changes whose events could not be published.',
      visibilityTimeoutSeconds: 30,
      retentionDays: 14,
    },
    {
      id: 'checkout-close-failures',
      description:
        'On-failure destination of the checkout closer: changes of ended orders whose checkout could not be closed.',
      visibilityTimeoutSeconds: 30,
      retentionDays: 14,
    },
    ...productionQueues,
    ...loadShapingQueues,
    ...reconciliationQueues,
  ],

  buckets: [
    {
      id: 'settlements',
      description: "The PSP's nightly settlement files, and reconciliation reports.",
      // Evidence for auditors and disputes: kept unchangeable for 7 years (commercial record-keeping laws).
      objectLockDays: 7 * 365 + 2,
      onObjectCreated: SETTLEMENTS_TRIGGER,
    },
  ],

  secrets: [
    {
      id: 'stripe-api-key',
      description: 'Stripe secret API key.',
      localEnvVar: 'STRIPE_API_KEY',
      localDefault: 'sk_test_local_simulator',
    },
    {
      id: 'stripe-webhook-secret',
      description: 'Stripe webhook endpoint signing secret (whsec_...).',
      localEnvVar: 'STRIPE_WEBHOOK_SECRET',
      localDefault: 'whsec_local_simulator',
    },
    ...payoutSecrets,
  ],

  topics: [
    {
      id: 'domain-events',
      description: 'Money movements (orders succeeded/failed, checkouts completed) for other receivers.',
      subscribers: ['domain-events-analytics'],
    },
  ],

  functions: [
    ...payoutFunctions,
    {
      id: 'health',
      description: 'Liveness: answers with the service name and the time; touches nothing.',
      entry: 'lambdas/handlers/health.ts',
      timeoutSeconds: 3,
      // Public route: a flood on it must not take concurrency from checkouts.
      reservedConcurrency: 5,
    },
    {
      id: 'payin-risk-check',
      description:
        'Pay-in step: risk rules (amount limits, velocity per buyer, block list) before any charge.',
      entry: 'lambdas/handlers/payin-risk-check.ts',
      timeoutSeconds: 10,
      access: { tables: { payments: 'readWrite' } },
      environment: PAYIN_RISK_RULES,
    },
    {
      id: 'payin-execute-order',
      description:
        'Pay-in step: one PSP charge per payment order (idempotency key = order id), then its outcome.',
      entry: 'lambdas/handlers/payin-execute-order.ts',
      // One attempt per invocation (the workflow owns retries): at most create + confirm + a read, 3 s each.
      timeoutSeconds: 25,
      access: {
        ...PAYIN_MONEY_ACCESS,
        tables: { ...PAYIN_MONEY_ACCESS.tables, ...CIRCUIT_ACCESS },
      },
      // The same rules as the risk step: they assess a checkout whose workflow never ran.
      environment: { ...PAYIN_ENVIRONMENT, ...PAYIN_RISK_RULES, ...PSP_HOT_PATH_ENVIRONMENT },
      // The cap on concurrent charges: PSP requests/s <= concurrency / latency. Stripe's live default is 25/s
      // on POST /v1/payment_intents: 10 / 0.4 s (a fast charge) = 25/s. Raise it per deployment with the PSP's
      // raised limit (-c reservedConcurrency='{"payin-execute-order":500}', docs/deploy.md).
      reservedConcurrency: 10,
    },
    {
      id: 'payin-finalize-checkout',
      description: 'Pay-in step: set is_payment_done when every order of the checkout is terminal.',
      entry: 'lambdas/handlers/payin-finalize-checkout.ts',
      timeoutSeconds: 10,
      access: { tables: { payments: 'readWrite' } },
    },
    {
      id: 'psp-webhook',
      description:
        "The PSP's webhook: verifies the signature on the raw body, stores the event once, queues it.",
      entry: 'lambdas/handlers/psp-webhook.ts',
      timeoutSeconds: 10,
      access: {
        tables: { 'webhook-events': 'readWrite' },
        queues: { 'webhook-events': 'send' },
        secrets: ['stripe-webhook-secret'],
      },
      // Public route: a flood (or a storm of PSP retries) is capped here and cannot starve checkouts. 100 at
      // ~50 ms each is ~2,000 events/s, twice the webhook route's throttle.
      reservedConcurrency: 100,
    },
    {
      id: 'apply-webhook-events',
      description: 'Applies queued PSP events to payment orders, idempotently and forward-only.',
      entry: 'lambdas/handlers/apply-webhook-events.ts',
      timeoutSeconds: 30,
      access: {
        tables: {
          'webhook-events': 'readWrite',
          payments: 'readWrite',
          ledger: 'append',
          wallets: 'readWrite',
          payouts: 'readWrite',
          ...ATTENTION_ACCESS,
        },
        queues: { 'webhook-events': 'consume' },
        // Pay-out results (Connect bank payouts) answer the waiting pay-out workflow.
        stateMachines: { 'pay-out': 'callback' },
        // To cancel a PaymentIntent whose failure is not final before its order is recorded FAILED; to look
        // a payee network payment up before applying its event.
        secrets: ['stripe-api-key', 'payee-api-key'],
      },
      environment: { ...PAYIN_ENVIRONMENT, PAYOUT_RECHECK_MS: PAYOUT_ENVIRONMENT.PAYOUT_RECHECK_MS },
    },
    {
      id: 'sweep-payment-orders',
      description:
        'Every minute: fans the sweep out, one message per due-index shard with an order due to sweep-payment-orders-shard.',
      entry: 'lambdas/handlers/sweep-payment-orders.ts',
      timeoutSeconds: 10,
      // It reads the due index (one key per shard) to send a worker only where there is work.
      access: { tables: { payments: 'read' }, queues: { 'sweep-shards': 'send' } },
      // One dispatcher at a time (it only sends SWEEP_SHARDS messages).
      reservedConcurrency: 1,
    },
    // The same rules as the risk step: they assess a checkout whose workflow never ran.
    sweepShardWorker(PAYIN_MONEY_ACCESS, { ...PAYIN_ENVIRONMENT, ...PAYIN_RISK_RULES }),
    {
      id: 'create-payment',
      description:
        'POST /v1/payments: validates a checkout, stores it and its orders, starts the pay-in (idempotent).',
      entry: 'lambdas/handlers/create-payment.ts',
      // Bounds a PSP registration with its retries (hosted mode), below API Gateway's 29 s.
      timeoutSeconds: 20,
      access: {
        tables: { payments: 'readWrite', idempotency: 'readWrite', ledger: 'read', wallets: 'read' },
        stateMachines: { 'pay-in': 'start' },
        secrets: ['stripe-api-key'],
      },
      environment: {
        ...PAYIN_ENVIRONMENT,
        // A hosted-page checkout is assessed here, before its page is registered (the same rules).
        ...PAYIN_RISK_RULES,
        // Local values; a deployment sets the storefront's own (deploymentSettings, docs/deploy.md).
        HOSTED_SUCCESS_URL: 'http://localhost:8080/checkout/{CHECKOUT_ID}/done',
        HOSTED_CANCEL_URL: 'http://localhost:8080/checkout/{CHECKOUT_ID}/cancelled',
        // Stripe wants at least 30 minutes from ITS creation of the session: one minute of slack.
        HOSTED_PAGE_TTL_MINUTES: '60',
      },
      deploymentSettings: {
        HOSTED_SUCCESS_URL: 'storefrontSuccessUrl',
        HOSTED_CANCEL_URL: 'storefrontCancelUrl',
      },
    },
    {
      id: 'cancel-checkout',
      description:
        'POST /v1/checkouts/{checkout_id}/cancel: expires its hosted page, cancels its open PaymentIntents, FAILS its unpaid orders (idempotent).',
      entry: 'lambdas/handlers/cancel-checkout.ts',
      // A few PSP calls per order (cancel, retrieve) with their retries, below API Gateway's 29 s.
      timeoutSeconds: 20,
      // A payment that won the race is posted here (order + ledger + wallet), like the webhook would.
      access: {
        tables: { ...PAYIN_MONEY_ACCESS.tables, idempotency: 'readWrite' },
        secrets: PAYIN_MONEY_ACCESS.secrets,
      },
      environment: PAYIN_ENVIRONMENT,
    },
    {
      id: 'get-payment-order',
      description: 'GET /v1/payments/{payment_order_id}: an order, its status and its history.',
      entry: 'lambdas/handlers/get-payment-order.ts',
      timeoutSeconds: 10,
      access: { tables: { payments: 'read' }, secrets: ['stripe-api-key'] },
      environment: { PSP_TIMEOUT_MS: PAYIN_ENVIRONMENT.PSP_TIMEOUT_MS },
    },
    {
      id: 'get-checkout',
      description: 'GET /v1/checkouts/{checkout_id}: a checkout, is_payment_done and its orders.',
      entry: 'lambdas/handlers/get-checkout.ts',
      timeoutSeconds: 10,
      access: { tables: { payments: 'read' } },
    },
    {
      id: 'get-seller-wallet',
      description:
        "GET /v1/sellers/{seller_account}/wallet (a seller's balances) and GET /v1/buyers/{buyer_id}/totals (what a buyer paid, net).",
      entry: 'lambdas/handlers/get-seller-wallet.ts',
      timeoutSeconds: 10,
      access: { tables: { ledger: 'read', wallets: 'read', payouts: 'read' } },
    },
    {
      id: 'publish-domain-events',
      description:
        "Payments and payouts tables' streams -> order history items, domain events on the domain-events topic (at least once), and the buyer totals.",
      entry: 'lambdas/handlers/publish-domain-events.ts',
      timeoutSeconds: 30,
      access: {
        topics: ['domain-events'],
        queues: { 'domain-events-publish-failures': 'send' },
        // Order history (lambdas/payments/history-projection.ts): appended to the payments table, never an
        // update or delete. Buyer totals (lambdas/refunds/buyer-totals.ts): an order's checkout is read for
        // its buyer; the lines are written to the wallets table. Both off the pay-in path.
        tables: { payments: 'append', wallets: 'readWrite' },
      },
    },
    {
      id: 'close-finished-checkouts',
      description:
        "Payments table's stream -> is_payment_done on the checkout whose last order has just ended (the close a crashed invocation missed).",
      entry: 'lambdas/handlers/close-finished-checkouts.ts',
      timeoutSeconds: 30,
      access: {
        queues: { 'checkout-close-failures': 'send' },
        // The checkout and its orders are read; only the checkout's is_payment_done is written.
        tables: { payments: 'readWriteNoDelete' },
      },
    },
    ...refundFunctions,
    ...productionFunctions,
    ...reconciliationFunctions,
  ],

  routes: [
    {
      method: 'GET',
      path: '/v1/health',
      function: 'health',
      apiKeyRequired: false,
      authorization: { by: 'none', reason: 'Liveness probe: answers a constant and touches no data.' },
      throttle: { rateLimit: 10, burstLimit: 20 },
    },
    { method: 'POST', path: '/v1/payments', function: 'create-payment', apiKeyRequired: true },
    {
      method: 'GET',
      path: '/v1/payments/{payment_order_id}',
      function: 'get-payment-order',
      apiKeyRequired: true,
    },
    { method: 'GET', path: '/v1/checkouts/{checkout_id}', function: 'get-checkout', apiKeyRequired: true },
    {
      method: 'POST',
      path: '/v1/checkouts/{checkout_id}/cancel',
      function: 'cancel-checkout',
      apiKeyRequired: true,
    },
    {
      method: 'GET',
      path: '/v1/sellers/{seller_account}/wallet',
      function: 'get-seller-wallet',
      apiKeyRequired: true,
    },
    // The same function (it dispatches on the route): no Lambda function or permission more in the stack.
    {
      method: 'GET',
      path: '/v1/buyers/{buyer_id}/totals',
      function: 'get-seller-wallet',
      apiKeyRequired: true,
    },
    ...payoutRoutes,
    // Authenticated by its signature, not by the storefront's API key.
    {
      method: 'POST',
      path: '/v1/webhooks/psp',
      function: 'psp-webhook',
      apiKeyRequired: false,
      authorization: {
        by: 'pspSignature',
        reason: 'The PSP cannot send our API key; its HMAC signature on the raw body is verified first.',
      },
      // Its own budget: a flood on the webhook is refused here.
      throttle: { rateLimit: 1000, burstLimit: 2000 },
      // On the HTTP API ($1.00 per million requests, not $3.50): its signature is its authentication.
      api: 'webhooks',
    },
    ...refundRoutes,
  ],

  queueEventSources: [
    {
      queue: 'webhook-events',
      function: 'apply-webhook-events',
      batchSize: 10,
      reportBatchItemFailures: true,
    },
    // One shard per invocation: each message is up to a worker's whole time budget.
    {
      queue: 'sweep-shards',
      function: 'sweep-payment-orders-shard',
      batchSize: 1,
      reportBatchItemFailures: true,
    },
  ],

  tableStreamEventSources: [
    {
      table: 'payments',
      function: 'publish-domain-events',
      batchSize: 50,
      // Everything still in the stream when the mapping is created: no committed change is left out.
      startingPosition: 'TRIM_HORIZON',
      maxRetryAttempts: 10,
      bisectBatchOnFunctionError: true,
      onFailureQueue: 'domain-events-publish-failures',
      reportBatchItemFailures: true,
    },
    {
      table: 'payments',
      function: 'close-finished-checkouts',
      batchSize: 50,
      startingPosition: 'TRIM_HORIZON',
      maxRetryAttempts: 10,
      bisectBatchOnFunctionError: true,
      onFailureQueue: 'checkout-close-failures',
      reportBatchItemFailures: true,
      // An order's current state written with a terminal status: the function checks that it has just changed.
      filter: {
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: {
          Keys: { pk: { S: [{ prefix: 'ORDER#' }] }, sk: { S: ['META'] } },
          NewImage: { status: { S: ['SUCCESS', 'FAILED'] } },
        },
      },
    },
    ...payoutTableStreamEventSources,
    ...productionTableStreamEventSources,
  ],

  schedules: [
    { id: 'sweep-payment-orders-every-minute', function: 'sweep-payment-orders', everyMinutes: 1 },
    ...payoutSchedules,
    ...refundSchedules,
  ],

  stateMachines: [
    {
      id: 'pay-in',
      description: 'Pay-in: risk check, one PSP charge per order, close the checkout.',
      definitionFile: 'statemachines/pay-in.asl.json',
      // Express: pay-ins are many and short (seconds) and every step is idempotent, so at-least-once is safe;
      // about $1 per million executions plus duration, against ~$25 per million transitions for Standard.
      type: 'EXPRESS',
      functionSubstitutions: {
        RiskCheckFunctionArn: 'payin-risk-check',
        ExecuteOrderFunctionArn: 'payin-execute-order',
        FinalizeCheckoutFunctionArn: 'payin-finalize-checkout',
      },
    },
    ...payoutStateMachines,
  ],
};

/** The declared system plus the operator's API, which spans every queue declared above. */
export const manifest: Manifest = withOperator(declared);
