/**
 * What exists, declared once. `lib/payments-stack.ts` turns this into CloudFormation; `sandbox/` runs it on
 * local engines. Add a function, route, queue or state machine here and both pick it up.
 */
import type { Manifest } from './types';

export { envVarFor, localSecretValueEnvVar, pascalCase } from './naming';
export type * from './types';

export const manifest: Manifest = {
  service: 'marketplace-payments',

  tables: [
    {
      id: 'payments',
      description: 'Checkouts (payment events), payment orders, their append-only history, and the outbox.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      // Sparse index of orders that are not terminal, keyed by a shard and their deadline (for the sweeper).
      globalIndexes: [
        {
          name: 'gsi1',
          partitionKey: { name: 'gsi1pk', type: 'S' },
          sortKey: { name: 'gsi1sk', type: 'S' },
        },
      ],
      stream: true,
    },
    {
      id: 'ledger',
      description:
        'Append-only double-entry ledger: transactions and their entries, never updated or deleted.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    },
    {
      id: 'wallets',
      description:
        'Seller wallets: available, reserved and paid-out balances, changed only with ledger postings.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
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
  ],

  buckets: [
    {
      id: 'settlements',
      description: "The PSP's nightly settlement files, and reconciliation reports.",
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
  ],

  topics: [],

  functions: [
    {
      id: 'health',
      description: 'Liveness: answers with the service name and the time; touches nothing.',
      entry: 'lambdas/handlers/health.ts',
      timeoutSeconds: 3,
    },
  ],

  routes: [{ method: 'GET', path: '/v1/health', function: 'health', apiKeyRequired: false }],

  queueEventSources: [],

  tableStreamEventSources: [],

  schedules: [],

  stateMachines: [],
};
