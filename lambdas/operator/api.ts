/**
 * The operator API's two functions (lib/manifest/operator.ts): `operator-read` (payments, sellers, the ledger
 * check, webhook events, the audit trail) and `operator-actions` (queues and DLQs, redrive, webhook replay).
 * Each route is checked for the operator's key first (auth.ts); actions also need an Idempotency-Key (the same
 * Stripe-style idempotency as POST /v1/payments), a named actor and a reason, and each leaves an audit record.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod/mini';
import { ApiError, ApiErrorCode } from '../api/errors';
import { header, jsonResponse, requestIdOf } from '../api/http';
import type { IdempotencyStore } from '../api/idempotency';
import { httpErrors, idempotent, type ValidatedEvent, validJsonBody } from '../api/middleware';
import { fieldPath, pathId, validationError } from '../api/schemas';
import {
  type AttentionContext,
  AttentionError,
  type AttentionStatus,
  getAttention,
  listAttention,
  resolveAttention,
} from '../attention';
import type { LedgerContext } from '../ledger';
import { MoneyError } from '../money';
import type { PaymentsContext } from '../payments';
import { PayoutError } from '../payouts/errors';
import type { PayoutsContext } from '../payouts/store';
import { setPaused } from '../payouts/store';
import { ReconciliationError } from '../reconciliation/errors';
import { type ResolveContext, resolveBreak } from '../reconciliation/resolve';
import type { ReconStore } from '../reconciliation/store';
import { type AuditContext, listAudit, recordAudit } from './audit';
import { authorizeOperator } from './auth';
import { OperatorErrorCode } from './errors';
import { listQueues, peekDeadLetters, type QueuesContext, redrive } from './queues';
import {
  type InboxReadContext,
  ledgerCheck,
  paymentTimeline,
  recentOrders,
  recentWebhookEvents,
  sellerView,
  webhookEvent,
} from './reads';
import { dayReport, type ReconReadContext, reconciliationDays } from './reconciliation';
import {
  attentionIdSchema,
  attentionStatusSchema,
  breakIdSchema,
  daySchema,
  eventIdSchema,
  limitSchema,
  orderStatusFilterSchema,
  type PauseBody,
  pauseBodySchema,
  queueIdSchema,
  type RedriveBody,
  type ReplayBody,
  type ResolveAttentionBody,
  type ResolveBreakBody,
  redriveBodySchema,
  replayBodySchema,
  resolveAttentionBodySchema,
  resolveBreakBodySchema,
} from './schemas';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** A needs-attention record as the API shows it (snake_case, like the rest of the API). */
function attentionView(r: Awaited<ReturnType<typeof getAttention>> & object) {
  return {
    attention_id: r.attention_id,
    kind: r.kind,
    subject_type: r.subjectType,
    subject_id: r.subjectId,
    summary: r.summary,
    details: r.details ?? {},
    status: r.status,
    opened_at: r.opened_at,
    occurrences: r.occurrences,
    ...(r.resolved_at ? { resolved_at: r.resolved_at } : {}),
    ...(r.resolved_by ? { resolved_by: r.resolved_by } : {}),
    ...(r.resolution ? { resolution: r.resolution } : {}),
  };
}

function parse<T>(schema: z.ZodMiniType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw validationError(
      parsed.error.issues.map((i) => ({
        field: i.path.length ? `${field}.${fieldPath(i.path)}` : field,
        code: i.code,
        message: i.message,
      })),
    );
  }
  return parsed.data;
}

function parseBody<T>(schema: z.ZodMiniType<T>): (json: unknown) => T {
  return (json) => {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw validationError(
        parsed.error.issues.map((i) => ({ field: fieldPath(i.path), code: i.code, message: i.message })),
      );
    }
    return parsed.data;
  };
}

const query = (event: APIGatewayProxyEvent, name: string) => event.queryStringParameters?.[name] ?? undefined;
const notFound = (what: string) => new ApiError(404, ApiErrorCode.NotFound, `${what} not found`);

