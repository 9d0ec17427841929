/**
 * A manifest that exercises every feature of the stack, so the template assertions cover what the real
 * manifest does not declare yet: a consumed queue with a DLQ, a table stream (outbox) with an on-failure queue, a bucket notification, two state machines (one
 * with a queue substitution, one EXPRESS), a schedule, a topic fan-out, a secret, and every access level.
 * Every function points at the health handler: these tests skip bundling and only read the template.
 */
import type { Manifest } from '../../lib/manifest';

const ENTRY = 'lambdas/handlers/health.ts';

export const fixtureManifest: Manifest = {
  service: 'fixture-payments',
  tables: [
    {
      id: 'orders',
      description: 'Orders with a GSI, a stream and a TTL.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      globalIndexes: [
        { name: 'gsi1', partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'due', type: 'N' } },
      ],
      ttlAttribute: 'expires_at',
      stream: true,
      money: true,
    },
    {
      id: 'ledger',
      description: 'Append-only.',
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      money: true,
    },
    {
      id: 'sessions',
      description: 'Not money: readWrite keeps its deletes.',
      partitionKey: { name: 'pk', type: 'S' },
    },
  ],
  queues: [
    {
      id: 'work',
      description: 'Consumed by worker.',
      visibilityTimeoutSeconds: 60,
      deadLetter: { queue: 'work-dlq', maxReceiveCount: 3 },
    },
    { id: 'work-dlq', description: 'Dead letters of work.', visibilityTimeoutSeconds: 30, retentionDays: 14 },
    {
      id: 'fanout-inbox',
      description: 'Subscribed to the events topic.',
      visibilityTimeoutSeconds: 360,
      deadLetter: { queue: 'misc-dlq', maxReceiveCount: 5 },
    },
    {
      id: 'finance',
      description: 'Fed by the flow state machine.',
      visibilityTimeoutSeconds: 30,
      deadLetter: { queue: 'misc-dlq', maxReceiveCount: 5 },
    },
    {
      id: 'outbox-failures',
      description: 'Skipped stream records.',
      visibilityTimeoutSeconds: 30,
      retentionDays: 14,
    },
    { id: 'misc-dlq', description: 'Shared dead letters.', visibilityTimeoutSeconds: 30, retentionDays: 14 },
  ],
  buckets: [
    {
      id: 'inbox',
      description: 'Files that trigger the importer.',
      onObjectCreated: { function: 'importer', prefix: 'incoming/', suffix: '.csv' },
    },
  ],
  secrets: [
    { id: 'psp-key', description: 'PSP API key.', localEnvVar: 'PSP_KEY', localDefault: 'sk_test_fixture' },
  ],
  topics: [{ id: 'events', description: 'Domain events.', subscribers: ['fanout-inbox'] }],
  functions: [
    {
      id: 'api',
      description: 'Storefront API.',
      entry: ENTRY,
      timeoutSeconds: 10,
      memoryMb: 1024,
      environment: { FEATURE: 'on' },
      access: {
        tables: { orders: 'readWrite', ledger: 'append' },
        queues: { work: 'send' },
        stateMachines: { flow: 'start' },
        secrets: ['psp-key'],
        topics: ['events'],
      },
    },
    {
      id: 'webhook',
      description: 'PSP webhook.',
      entry: ENTRY,
      timeoutSeconds: 5,
      access: { tables: { orders: 'read', sessions: 'readWrite' }, secrets: ['psp-key'] },
      reservedConcurrency: 10,
    },
    {
      id: 'worker',
      description: 'Consumes work.',
      entry: ENTRY,
      timeoutSeconds: 10,
      reservedConcurrency: 5,
      access: { queues: { work: 'consume' }, tables: { ledger: 'append' } },
    },
    {
      id: 'importer',
      description: 'Reads files from inbox.',
      entry: ENTRY,
      timeoutSeconds: 60,
      access: { buckets: { inbox: 'readWrite' }, queues: { 'fanout-inbox': 'sendAndConsume' } },
    },
    { id: 'sweeper', description: 'Scheduled.', entry: ENTRY, timeoutSeconds: 30 },
    {
      id: 'task',
      description: 'A task of flow that also calls it back: must not make a dependency cycle.',
      entry: ENTRY,
      timeoutSeconds: 20,
      access: { stateMachines: { flow: 'callback', quick: 'startAndCallback' } },
    },
    {
      id: 'publisher',
      description: 'Reads the orders stream (outbox).',
      entry: ENTRY,
      timeoutSeconds: 30,
      access: { queues: { 'outbox-failures': 'send' }, topics: ['events'] },
    },
    { id: 'quick-task', description: 'Task of the express workflow.', entry: ENTRY, timeoutSeconds: 5 },
  ],
  routes: [
    { method: 'POST', path: '/v1/things', function: 'api', apiKeyRequired: true },
    { method: 'GET', path: '/v1/things/{thing_id}', function: 'api', apiKeyRequired: true },
    {
      method: 'POST',
      path: '/v1/webhooks/psp',
      function: 'webhook',
      apiKeyRequired: false,
      authorization: { by: 'pspSignature', reason: 'Signed by the PSP.' },
      throttle: { rateLimit: 50, burstLimit: 100 },
    },
  ],
  queueEventSources: [
    {
      queue: 'work',
      function: 'worker',
      batchSize: 10,
      maxBatchingWindowSeconds: 2,
      reportBatchItemFailures: true,
    },
  ],
  tableStreamEventSources: [
    {
      table: 'orders',
      function: 'publisher',
      batchSize: 50,
      startingPosition: 'TRIM_HORIZON',
      maxRetryAttempts: 4,
      bisectBatchOnFunctionError: true,
      onFailureQueue: 'outbox-failures',
      reportBatchItemFailures: true,
    },
  ],
  schedules: [{ id: 'sweep', function: 'sweeper', everyMinutes: 5 }],
  stateMachines: [
    {
      id: 'flow',
      description: 'Standard workflow with a Lambda task and an SQS send.',
      definitionFile: 'test/fixtures/asl/flow.asl.json',
      type: 'STANDARD',
      functionSubstitutions: { TaskFunctionArn: 'task' },
      queueSubstitutions: { FinanceQueueUrl: 'finance' },
    },
    {
      id: 'quick',
      description: 'Express workflow.',
      definitionFile: 'test/fixtures/asl/quick.asl.json',
      type: 'EXPRESS',
      functionSubstitutions: { QuickFunctionArn: 'quick-task' },
    },
  ],
};
