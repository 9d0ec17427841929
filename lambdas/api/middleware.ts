/**
 * The API's middy middlewares, one concern each:
 * - `httpErrors`: every thrown error becomes its JSON answer (through `toApiError`, the one mapping) and is
 *   logged with the request id and code, never with the body; and before anything else runs, a request whose
 *   path, query string or headers carry a card number is refused (`card_data_not_allowed`): those reach our
 *   keys and logs as much as the body does (an id, the `Idempotency-Key`);
 * - `validJsonBody`: size, content type, card data, JSON and the route's schema, before anything executes; the
 *   handler gets the typed input on `event.input`. Keep it off raw-body routes (the PSP webhook);
 * - `idempotent`: the `Idempotency-Key` contract (see `idempotency.ts`) around the handler.
 * Use them in this order: `httpErrors` first (its onError runs last), then `validJsonBody`, then `idempotent`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiErrorCode, isFunctionTimeout, toApiError } from './errors';
import { errorResponse, header, requestIdOf } from './http';
import {
  checkIdempotencyKey,
  type IdempotencyLock,
  type IdempotencyStore,
  idempotentId,
  requestFingerprint,
  type StoredResponse,
} from './idempotency';
import { cardDataError, readJsonBody, requestCarriesCardData } from './request';

/** An API Gateway event whose JSON body was read and validated. */
export type ValidatedEvent<T> = APIGatewayProxyEvent & {
  readonly input: T;
  readonly json: unknown;
  /**
   * Set by `idempotent` on a request that carries an Idempotency-Key: the id of what it creates, the same on
   * every execution of that request (`idempotentId`). Absent without a key.
   */
  readonly idempotentIdOf?: (prefix: string) => string;
};

type ApiRequest = Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>;

/** Lambda's remaining time plus a margin: a claim outlives its holder by at most that, even after a crash. */
export function lockDurationMs(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return (typeof remaining === 'number' && remaining > 0 ? remaining : 30_000) + 2_000;
}

export function httpErrors(logger: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: (request: ApiRequest) => {
      if (requestCarriesCardData(request.event)) throw cardDataError();
    },
    onError: (request: ApiRequest) => {
      const error = toApiError(request.error);
      const fields = {
        request_id: requestIdOf(request.event),
        route: `${request.event.httpMethod} ${request.event.resource}`,
        status: error.statusCode,
        code: error.code,
      };
      if (error.statusCode >= 500) logger.error('request failed', { ...fields, error: request.error });
      else logger.info('request refused', fields);
      request.response = errorResponse(error, fields.request_id);
    },
  };
}

export function validJsonBody<T>(
  parse: (json: unknown) => T,
  /** `optional`: a request with no body at all is parsed as `undefined` (e.g. a cancel that needs none). */
  options: { readonly optional?: boolean } = {},
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: (request: ApiRequest) => {
      const absent = options.optional && (request.event.body ?? '') === '';
      const json = absent ? undefined : readJsonBody(request.event);
      const input = parse(json);
      Object.assign(request.event, { json, input });
    },
  };
}

/** Stripe stores what the endpoint answered once it executed, except server errors and concurrency refusals. */
function storable(statusCode: number, code?: string): boolean {
  return statusCode < 500 && code !== ApiErrorCode.RequestInProgress;
}

function asStored(response: APIGatewayProxyResult): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
  return { statusCode: response.statusCode, headers, body: response.body };
}

export function idempotent(
  store: IdempotencyStore,
  logger: Logger,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const held = new WeakMap<object, IdempotencyLock>();

  // Bookkeeping failures are logged, never answered: the response stands, and the claim expires by itself.
  const settle = async (request: ApiRequest, lock: IdempotencyLock, response: StoredResponse | undefined) => {
    const fields = { request_id: requestIdOf(request.event), idempotency_key_scope: lock.pk.split('#')[1] };
    try {
      if (response) {
        if (!(await store.complete(lock, response)))
          logger.warn('idempotency claim lost before completion', fields);
      } else {
        await store.release(lock);
      }
    } catch (error) {
      logger.error('could not settle the idempotency record', { ...fields, error });
    }
  };

  return {
    before: async (request: ApiRequest) => {
      const event = request.event;
      const key = checkIdempotencyKey(header(event, 'idempotency-key'));
      if (key === undefined) return undefined;
      const json = (event as Partial<ValidatedEvent<unknown>>).json ?? event.body;
      const scope = event.requestContext?.identity?.apiKeyId ?? 'no-api-key';
      const fingerprint = requestFingerprint(event.httpMethod, event.resource, json, event.pathParameters);
      const outcome = await store.begin({ scope, key, fingerprint, lockMs: lockDurationMs(request.context) });
      if (outcome.kind === 'replay') {
        logger.info('idempotent replay', {
          request_id: requestIdOf(event),
          status: outcome.response.statusCode,
        });
        return {
          statusCode: outcome.response.statusCode,
          headers: { ...outcome.response.headers, 'Idempotent-Replayed': 'true' },
          body: outcome.response.body,
        } satisfies APIGatewayProxyResult;
      }
      held.set(request, outcome.lock);
      Object.assign(event, {
        idempotentIdOf: (prefix: string) => idempotentId(prefix, scope, key, fingerprint),
      });
      return undefined;
    },
    after: async (request: ApiRequest) => {
      const lock = held.get(request);
      if (!lock || !request.response) return;
      const response = request.response;
      await settle(request, lock, storable(response.statusCode) ? asStored(response) : undefined);
    },
    onError: async (request: ApiRequest) => {
      const lock = held.get(request);
      if (!lock) return;
      // Out of time: the handler may still be working (middy does not stop it). The claim is kept, so that
      // no retry runs beside it; it lapses by itself just after the function's deadline.
      if (isFunctionTimeout(request.error)) return;
      // The same answer `httpErrors` gives: stored if it is a client error of the executed request.
      const error = toApiError(request.error);
      const response = errorResponse(error, requestIdOf(request.event));
      await settle(request, lock, storable(error.statusCode, error.code) ? asStored(response) : undefined);
    },
  };
}
