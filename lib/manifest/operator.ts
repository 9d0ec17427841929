/**
 * The operator's API (console and CLI): reads of payments, sellers, queues, webhook events, needs-attention
 * records and reconciliation reports, and the few actions an operator takes (redrive a DLQ, replay a stored
 * webhook event, resolve a needs-attention record, resolve a reconciliation break, pause or resume a seller's
 * payouts), each audited. Least privilege: actions that change money or payout state run in functions of
 * their own (`operator-reconciliation`, `operator-payouts`) with only the grants they need. Its routes take the
 * operator's key, never the storefront's (RouteSpec.authorization `operatorKey`); every function checks that key itself.
 */
import type { FunctionSpec, Manifest, QueueSpec, RouteSpec, SecretSpec, TableSpec } from './types';

export const OPERATOR_KEY_SECRET = 'operator-api-key';

export const operatorTables: readonly TableSpec[] = [
  {
    id: 'operator-audit',
    description:
      "Operators' actions: who, when, why (a reason is required), what, and the outcome. Append-only.",
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
  },
];

export const operatorSecrets: readonly SecretSpec[] = [
  {
    id: OPERATOR_KEY_SECRET,
    description: "The operator's API key (x-api-key on /v1/operator/*); not the storefront's.",
    localEnvVar: 'OPERATOR_API_KEY',
    localDefault: 'local-operator-key',
  },
];

/** Every queue the operator may inspect and redrive: all of them (they are few and all hold our own messages). */
function allQueues(queues: readonly QueueSpec[]): Record<string, 'sendAndConsume'> {
  return Object.fromEntries(queues.map((q) => [q.id, 'sendAndConsume' as const]));
}

export function operatorFunctions(queues: readonly QueueSpec[]): readonly FunctionSpec[] {
  return [
    {
      id: 'operator-read',
      description:
        'Operator reads: a payment order and its timeline (request to ledger and settlement), payments, a seller (wallet, ledger entries, balance check, payouts, refunds, disputes), webhook events, needs-attention records, the audit trail.',
      entry: 'lambdas/handlers/operator-read.ts',
      timeoutSeconds: 25,
      reservedConcurrency: 5,
      access: {
        tables: {
          payments: 'read',
          ledger: 'read',
          wallets: 'read',
          'webhook-events': 'read',
          'operator-audit': 'read',
          attention: 'read',
          payouts: 'read',
          // The payment timeline's settlement: the reconciliation breaks that name the order.
          reconciliation: 'read',
        },
        secrets: [OPERATOR_KEY_SECRET],
      },
    },
    {
      id: 'operator-actions',
      description:
        'Operator actions, idempotent and audited: queues and DLQs (inspect, redrive), replay of a stored webhook event, resolution of a needs-attention record.',
      entry: 'lambdas/handlers/operator-actions.ts',
      timeoutSeconds: 25,
      reservedConcurrency: 5,
      access: {
        tables: {
          'webhook-events': 'read',
          'operator-audit': 'readWrite',
          idempotency: 'readWrite',
          // Marks a record resolved (who, why); it moves no money.
          attention: 'readWrite',
        },
        queues: allQueues(queues),
        secrets: [OPERATOR_KEY_SECRET],
      },
    },
    {
      id: 'operator-reconciliation',
      description:
        "Reconciliation for the operator: the days' reports (counts and amounts per class, breaks with their status) and a break's resolution (accept, link, write off) through the same resolveBreak as resolve-reconciliation-break, audited.",
      entry: 'lambdas/handlers/operator-reconciliation.ts',
      timeoutSeconds: 30,
      reservedConcurrency: 2,
      access: {
        // What resolveBreak needs (a write-off posts to the ledger), and no more: no queues, no PSP key.
        tables: {
          reconciliation: 'readWrite',
          payments: 'read',
          ledger: 'append',
          wallets: 'readWrite',
          // A link of a transfer row reads the payout it names.
          payouts: 'read',
          'operator-audit': 'readWrite',
          idempotency: 'readWrite',
        },
        // The reports are JSON objects next to their settlement files.
        buckets: { settlements: 'read' },
        secrets: [OPERATOR_KEY_SECRET],
      },
    },
    {
      id: 'operator-payouts',
      description:
        "Pause or resume a seller's payouts for the operator (the payouts module's setPaused), idempotent and audited.",
      entry: 'lambdas/handlers/operator-payouts.ts',
      timeoutSeconds: 10,
      reservedConcurrency: 2,
      access: {
        tables: { payouts: 'readWrite', 'operator-audit': 'readWrite', idempotency: 'readWrite' },
        secrets: [OPERATOR_KEY_SECRET],
      },
    },
  ];
}

/**
 * Not API Gateway's key check (it would let the storefront's key in): the function compares the operator's key
 * with its secret first. A few operators at a time: a small throttle, and the functions' reserved concurrency.
 */
const OPERATOR_AUTHORIZATION = {
  by: 'operatorKey',
  reason:
    "The operator's own key, checked by the function against the operator-api-key secret before anything else.",
} as const;
const OPERATOR_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

const operatorRoute =
  (fn: string) =>
  (method: RouteSpec['method'], path: string): RouteSpec => ({
    method,
    path,
    function: fn,
    apiKeyRequired: false,
    authorization: OPERATOR_AUTHORIZATION,
    throttle: OPERATOR_THROTTLE,
  });
const read = operatorRoute('operator-read');
const act = operatorRoute('operator-actions');
const recon = operatorRoute('operator-reconciliation');
const payouts = operatorRoute('operator-payouts');

export const isOperatorRoute = (route: RouteSpec): boolean => route.authorization?.by === 'operatorKey';

export const operatorRoutes: readonly RouteSpec[] = [
  read('GET', '/v1/operator/payments'),
  read('GET', '/v1/operator/payments/{payment_order_id}'),
  read('GET', '/v1/operator/sellers/{seller_account}'),
  read('GET', '/v1/operator/ledger/check'),
  read('GET', '/v1/operator/webhook-events'),
  read('GET', '/v1/operator/webhook-events/{event_id}'),
  read('GET', '/v1/operator/audit'),
  act('GET', '/v1/operator/queues'),
  act('GET', '/v1/operator/queues/{queue_id}/messages'),
  act('POST', '/v1/operator/queues/{queue_id}/redrive'),
  act('POST', '/v1/operator/webhook-events/{event_id}/replay'),
  read('GET', '/v1/operator/attention'),
  read('GET', '/v1/operator/attention/{attention_id}'),
  act('POST', '/v1/operator/attention/{attention_id}/resolve'),
  recon('GET', '/v1/operator/reconciliation'),
  recon('GET', '/v1/operator/reconciliation/{day}'),
  recon('POST', '/v1/operator/reconciliation/{day}/breaks/{break_id}/resolve'),
  payouts('POST', '/v1/operator/sellers/{seller_account}/payouts/pause'),
  payouts('POST', '/v1/operator/sellers/{seller_account}/payouts/resume'),
];

/** The manifest with the operator's tables, secret, functions and routes added (after everything else). */
export function withOperator(declared: Manifest): Manifest {
  return {
    ...declared,
    tables: [...declared.tables, ...operatorTables],
    secrets: [...declared.secrets, ...operatorSecrets],
    functions: [...declared.functions, ...operatorFunctions(declared.queues)],
    routes: [...declared.routes, ...operatorRoutes],
  };
}
