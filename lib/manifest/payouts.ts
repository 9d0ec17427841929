/**
 * Pay-out resources: the payouts table, the API functions and routes, the workflow steps, the sweeper and
 * its schedule, and the pay-out state machine. Spread into the manifest by `index.ts`.
 */

import { ATTENTION_ACCESS } from './payin';
import type {
  FunctionSpec,
  RouteSpec,
  ScheduleSpec,
  SecretSpec,
  StateMachineSpec,
  TableSpec,
  TableStreamEventSourceSpec,
} from './types';

/** Functions that move money for payouts: the payout, the ledger (append-only), the wallets, the PSP key. */
const PAYOUT_MONEY_ACCESS = {
  // The attention table: a payout stuck at the provider, or one whose lookups keep failing, reaches a person.
  tables: { payouts: 'readWrite', ledger: 'append', wallets: 'readWrite', ...ATTENTION_ACCESS },
  secrets: ['stripe-api-key', 'payee-api-key'],
} as const;

/**
 * Where the functions that call payout providers find the payee network when deployed (CDK context
 * `payeeApiBase`, lib/config.ts); the local runtime points them at the simulator (sandbox/environment.ts).
 */
const PAYEE_DEPLOYMENT_SETTINGS = { PAYEE_API_BASE: 'payeeApiBase' } as const;

/** Timings of a payout; tests shorten them. */
export const PAYOUT_ENVIRONMENT = {
  PSP_TIMEOUT_MS: '5000',
  // A hold lives 7 days before the sweeper must resolve it by lookup (Stripe's bank payouts take ~2 days).
  PAYOUT_HOLD_TTL_MS: String(7 * 86_400_000),
  PAYOUT_FIRST_CHECK_MS: String(10 * 60_000),
  PAYOUT_RECHECK_MS: String(86_400_000),
  // The workflow's wait for a result before it looks the payout up, per provider (its usual time): Stripe's
  // bank payouts take about 2 days; the payee network clears in up to 5. Tests shorten them.
  PAYOUT_AWAIT_SECONDS_STRIPE_CONNECT: String(2 * 86_400),
  PAYOUT_AWAIT_SECONDS_PAYEE_NETWORK: String(5 * 86_400),
} as const;

/** The payee network (the asynchronous payout provider): its API key and its webhook's signing secret. */
export const payoutSecrets: SecretSpec[] = [
  {
    id: 'payee-api-key',
    description: "The payee network's API key (the asynchronous payout provider).",
    localEnvVar: 'PAYEE_API_KEY',
    localDefault: 'payee_test_local_simulator',
  },
  {
    id: 'payee-webhook-secret',
    description: "The payee network's webhook signing secret (X-Payee-Signature).",
    localEnvVar: 'PAYEE_WEBHOOK_SECRET',
    localDefault: 'payee_whsec_local_simulator',
  },
];

export const payoutTables: TableSpec[] = [
  {
    id: 'payouts',
    description: "Sellers' payout settings, payouts and their append-only history.",
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    // Streamed for the domain events payout.paid / payout.failed / payout.returned (lambdas/events).
    stream: true,
    globalIndexes: [
      // Sparse: open payouts by their next check (the sweeper), and sellers on a schedule.
      { name: 'gsi1', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } },
      // A seller's payouts, newest first.
      { name: 'gsi2', partitionKey: { name: 'gsi2pk', type: 'S' }, sortKey: { name: 'gsi2sk', type: 'S' } },
    ],
  },
];

