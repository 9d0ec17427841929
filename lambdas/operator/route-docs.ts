/**
 * The operator API's routes for the OpenAPI document (spread into lambdas/api/openapi-registry.ts): what each
 * accepts (the schemas in schemas.ts, which validate the requests) and answers (the response schemas below).
 */
import { z } from 'zod';
import { ApiErrorCode } from '../api/errors';
import { historyEntrySchema, paymentOrderViewSchema } from '../api/response-schemas';
import { COMMON_ERRORS, JSON_BODY_ERRORS, RouteAuth, type RouteDoc } from '../api/route-docs';
import { idSchema } from '../api/schemas';
import { OperatorErrorCode } from './errors';
import {
  eventIdSchema,
  limitSchema,
  orderStatusFilterSchema,
  queueIdSchema,
  redriveBodySchema,
  replayBodySchema,
} from './schemas';

const ledgerTransactionSchema = z.strictObject({
  transaction_id: z.string(),
  reason: z.string(),
  posted_at: z.string(),
  refs: z.record(z.string(), z.string()),
  entries: z.array(z.strictObject({ account: z.string(), amount: z.string(), currency: z.string() })),
});

export const timelineSchema = z
  .strictObject({
    payment_order: paymentOrderViewSchema,
    checkout_id: z.string(),
    history: z.array(historyEntrySchema),
    ledger_transactions: z.array(ledgerTransactionSchema),
    settlement: z.null().describe('Filled by reconciliation once it is built.'),
    timeline: z.array(
      z.strictObject({
        at: z.string(),
        kind: z.enum(['request', 'status', 'ledger', 'settlement']),
        title: z.string(),
        detail: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  })
  .meta({ id: 'OperatorPaymentTimeline' });

const sellerSchema = z
  .strictObject({
    seller_account: z.string(),
    balances: z.array(
      z.strictObject({
        currency: z.string(),
        available: z.string(),
        reserved: z.string(),
        paid_out: z.string(),
      }),
    ),
    ledger_entries: z.array(
      z.strictObject({
        transaction_id: z.string(),
        index: z.number().int(),
        account: z.string(),
        amount: z.string(),
        currency: z.string(),
        reason: z.string(),
        posted_at: z.string(),
      }),
    ),
    next_cursor: z.string().optional(),
    payouts: z.null(),
    refunds: z.null(),
    disputes: z.null(),
  })
  .meta({ id: 'OperatorSeller' });

const ledgerCheckSchema = z
  .strictObject({
    ok: z.boolean(),
    seller_account: z.string().optional(),
    problems: z.array(z.string()),
    transactions: z.number().int(),
    entries: z.number().int(),
    wallets: z.number().int(),
    totals: z.record(z.string(), z.string()),
  })
  .meta({ id: 'LedgerCheck' });

const webhookEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    created: z.number(),
    status: z.enum(['RECEIVED', 'APPLIED']),
    received_at: z.string(),
    applied_at: z.string().optional(),
    outcome: z.string().optional(),
    payload: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'WebhookEvent' });

const auditSchema = z
  .strictObject({
    audit_id: z.string(),
    at: z.string(),
    actor: z.string(),
    source_ip: z.string(),
    action: z.string(),
    target: z.string(),
    reason: z.string(),
    request_id: z.string(),
    outcome: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditRecord' });

const queueSchema = z.strictObject({
  queue_id: z.string(),
  description: z.string(),
  is_dead_letter_queue: z.boolean(),
  source_queue: z.string().optional(),
  dead_letter_queue: z.string().optional(),
  messages: z.number().int(),
  in_flight: z.number().int(),
});

const messageSchema = z.strictObject({
  message_id: z.string(),
  body: z.unknown(),
  receive_count: z.number().int(),
  sent_at: z.string().nullable(),
  attributes: z.record(z.string(), z.string().nullable()),
});

const KEY = { 401: [OperatorErrorCode.OperatorKeyRequired] } as const;
const ACTION_ERRORS = {
  ...JSON_BODY_ERRORS,
  ...KEY,
  400: [
    ...JSON_BODY_ERRORS[400],
    OperatorErrorCode.IdempotencyKeyRequired,
    ApiErrorCode.IdempotencyKeyInvalid,
    ApiErrorCode.IdempotencyError,
  ],
  409: [ApiErrorCode.RequestInProgress],
  ...COMMON_ERRORS,
} as const;

const doc = (d: Omit<RouteDoc, 'tag' | 'auth'>): RouteDoc => ({
  tag: 'operator',
  auth: RouteAuth.OperatorKey,
  ...d,
});

export const operatorRouteDocs: Readonly<Record<string, RouteDoc>> = {
  'GET /v1/operator/payments': doc({
    summary: 'Recent payment orders',
    description: 'Newest first (a bounded scan: an operator page, never a request path).',
    query: { limit: limitSchema, status: orderStatusFilterSchema },
    responses: {
      200: {
        description: 'The orders.',
        schema: z.strictObject({ payment_orders: z.array(paymentOrderViewSchema) }),
      },
    },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/payments/{payment_order_id}': doc({
    summary: "A payment order's timeline",
    description: 'From the storefront request through every status change to the ledger (and settlement).',
    pathParams: { payment_order_id: idSchema },
    responses: { 200: { description: 'The timeline.', schema: timelineSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, 404: [ApiErrorCode.NotFound], ...COMMON_ERRORS },
  }),
  'GET /v1/operator/sellers/{seller_account}': doc({
    summary: 'A seller',
    description: "Wallet balances and the seller's ledger entries (seller_payable), newest first.",
    pathParams: { seller_account: idSchema },
    query: { limit: limitSchema },
    responses: { 200: { description: 'The seller.', schema: sellerSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/ledger/check': doc({
    summary: 'Ledger balance check',
    description:
      'Every transaction sums to zero, the ledger sums to zero, each wallet equals its entries (lambdas/ledger/check.ts). Scans the ledger: on request only.',
    query: { seller_account: idSchema.optional() },
    responses: { 200: { description: 'The report.', schema: ledgerCheckSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/webhook-events': doc({
    summary: 'Webhook inbox',
    description: 'Stored PSP events, newest first (without their payloads).',
    query: { limit: limitSchema },
    responses: {
      200: { description: 'The events.', schema: z.strictObject({ events: z.array(webhookEventSchema) }) },
    },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/webhook-events/{event_id}': doc({
    summary: 'A stored webhook event',
    description: 'With its (redacted) payload.',
    pathParams: { event_id: eventIdSchema },
    responses: { 200: { description: 'The event.', schema: webhookEventSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, 404: [ApiErrorCode.NotFound], ...COMMON_ERRORS },
  }),
  'GET /v1/operator/audit': doc({
    summary: 'Audit trail',
    description: "Operators' actions, newest first: who, when, why, what, outcome.",
    query: { limit: limitSchema },
    responses: {
      200: { description: 'The records.', schema: z.strictObject({ records: z.array(auditSchema) }) },
    },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/queues': doc({
    summary: 'Queues and DLQs',
    description: 'Every queue with its message counts, and which are dead-letter queues of which.',
    responses: {
      200: { description: 'The queues.', schema: z.strictObject({ queues: z.array(queueSchema) }) },
    },
    errors: { ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/queues/{queue_id}/messages': doc({
    summary: "A DLQ's messages",
    description:
      'Up to `limit` messages, left in place. Dead-letter queues only: reading a live queue would steal from its consumer.',
    pathParams: { queue_id: queueIdSchema },
    query: { limit: limitSchema },
    responses: {
      200: {
        description: 'The messages.',
        schema: z.strictObject({
          queue_id: z.string(),
          source_queue: z.string(),
          messages: z.array(messageSchema),
        }),
      },
    },
    errors: {
      400: [ApiErrorCode.ValidationError, OperatorErrorCode.NotADeadLetterQueue],
      ...KEY,
      404: [OperatorErrorCode.UnknownQueue],
      ...COMMON_ERRORS,
    },
  }),
  'POST /v1/operator/queues/{queue_id}/redrive': doc({
    summary: 'Redrive a DLQ',
    description:
      'Moves messages (all up to `max_messages`, or those named) back to the source queue: sent, then deleted. Audited.',
    pathParams: { queue_id: queueIdSchema },
    idempotent: true,
    body: redriveBodySchema,
    responses: {
      200: {
        description: 'What moved.',
        schema: z.strictObject({
          queue_id: z.string(),
          source_queue: z.string(),
          moved: z.number().int(),
          message_ids: z.array(z.string()),
          audit_id: z.string(),
        }),
      },
    },
    errors: {
      ...ACTION_ERRORS,
      400: [...ACTION_ERRORS[400], OperatorErrorCode.NotADeadLetterQueue],
      404: [OperatorErrorCode.UnknownQueue],
    },
  }),
  'POST /v1/operator/webhook-events/{event_id}/replay': doc({
    summary: 'Replay a stored webhook event',
    description:
      'Queues the stored event again for the same consumer as the webhook (idempotent, forward-only: an event already applied changes nothing). Audited.',
    pathParams: { event_id: eventIdSchema },
    idempotent: true,
    body: replayBodySchema,
    responses: {
      202: {
        description: 'Queued.',
        schema: z.strictObject({
          event_id: z.string(),
          type: z.string(),
          status_before: z.string().nullable(),
          queued: z.literal(true),
          audit_id: z.string(),
        }),
      },
    },
    errors: { ...ACTION_ERRORS, 404: [ApiErrorCode.NotFound] },
  }),
};
