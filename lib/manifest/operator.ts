/**
 * The operator's API (console and CLI): reads of payments, sellers, queues and webhook events, and the few
 * actions an operator takes (redrive a DLQ, replay a stored webhook event), each audited. Its routes take the
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
        'Operator reads: a payment order and its timeline (request to ledger), payments, a seller (wallet, ledger entries, balance check), webhook events, the audit trail.',
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
        },
        secrets: [OPERATOR_KEY_SECRET],
      },
    },
    {
      id: 'operator-actions',
      description:
        'Operator actions, idempotent and audited: queues and DLQs (inspect, redrive), replay of a stored webhook event.',
      entry: 'lambdas/handlers/operator-actions.ts',
      timeoutSeconds: 25,
      reservedConcurrency: 5,
      access: {
        tables: { 'webhook-events': 'read', 'operator-audit': 'readWrite', idempotency: 'readWrite' },
        queues: allQueues(queues),
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
