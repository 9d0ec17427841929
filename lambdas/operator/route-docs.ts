/**
 * The operator API's routes for the OpenAPI document (spread into lambdas/api/openapi-registry.ts): what each
 * accepts (the schemas in schemas.ts, which validate the requests) and answers (the response schemas below).
 */
import { z } from 'zod';
import { ApiErrorCode } from '../api/errors';
import { historyEntrySchema, paymentOrderViewSchema } from '../api/response-schemas';
import {
  COMMON_ERRORS,
  JSON_BODY_ERRORS,
  MONEY_INPUT_CODES,
  RouteAuth,
  type RouteDoc,
} from '../api/route-docs';
import { idSchema } from '../api/schemas';
import { payoutSchema } from '../payouts/route-docs';
import { disputeSchema, refundSchema } from '../refunds/route-docs';
import { OperatorErrorCode } from './errors';
import {
  attentionIdSchema,
  attentionStatusSchema,
  breakIdSchema,
  daySchema,
  eventIdSchema,
  limitSchema,
  orderStatusFilterSchema,
  pauseBodySchema,
  queueIdSchema,
  redriveBodySchema,
  replayBodySchema,
  resolveAttentionBodySchema,
  resolveBreakBodySchema,
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
    settlement: z
      .strictObject({
        reports: z.array(z.strictObject({ day: z.string(), report_key: z.string() })),
        breaks: z.array(
          z.strictObject({
            day: z.string(),
            break_id: z.string(),
            class: z.string(),
            status: z.string(),
            detail: z.string(),
          }),
        ),
      })
      .nullable()
      .describe(
        "The reconciliation reports of the order's capture day and the 3 days after it, and their breaks that name the order; null: no report yet. A matched order is counted in a report, not listed.",
      ),
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
    payout_settings: z
      .strictObject({
        paused: z.boolean(),
        schedule: z.string(),
        destination: z.string(),
        destination_status: z.enum(['ok', 'errored']),
        destination_error: z.string().optional(),
        updated_at: z.string(),
      })
      .nullable()
      .describe('null: the seller has no payout settings (PUT /v1/sellers/{seller_account}).'),
    payouts: z.array(payoutSchema).describe('Newest first, failures with their reasons.'),
    refunds: z.array(refundSchema),
    disputes: z.array(disputeSchema),
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

const attentionSchema = z
  .strictObject({
    attention_id: z.string(),
    kind: z.string(),
    subject_type: z.string(),
    subject_id: z.string(),
    summary: z.string(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    status: z.enum(['OPEN', 'RESOLVED']),
    opened_at: z.string(),
    occurrences: z.number().int(),
    resolved_at: z.string().optional(),
    resolved_by: z.string().optional(),
    resolution: z.string().optional(),
  })
  .meta({ id: 'NeedsAttention' });

const breakCountsSchema = z.record(z.string(), z.number().int()).describe('Breaks per status.');

const reconDaySchema = z.strictObject({
  day: z.string(),
  source: z.string(),
  report_key: z.string(),
  finished_at: z.string().optional(),
  breaks: breakCountsSchema,
});

const reconBreakSchema = z
  .object({
    id: z.string(),
    class: z.string(),
    handling: z.string(),
    status: z.enum(['open', 'auto_repaired', 'resolved', 'cleared']),
    detail: z.string(),
    line: z.number().int().optional(),
    resolution: z.record(z.string(), z.string()).optional(),
  })
  .describe('A break as found (row, expected and actual amounts, order ids) with its status now.')
  .meta({ id: 'ReconciliationBreak' });

const reconReportSchema = z
  .strictObject({
    day: z.string(),
    source: z.string(),
    report_key: z.string(),
    sha256: z.string(),
    supersedes: z.strictObject({ sha256: z.string(), source: z.string() }).optional(),
    rows: z.number().int().nullable(),
    classes: z
      .record(
        z.string(),
        z.strictObject({ count: z.number().int(), amounts: z.record(z.string(), z.string()) }),
      )
      .describe('Per class: rows and their gross amounts per currency.'),
    payouts: z.array(z.record(z.string(), z.unknown())),
    settlements: z.array(z.record(z.string(), z.string())),
    internal: z.record(z.string(), z.unknown()).optional(),
    breaks_by_status: breakCountsSchema,
    breaks: z.array(reconBreakSchema),
  })
  .meta({ id: 'ReconciliationReport' });

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

const pauseResultSchema = z
  .strictObject({
    seller_account: z.string(),
    paused: z.boolean(),
    updated_at: z.string(),
    audit_id: z.string(),
  })
  .meta({ id: 'OperatorPayoutsPaused' });

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
    query: { seller_account: z.optional(idSchema) },
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
    description: 'With what is kept of it (a PSP event: its pointer).',
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
  'GET /v1/operator/attention': doc({
    summary: 'Needs-attention records',
    description: 'Open ones by default (`status=resolved` for the others), newest first.',
    query: { status: attentionStatusSchema, limit: limitSchema },
    responses: {
      200: {
        description: 'The records.',
        schema: z.strictObject({ status: z.enum(['OPEN', 'RESOLVED']), records: z.array(attentionSchema) }),
      },
    },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/attention/{attention_id}': doc({
    summary: 'A needs-attention record',
    description: 'What went wrong, about what, what is needed to act, and how many times it was seen.',
    pathParams: { attention_id: attentionIdSchema },
    responses: { 200: { description: 'The record.', schema: attentionSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, 404: [ApiErrorCode.NotFound], ...COMMON_ERRORS },
  }),
  'POST /v1/operator/attention/{attention_id}/resolve': doc({
    summary: 'Resolve a needs-attention record',
    description:
      'Marks an open record resolved, by whom and why (conditional: a resolved record is refused). Audited.',
    pathParams: { attention_id: attentionIdSchema },
    idempotent: true,
    body: resolveAttentionBodySchema,
    responses: {
      200: {
        description: 'Resolved.',
        schema: attentionSchema.extend({ audit_id: z.string() }).meta({ id: 'NeedsAttentionResolved' }),
      },
    },
    errors: {
      ...ACTION_ERRORS,
      404: [ApiErrorCode.NotFound],
      409: [...ACTION_ERRORS[409], OperatorErrorCode.AlreadyResolved],
    },
  }),
  'GET /v1/operator/reconciliation': doc({
    summary: 'Reconciliation days',
    description: "The days with a report, newest first, with their breaks' counts per status.",
    query: { limit: limitSchema },
    responses: {
      200: { description: 'The days.', schema: z.strictObject({ days: z.array(reconDaySchema) }) },
    },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, ...COMMON_ERRORS },
  }),
  'GET /v1/operator/reconciliation/{day}': doc({
    summary: "A day's reconciliation report",
    description:
      "The day's latest report (a corrected file supersedes): counts and amounts per class, payouts, settlement postings, and every break of the day with its status now.",
    pathParams: { day: daySchema },
    responses: { 200: { description: 'The report.', schema: reconReportSchema } },
    errors: { 400: [ApiErrorCode.ValidationError], ...KEY, 404: [ApiErrorCode.NotFound], ...COMMON_ERRORS },
  }),
  'POST /v1/operator/reconciliation/{day}/breaks/{break_id}/resolve': doc({
    summary: 'Resolve a reconciliation break',
    description:
      "accept (explained, nothing moves), link (the row is matched again against the named order) or write_off (a ledger posting of the amount as a PSP cost), through the same code as the resolve-reconciliation-break function; the Idempotency-Key is the resolution's request id. Audited.",
    pathParams: { day: daySchema, break_id: breakIdSchema },
    idempotent: true,
    body: resolveBreakBodySchema,
    responses: {
      200: {
        description: 'The outcome: resolved, or still open (a link that does not match yet).',
        schema: z.strictObject({
          day: z.string(),
          break_id: z.string(),
          action: z.enum(['accept', 'link', 'write_off']),
          status: z.enum(['resolved', 'open']),
          detail: z.string(),
          replayed: z.boolean(),
          audit_id: z.string(),
        }),
      },
    },
    errors: {
      ...ACTION_ERRORS,
      400: [...ACTION_ERRORS[400], OperatorErrorCode.NotApplicable, ...MONEY_INPUT_CODES],
      404: [ApiErrorCode.NotFound],
    },
  }),
  'POST /v1/operator/sellers/{seller_account}/payouts/pause': doc({
    summary: "Pause a seller's payouts",
    description: 'No payout is made to the seller until resumed (the payouts module). Audited.',
    pathParams: { seller_account: idSchema },
    idempotent: true,
    body: pauseBodySchema,
    responses: { 200: { description: 'Paused.', schema: pauseResultSchema } },
    errors: { ...ACTION_ERRORS, 404: [OperatorErrorCode.SellerNotFound] },
  }),
  'POST /v1/operator/sellers/{seller_account}/payouts/resume': doc({
    summary: "Resume a seller's payouts",
    description: 'Payouts to the seller are made again. Audited.',
    pathParams: { seller_account: idSchema },
    idempotent: true,
    body: pauseBodySchema,
    responses: { 200: { description: 'Resumed.', schema: pauseResultSchema } },
    errors: { ...ACTION_ERRORS, 404: [OperatorErrorCode.SellerNotFound] },
  }),
};