function dispatch(routes: Readonly<Record<string, Handler>>): Handler {
  return async (event) => {
    const handle = routes[`${event.httpMethod} ${event.resource}`];
    if (!handle) throw notFound(`route ${event.httpMethod} ${event.resource}`);
    return handle(event);
  };
}

/** Checks the operator's key before anything else runs. */
function operatorOnly(
  operatorKey: () => Promise<string>,
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: async (request) => {
      authorizeOperator(request.event, await operatorKey());
    },
  };
}

export interface OperatorReadDependencies {
  readonly payments: PaymentsContext;
  readonly ledger: LedgerContext;
  readonly inbox: InboxReadContext;
  readonly audit: AuditContext;
  readonly attention: AttentionContext;
  /** The seller page's payouts and payout settings. */
  readonly payouts: PayoutsContext;
  /** The payment timeline's settlement (the reconciliation breaks naming the order). */
  readonly reconciliation: ReconStore;
  readonly operatorKey: () => Promise<string>;
  readonly logger: Logger;
}

export function operatorReadHandler(deps: OperatorReadDependencies) {
  const routes: Record<string, Handler> = {
    'GET /v1/operator/payments': async (event) => {
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 50;
      const status = parse(orderStatusFilterSchema, query(event, 'status'), 'status');
      return jsonResponse(200, { payment_orders: await recentOrders(deps.payments, limit, status) });
    },
    'GET /v1/operator/payments/{payment_order_id}': async (event) => {
      const id = pathId(event, 'payment_order_id');
      const found = await paymentTimeline(deps.payments, deps.ledger, id, deps.reconciliation);
      if (!found) throw notFound(`payment order ${id}`);
      return jsonResponse(200, found);
    },
    'GET /v1/operator/sellers/{seller_account}': async (event) => {
      const seller = pathId(event, 'seller_account');
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 50;
      return jsonResponse(
        200,
        await sellerView(deps.ledger, seller, limit, { payouts: deps.payouts, payments: deps.payments }),
      );
    },
    'GET /v1/operator/ledger/check': async (event) => {
      const seller = query(event, 'seller_account');
      if (seller !== undefined) pathId({ pathParameters: { seller_account: seller } }, 'seller_account');
      return jsonResponse(200, await ledgerCheck(deps.ledger, seller));
    },
    'GET /v1/operator/webhook-events': async (event) => {
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 50;
      return jsonResponse(200, { events: await recentWebhookEvents(deps.inbox, limit) });
    },
    'GET /v1/operator/webhook-events/{event_id}': async (event) => {
      const id = parse(eventIdSchema, event.pathParameters?.event_id, 'event_id');
      const found = await webhookEvent(deps.inbox, id);
      if (!found) throw notFound(`webhook event ${id}`);
      return jsonResponse(200, found);
    },
    'GET /v1/operator/audit': async (event) => {
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 50;
      return jsonResponse(200, { records: await listAudit(deps.audit, limit) });
    },
    'GET /v1/operator/attention': async (event) => {
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 100;
      const status = (parse(attentionStatusSchema, query(event, 'status'), 'status') ??
        'OPEN') as AttentionStatus;
      const records = await listAttention(deps.attention, { status, limit });
      return jsonResponse(200, { status, records: records.map(attentionView) });
    },
    'GET /v1/operator/attention/{attention_id}': async (event) => {
      const id = parse(attentionIdSchema, event.pathParameters?.attention_id, 'attention_id');
      const found = await getAttention(deps.attention, id);
      if (!found) throw notFound(`attention record ${id}`);
      return jsonResponse(200, attentionView(found));
    },
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(operatorOnly(deps.operatorKey))
    .handler(dispatch(routes));
}

interface ActionBase {
  readonly audit: AuditContext;
  readonly idempotency: IdempotencyStore;
  readonly operatorKey: () => Promise<string>;
  readonly logger: Logger;
}

export interface OperatorActionDependencies extends ActionBase {
  readonly queues: QueuesContext;
  readonly inbox: InboxReadContext;
  /** Sends `{ event_id, type }` to the webhook-events queue: what the webhook itself sends. */
  readonly enqueueWebhookEvent: (eventId: string, type: string) => Promise<void>;
  /** Resolving a needs-attention record (who, why). */
  readonly attention: AttentionContext;
}

function requireIdempotencyKey(): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: (request) => {
      if (!header(request.event, 'idempotency-key')) {
        throw new ApiError(
          400,
          OperatorErrorCode.IdempotencyKeyRequired,
          'operator actions need an Idempotency-Key header (a retry must not act twice)',
        );
      }
    },
  };
}

