/**
 * Refunds and disputes (issue 10): their functions, routes and schedule, spread into the manifest. Refund and
 * dispute records live in the `payments` table (so its stream publishes their domain events); postings go to
 * the ledger and wallets like a pay-in's.
 */
import type { FunctionSpec, RouteSpec, ScheduleSpec } from './types';

/** Who bears a refund or a dispute, and whether the commission comes back (see lambdas/refunds/config.ts). */
export const MONEY_BACK_POLICY = {
  REFUND_BORNE_BY: 'seller',
  REFUND_COMMISSION: 'returned',
  DISPUTE_BORNE_BY: 'seller',
  PLATFORM_COMMISSION_BPS: '1000',
  PSP_TIMEOUT_MS: '5000',
  /** A refund unresolved at the PSP this long goes to a person (needs-attention + RefundsNeedingAttention). */
  REFUND_ATTENTION_AFTER_HOURS: '24',
} as const;

const MONEY_BACK_ACCESS = {
  // payouts (read): the paid-out seller's transfer a refund reverses; attention: what needs a person.
  tables: {
    payments: 'readWrite',
    ledger: 'append',
    wallets: 'readWrite',
    payouts: 'read',
    attention: 'readWrite',
  },
  secrets: ['stripe-api-key'],
} as const;

export const refundFunctions: FunctionSpec[] = [
  {
    id: 'create-refund',
    description:
      'POST /v1/payments/{payment_order_id}/refunds: records and posts a refund, then asks the PSP (idempotent).',
    entry: 'lambdas/handlers/create-refund.ts',
    timeoutSeconds: 20,
    access: {
      tables: { ...MONEY_BACK_ACCESS.tables, idempotency: 'readWrite' },
      secrets: MONEY_BACK_ACCESS.secrets,
    },
    environment: MONEY_BACK_POLICY,
  },
  {
    id: 'list-payment-refunds',
    description: "GET /v1/payments/{payment_order_id}/refunds: an order's refunds.",
    entry: 'lambdas/handlers/list-payment-refunds.ts',
    timeoutSeconds: 10,
    access: { tables: { payments: 'read' } },
  },
  {
    id: 'get-refund',
    description: 'GET /v1/refunds/{refund_id}: one refund, its status and who bears it.',
    entry: 'lambdas/handlers/get-refund.ts',
    timeoutSeconds: 10,
    access: { tables: { payments: 'read' } },
  },
  {
    id: 'get-dispute',
    description: 'GET /v1/disputes/{dispute_id}: one dispute, its status and what was posted.',
    entry: 'lambdas/handlers/get-dispute.ts',
    timeoutSeconds: 10,
    access: { tables: { payments: 'read' } },
  },
  {
    id: 'sweep-refunds',
    description:
      'Every 5 minutes: looks up refunds whose PSP answer was ambiguous (same key, never a guess).',
    entry: 'lambdas/handlers/sweep-refunds.ts',
    timeoutSeconds: 60,
    access: MONEY_BACK_ACCESS,
    environment: MONEY_BACK_POLICY,
    reservedConcurrency: 1,
  },
];

export const refundRoutes: RouteSpec[] = [
  {
    method: 'POST',
    path: '/v1/payments/{payment_order_id}/refunds',
    function: 'create-refund',
    apiKeyRequired: true,
  },
  {
    method: 'GET',
    path: '/v1/payments/{payment_order_id}/refunds',
    function: 'list-payment-refunds',
    apiKeyRequired: true,
  },
  { method: 'GET', path: '/v1/refunds/{refund_id}', function: 'get-refund', apiKeyRequired: true },
  { method: 'GET', path: '/v1/disputes/{dispute_id}', function: 'get-dispute', apiKeyRequired: true },
];

export const refundSchedules: ScheduleSpec[] = [
  { id: 'sweep-refunds-every-5-minutes', function: 'sweep-refunds', everyMinutes: 5 },
];
