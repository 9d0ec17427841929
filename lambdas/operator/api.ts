/**
 * The operator API's two functions (lib/manifest/operator.ts): `operator-read` (payments, sellers, the ledger
 * check, webhook events, the audit trail) and `operator-actions` (queues and DLQs, redrive, webhook replay).
 * Each route is checked for the operator's key first (auth.ts); actions also need an Idempotency-Key (the same
 * Stripe-style idempotency as POST /v1/payments), a named actor and a reason, and each leaves an audit record.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { ApiError, ApiErrorCode } from '../api/errors';
import { header, jsonResponse, requestIdOf } from '../api/http';
import type { IdempotencyStore } from '../api/idempotency';
import { httpErrors, idempotent, type ValidatedEvent, validJsonBody } from '../api/middleware';
import { fieldPath, pathId, validationError } from '../api/schemas';
import type { LedgerContext } from '../ledger';
import type { PaymentsContext } from '../payments';
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
import {
  eventIdSchema,
  limitSchema,
  orderStatusFilterSchema,
  queueIdSchema,
  type RedriveBody,
  type ReplayBody,
  redriveBodySchema,
  replayBodySchema,
} from './schemas';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
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

function parseBody<T>(schema: z.ZodType<T>): (json: unknown) => T {
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
      const found = await paymentTimeline(deps.payments, deps.ledger, id);
      if (!found) throw notFound(`payment order ${id}`);
      return jsonResponse(200, found);
    },
    'GET /v1/operator/sellers/{seller_account}': async (event) => {
      const seller = pathId(event, 'seller_account');
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 50;
      return jsonResponse(200, await sellerView(deps.ledger, seller, limit));
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
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(operatorOnly(deps.operatorKey))
    .handler(dispatch(routes));
}

export interface OperatorActionDependencies {
  readonly queues: QueuesContext;
  readonly inbox: InboxReadContext;
  /** Sends `{ event_id, type }` to the webhook-events queue: what the webhook itself sends. */
  readonly enqueueWebhookEvent: (eventId: string, type: string) => Promise<void>;
  readonly audit: AuditContext;
  readonly idempotency: IdempotencyStore;
  readonly operatorKey: () => Promise<string>;
  readonly logger: Logger;
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

export function operatorActionsHandler(deps: OperatorActionDependencies) {
  const reads: Record<string, Handler> = {
    'GET /v1/operator/queues': async () => jsonResponse(200, { queues: await listQueues(deps.queues) }),
    'GET /v1/operator/queues/{queue_id}/messages': async (event) => {
      const id = parse(queueIdSchema, event.pathParameters?.queue_id, 'queue_id');
      const limit = parse(limitSchema, query(event, 'limit'), 'limit') ?? 10;
      return jsonResponse(200, await peekDeadLetters(deps.queues, id, limit));
    },
  };

  const readHandler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(operatorOnly(deps.operatorKey))
    .handler(dispatch(reads));

  const actions = async (event: ValidatedEvent<RedriveBody | ReplayBody>) => {
    const key = `${event.httpMethod} ${event.resource}`;
    if (key === 'POST /v1/operator/queues/{queue_id}/redrive') {
      const id = parse(queueIdSchema, event.pathParameters?.queue_id, 'queue_id');
      const body = parse(redriveBodySchema, event.input, '(body)');
      const result = await redrive(deps.queues, id, {
        max: body.max_messages ?? 100,
        ...(body.message_ids ? { messageIds: body.message_ids } : {}),
      });
      const audit = await recordAudit(deps.audit, {
        actor: body.actor,
        source_ip: sourceIp(event),
        action: 'queue.redrive',
        target: id,
        reason: body.reason,
        request_id: requestIdOf(event),
        outcome: { moved: result.moved, source_queue: result.source_queue, message_ids: result.message_ids },
      });
      deps.logger.info('operator redrive', { queue_id: id, moved: result.moved, audit_id: audit.audit_id });
      return jsonResponse(200, { ...result, audit_id: audit.audit_id });
    }
    if (key === 'POST /v1/operator/webhook-events/{event_id}/replay') {
      const id = parse(eventIdSchema, event.pathParameters?.event_id, 'event_id');
      const body = parse(replayBodySchema, event.input, '(body)');
      const stored = await webhookEvent(deps.inbox, id);
      if (!stored) throw notFound(`webhook event ${id}`);
      const type = String(stored.type ?? '');
      // The same message the webhook queues: the consumer applies it once, forward-only (an event already
      // applied is acknowledged and changes nothing).
      await deps.enqueueWebhookEvent(id, type);
      const audit = await recordAudit(deps.audit, {
        actor: body.actor,
        source_ip: sourceIp(event),
        action: 'webhook_event.replay',
        target: id,
        reason: body.reason,
        request_id: requestIdOf(event),
        outcome: { type, status_before: stored.status ?? null },
      });
      deps.logger.info('operator webhook replay', { event_id: id, audit_id: audit.audit_id });
      return jsonResponse(202, {
        event_id: id,
        type,
        status_before: stored.status ?? null,
        queued: true,
        audit_id: audit.audit_id,
      });
    }
    throw notFound(`route ${key}`);
  };

  const bodySchemas: Record<string, z.ZodType<RedriveBody | ReplayBody>> = {
    '/v1/operator/queues/{queue_id}/redrive': redriveBodySchema,
    '/v1/operator/webhook-events/{event_id}/replay': replayBodySchema,
  };
  const actionHandler = middy<ValidatedEvent<RedriveBody | ReplayBody>, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .use(operatorOnly(deps.operatorKey))
    .use(requireIdempotencyKey())
    .use(
      validJsonBody((json) => {
        // The resource is known here only through the event; the schema is picked per route below.
        return json as RedriveBody | ReplayBody;
      }),
    )
    .use({
      before: (request) => {
        const schema = bodySchemas[request.event.resource];
        if (schema) Object.assign(request.event, { input: parseBody(schema)(request.event.json) });
      },
    })
    .use(idempotent(deps.idempotency, deps.logger))
    .handler(actions);

  return async (event: APIGatewayProxyEvent, context: Parameters<typeof readHandler>[1]) =>
    event.httpMethod === 'GET'
      ? readHandler(event, context)
      : actionHandler(event as ValidatedEvent<RedriveBody | ReplayBody>, context);
}