function sourceIp(event: APIGatewayProxyEvent): string {
  return event.requestContext?.identity?.sourceIp ?? 'unknown';
}

/** Reads of one function: the operator's key first, then the route. */
function readChain(
  deps: Pick<ActionBase, 'operatorKey' | 'logger'>,
  routes: Readonly<Record<string, Handler>>,
) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(operatorOnly(deps.operatorKey))
    .handler(dispatch(routes));
}

/**
 * Actions of one function: the operator's key, an Idempotency-Key, the route's body schema (actor and reason
 * required), then the same idempotency as the storefront's POSTs (a retry answers the first response and does
 * not act again), then the route.
 */
function actionChain<T>(
  deps: ActionBase,
  bodySchemas: Readonly<Record<string, z.ZodMiniType<T>>>,
  routes: Readonly<Record<string, (event: ValidatedEvent<T>) => Promise<APIGatewayProxyResult>>>,
) {
  return middy<ValidatedEvent<T>, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(operatorOnly(deps.operatorKey))
    .use(requireIdempotencyKey())
    .use(validJsonBody((json) => json as T))
    .use({
      before: (request) => {
        const schema = bodySchemas[request.event.resource];
        if (!schema) throw notFound(`route ${request.event.httpMethod} ${request.event.resource}`);
        Object.assign(request.event, { input: parseBody(schema)(request.event.json) });
      },
    })
    .use(idempotent(deps.idempotency, deps.logger))
    .handler(async (event) => {
      const handle = routes[`${event.httpMethod} ${event.resource}`];
      if (!handle) throw notFound(`route ${event.httpMethod} ${event.resource}`);
      return handle(event);
    });
}

/** GETs to the read chain, everything else to the action chain. */
function byMethod<T>(
  reads: ReturnType<typeof readChain> | undefined,
  actions: ReturnType<typeof actionChain<T>>,
) {
  return async (event: APIGatewayProxyEvent, context: Parameters<typeof actions>[1]) =>
    event.httpMethod === 'GET' && reads
      ? reads(event, context)
      : actions(event as ValidatedEvent<T>, context);
}

type Audited = Omit<Parameters<typeof recordAudit>[1], 'source_ip' | 'request_id'>;
async function audited(deps: ActionBase, event: APIGatewayProxyEvent, record: Audited) {
  const audit = await recordAudit(deps.audit, {
    ...record,
    source_ip: sourceIp(event),
    request_id: requestIdOf(event),
  });
  deps.logger.info('operator action', {
    action: record.action,
    target: record.target,
    audit_id: audit.audit_id,
  });
  return audit;
}