export const payoutFunctions: FunctionSpec[] = [
  {
    id: 'put-seller',
    description:
      "PUT /v1/sellers/{seller_account}: a seller's payout destination, schedule, minimums, hold days.",
    entry: 'lambdas/handlers/put-seller.ts',
    timeoutSeconds: 10,
    access: { tables: { payouts: 'readWrite' } },
  },
  {
    id: 'pause-seller-payouts',
    description: 'POST /v1/sellers/{seller_account}/payouts/pause and /resume.',
    entry: 'lambdas/handlers/pause-seller-payouts.ts',
    timeoutSeconds: 10,
    access: { tables: { payouts: 'readWrite' } },
  },
  {
    id: 'create-payout',
    description:
      'POST /v1/payouts: checks payability, reserves the hold with the payout, starts the pay-out.',
    entry: 'lambdas/handlers/create-payout.ts',
    timeoutSeconds: 25,
    access: {
      tables: { payouts: 'readWrite', ledger: 'append', wallets: 'readWrite', idempotency: 'readWrite' },
      stateMachines: { 'pay-out': 'start' },
    },
    environment: PAYOUT_ENVIRONMENT,
  },
  {
    id: 'get-payout',
    description: 'GET /v1/payouts/{payout_id}: status, history, provider reference, failure reason.',
    entry: 'lambdas/handlers/get-payout.ts',
    timeoutSeconds: 10,
    access: { tables: { payouts: 'read' } },
  },
  {
    id: 'list-seller-payouts',
    description: "GET /v1/sellers/{seller_account}/payouts: a seller's payouts, newest first.",
    entry: 'lambdas/handlers/list-seller-payouts.ts',
    timeoutSeconds: 10,
    access: { tables: { payouts: 'read' } },
  },
  {
    id: 'payout-submit',
    description:
      'Pay-out step: submit to the provider or look the payout up there (look up first, never twice).',
    entry: 'lambdas/handlers/payout-submit.ts',
    timeoutSeconds: 25,
    access: { ...PAYOUT_MONEY_ACCESS, stateMachines: { 'pay-out': 'callback' } },
    environment: PAYOUT_ENVIRONMENT,
    deploymentSettings: PAYEE_DEPLOYMENT_SETTINGS,
  },
  {
    id: 'payout-await-result',
    description: "Pay-out step: keeps the workflow's task token on the payout for the webhook to answer.",
    entry: 'lambdas/handlers/payout-await-result.ts',
    timeoutSeconds: 10,
    access: { ...PAYOUT_MONEY_ACCESS, stateMachines: { 'pay-out': 'callback' } },
    environment: PAYOUT_ENVIRONMENT,
    deploymentSettings: PAYEE_DEPLOYMENT_SETTINGS,
  },
  {
    id: 'payout-webhook',
    description:
      "The payee network's webhook: verifies its signature on the raw body, stores the event once, queues it.",
    entry: 'lambdas/handlers/payout-webhook.ts',
    timeoutSeconds: 10,
    access: {
      tables: { 'webhook-events': 'readWrite' },
      queues: { 'webhook-events': 'send' },
      secrets: ['payee-webhook-secret'],
    },
    // Public route: a flood is capped here and cannot starve the rest (as the PSP's webhook).
    reservedConcurrency: 20,
  },
  {
    id: 'sweep-payouts',
    description:
      'Every 5 minutes: scheduled payouts (schedule, minimum) and lookups of open payouts due a check.',
    entry: 'lambdas/handlers/sweep-payouts.ts',
    timeoutSeconds: 120,
    access: { ...PAYOUT_MONEY_ACCESS, stateMachines: { 'pay-out': 'startAndCallback' } },
    environment: PAYOUT_ENVIRONMENT,
    deploymentSettings: PAYEE_DEPLOYMENT_SETTINGS,
    reservedConcurrency: 1,
  },
];

export const payoutRoutes: RouteSpec[] = [
  { method: 'PUT', path: '/v1/sellers/{seller_account}', function: 'put-seller', apiKeyRequired: true },
  {
    method: 'POST',
    path: '/v1/sellers/{seller_account}/payouts/pause',
    function: 'pause-seller-payouts',
    apiKeyRequired: true,
  },
  {
    method: 'POST',
    path: '/v1/sellers/{seller_account}/payouts/resume',
    function: 'pause-seller-payouts',
    apiKeyRequired: true,
  },
  {
    method: 'GET',
    path: '/v1/sellers/{seller_account}/payouts',
    function: 'list-seller-payouts',
    apiKeyRequired: true,
  },
  { method: 'POST', path: '/v1/payouts', function: 'create-payout', apiKeyRequired: true },
  { method: 'GET', path: '/v1/payouts/{payout_id}', function: 'get-payout', apiKeyRequired: true },
  // Authenticated by the payee network's signature, not by the storefront's API key.
  {
    method: 'POST',
    path: '/v1/webhooks/payouts',
    function: 'payout-webhook',
    apiKeyRequired: false,
    authorization: {
      by: 'pspSignature',
      reason:
        'The payee network cannot send our API key; its HMAC signature (X-Payee-Signature) on the raw body is verified first.',
    },
    throttle: { rateLimit: 200, burstLimit: 400 },
    api: 'webhooks',
  },
];

/** Payout changes -> domain events, by the same publisher as the payments table's. */
export const payoutTableStreamEventSources: TableStreamEventSourceSpec[] = [
  {
    table: 'payouts',
    function: 'publish-domain-events',
    batchSize: 50,
    startingPosition: 'TRIM_HORIZON',
    maxRetryAttempts: 10,
    bisectBatchOnFunctionError: true,
    onFailureQueue: 'domain-events-publish-failures',
    reportBatchItemFailures: true,
  },
];

export const payoutSchedules: ScheduleSpec[] = [
  { id: 'sweep-payouts-every-5-minutes', function: 'sweep-payouts', everyMinutes: 5 },
];

export const payoutStateMachines: StateMachineSpec[] = [
  {
    id: 'pay-out',
    description: 'Pay-out: submit to the provider, wait for its result (task token), look it up on timeout.',
    definitionFile: 'statemachines/pay-out.asl.json',
    // Standard: it waits for providers for days (Express runs 5 minutes at most and has no task tokens).
    // About 6-10 transitions a payout at $0.025 per 1,000: $0.00015-0.00025 a payout, $150-250 per million.
    type: 'STANDARD',
    functionSubstitutions: {
      SubmitFunctionArn: 'payout-submit',
      AwaitResultFunctionArn: 'payout-await-result',
    },
  },
];