export function operatorActionsHandler(deps: OperatorActionDependencies) {
  type Body = RedriveBody | ReplayBody | ResolveAttentionBody;
  const reads = readChain(deps, {
    'GET /v1/operator/queues': async () => jsonResponse(200, { queues: await listQueues(deps.queues) }),
    'GET /v1/operator/queues/{queue_id}/messages': async (event) => {
      const id = parse(queueIdSchema, event.pathParameters?.queue_id, 'queue_id');
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 10;
      return jsonResponse(200, await peekDeadLetters(deps.queues, id, limit));
    },
  });

  const actions = actionChain<Body>(
    deps,
    {
      '/v1/operator/queues/{queue_id}/redrive': redriveBodySchema,
      '/v1/operator/webhook-events/{event_id}/replay': replayBodySchema,
      '/v1/operator/attention/{attention_id}/resolve': resolveAttentionBodySchema,
    },
    {
      'POST /v1/operator/queues/{queue_id}/redrive': async (event) => {
        const id = parse(queueIdSchema, event.pathParameters?.queue_id, 'queue_id');
        const body = event.input as RedriveBody;
        const result = await redrive(deps.queues, id, {
          max: body.max_messages ?? 100,
          ...(body.message_ids ? { messageIds: body.message_ids } : {}),
        });
        const audit = await audited(deps, event, {
          actor: body.actor,
          action: 'queue.redrive',
          target: id,
          reason: body.reason,
          outcome: {
            moved: result.moved,
            source_queue: result.source_queue,
            message_ids: result.message_ids,
          },
        });
        return jsonResponse(200, { ...result, audit_id: audit.audit_id });
      },
      'POST /v1/operator/webhook-events/{event_id}/replay': async (event) => {
        const id = parse(eventIdSchema, event.pathParameters?.event_id, 'event_id');
        const body = event.input as ReplayBody;
        const stored = await webhookEvent(deps.inbox, id);
        if (!stored) throw notFound(`webhook event ${id}`);
        const type = String(stored.type ?? '');
        // The same message the webhook queues: the consumer applies it once, forward-only (an event already
        // applied is acknowledged and changes nothing).
        await deps.enqueueWebhookEvent(id, type);
        const audit = await audited(deps, event, {
          actor: body.actor,
          action: 'webhook_event.replay',
          target: id,
          reason: body.reason,
          outcome: { type, status_before: stored.status ?? null },
        });
        return jsonResponse(202, {
          event_id: id,
          type,
          status_before: stored.status ?? null,
          queued: true,
          audit_id: audit.audit_id,
        });
      },
      'POST /v1/operator/attention/{attention_id}/resolve': async (event) => {
        const id = parse(attentionIdSchema, event.pathParameters?.attention_id, 'attention_id');
        const body = event.input as ResolveAttentionBody;
        let record: Awaited<ReturnType<typeof resolveAttention>>;
        try {
          record = await resolveAttention(deps.attention, id, { resolvedBy: body.actor, note: body.reason });
        } catch (error) {
          if (error instanceof AttentionError) {
            throw error.code === 'not_found'
              ? notFound(`attention record ${id}`)
              : new ApiError(409, OperatorErrorCode.AlreadyResolved, error.message, { attention_id: id });
          }
          throw error;
        }
        const audit = await audited(deps, event, {
          actor: body.actor,
          action: 'attention.resolve',
          target: id,
          reason: body.reason,
          outcome: { kind: record.kind, subject: `${record.subjectType}:${record.subjectId}` },
        });
        return jsonResponse(200, { ...attentionView(record), audit_id: audit.audit_id });
      },
    },
  );
  return byMethod(reads, actions);
}

export interface OperatorReconciliationDependencies extends ActionBase {
  readonly reads: ReconReadContext;
  /** What resolveBreak needs: the break records, the ledger (a write-off posts), the orders (link). */
  readonly resolve: ResolveContext;
}

/** Reconciliation reports and the resolution of their breaks (lib/manifest/operator.ts `operator-reconciliation`). */
export function operatorReconciliationHandler(deps: OperatorReconciliationDependencies) {
  const reads = readChain(deps, {
    'GET /v1/operator/reconciliation': async (event) => {
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 30;
      return jsonResponse(200, { days: await reconciliationDays(deps.reads.store, limit) });
    },
    'GET /v1/operator/reconciliation/{day}': async (event) => {
      const day = parse(daySchema, event.pathParameters?.day, 'day');
      const found = await dayReport(deps.reads, day);
      if (!found) throw notFound(`reconciliation report for ${day}`);
      return jsonResponse(200, found);
    },
  });
  const actions = actionChain<ResolveBreakBody>(
    deps,
    { '/v1/operator/reconciliation/{day}/breaks/{break_id}/resolve': resolveBreakBodySchema },
    {
      'POST /v1/operator/reconciliation/{day}/breaks/{break_id}/resolve': async (event) => {
        const day = parse(daySchema, event.pathParameters?.day, 'day');
        const breakId = parse(breakIdSchema, event.pathParameters?.break_id, 'break_id');
        const body = event.input;
        let result: Awaited<ReturnType<typeof resolveBreak>>;
        try {
          // The Idempotency-Key is also resolveBreak's request id: its own once-only audit entry and
          // posting ids agree with the API's idempotency, so a retry never posts twice.
          result = await resolveBreak(deps.resolve, {
            day,
            breakId,
            action: body.action,
            reason: body.reason,
            operator: body.actor,
            requestId: String(header(event, 'idempotency-key')),
            ...(body.payment_order_id ? { paymentOrderId: body.payment_order_id } : {}),
            ...(body.record_id ? { recordId: body.record_id } : {}),
            ...(body.amount ? { amount: body.amount } : {}),
            ...(body.currency ? { currency: body.currency.toUpperCase() } : {}),
          });
        } catch (error) {
          if (error instanceof ReconciliationError) {
            if (error.code === 'not_found') throw notFound(`break ${breakId} on ${day}`);
            throw new ApiError(
              400,
              error.code === 'not_applicable'
                ? OperatorErrorCode.NotApplicable
                : ApiErrorCode.ValidationError,
              error.message,
              error.details,
            );
          }
          if (error instanceof MoneyError) throw error;
          throw error;
        }
        const audit = await audited(deps, event, {
          actor: body.actor,
          action: `reconciliation_break.${body.action}`,
          target: `${day}/${breakId}`,
          reason: body.reason,
          outcome: { status: result.status, detail: result.detail, replayed: result.replayed },
        });
        return jsonResponse(200, {
          day,
          break_id: result.breakId,
          action: body.action,
          status: result.status,
          detail: result.detail,
          replayed: result.replayed,
          audit_id: audit.audit_id,
        });
      },
    },
  );
  return byMethod(reads, actions);
}

export interface OperatorPayoutsDependencies extends ActionBase {
  readonly payouts: PayoutsContext;
}

/** Pause or resume a seller's payouts (lib/manifest/operator.ts `operator-payouts`), audited. */
export function operatorPayoutsHandler(deps: OperatorPayoutsDependencies) {
  const pauseOrResume = async (event: ValidatedEvent<PauseBody>) => {
    const seller = pathId(event, 'seller_account');
    const paused = !event.resource.endsWith('/resume');
    let settings: Awaited<ReturnType<typeof setPaused>>;
    try {
      settings = await setPaused(deps.payouts, seller, paused);
    } catch (error) {
      if (error instanceof PayoutError && error.code === 'seller_not_found') {
        throw new ApiError(404, OperatorErrorCode.SellerNotFound, error.message, { seller_account: seller });
      }
      throw error;
    }
    const audit = await audited(deps, event, {
      actor: event.input.actor,
      action: paused ? 'payouts.pause' : 'payouts.resume',
      target: seller,
      reason: event.input.reason,
      outcome: { paused: settings.paused, version: settings.version },
    });
    return jsonResponse(200, {
      seller_account: seller,
      paused: settings.paused,
      updated_at: settings.updatedAt,
      audit_id: audit.audit_id,
    });
  };
  return byMethod(
    undefined,
    actionChain<PauseBody>(
      deps,
      {
        '/v1/operator/sellers/{seller_account}/payouts/pause': pauseBodySchema,
        '/v1/operator/sellers/{seller_account}/payouts/resume': pauseBodySchema,
      },
      {
        'POST /v1/operator/sellers/{seller_account}/payouts/pause': pauseOrResume,
        'POST /v1/operator/sellers/{seller_account}/payouts/resume': pauseOrResume,
      },
    ),
  );
}
