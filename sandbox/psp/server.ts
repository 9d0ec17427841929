/**
 * The HTTP front: Stripe's API under `/v1` (Bearer or Basic auth with a secret key, form-encoded requests,
 * JSON responses, fault injection, idempotency), the control API under `/_sim`, and the hosted pages.
 * Request bodies are never logged (the hosted page's form carries a card number).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiAccess } from './access';
import { handleControlRequest, type PspControl } from './control';
import type { PspEngine, RequestContext } from './engine';
import {
  authenticationError,
  expiredKeyError,
  rateLimitError,
  StripeApiError,
  serverError,
  storedServerError,
} from './errors';
import { expand } from './expand';
import type { FaultInjector } from './faults';
import { canonicalParams, Params, parseForm } from './form';
import type { HoldGate } from './gate';
import { hostedPage } from './hosted-page';
import type { IdempotencyStore, StoredResponse } from './idempotency';
import { SIMULATED_API_VERSION } from './objects';
import type { PayeeNetwork } from './payee-network';
import { newId } from './random';
import { matchRoute, type Route } from './router';
import { isTokenization, tokenize } from './tokenization';

export interface ServerDeps {
  engine: PspEngine;
  routes: readonly Route[];
  faults: FaultInjector;
  idempotency: IdempotencyStore;
  gate: HoldGate;
  control: PspControl;
  /** Which secret keys work (rotation) and how fast each account may call (rate limit). */
  access: ApiAccess;
  /** Accepts a publishable key (browser tokenization only)? */
  acceptsPublishableKey?(key: string): boolean;
  /** Makes the state durable (persistence.ts); called before any response is sent. */
  persist?(): void;
  /** The asynchronous payout provider (payee-network.ts) under `/payee/v1`, with its own keys. */
  payee?: { readonly network: PayeeNetwork; acceptsKey(key: string): boolean };
  log(line: string): void;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function redact(key: string): string {
  if (key.length <= 12) return '*'.repeat(key.length);
  return `${key.slice(0, 8)}${'*'.repeat(key.length - 12)}${key.slice(-4)}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { engine } = deps;

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>) {
    // Before the answer: nothing a client is told about can be lost by a crash.
    deps.persist?.();
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'Content-Length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  function apiHeaders(req: IncomingMessage, requestId: string): Record<string, string> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, no-store',
      'Request-Id': requestId,
      'Stripe-Version': String(req.headers['stripe-version'] ?? SIMULATED_API_VERSION),
    };
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') headers['Idempotency-Key'] = key;
    return headers;
  }

  function errorBody(error: StripeApiError): string {
    return JSON.stringify(error.toJSON(), null, 2);
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const method = req.method ?? 'GET';
    const requestId = newId('req', 14);
    const headers = apiHeaders(req, requestId);
    const fail = (error: StripeApiError) => send(res, error.statusCode, errorBody(error), headers);

    const apiKey = apiKeyOf(req);
    if (!apiKey) {
      return fail(
        authenticationError(
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        ),
      );
    }
    const keyCheck = deps.access.check(apiKey);
    if (keyCheck === 'expired') return fail(expiredKeyError(redact(apiKey)));
    if (keyCheck !== 'ok') return fail(authenticationError(`Invalid API Key provided: ${redact(apiKey)}`));
    const stripeAccountHeader = req.headers['stripe-account'];
    const stripeAccount = typeof stripeAccountHeader === 'string' ? stripeAccountHeader : null;
    // Per account, before anything is read or stored (Stripe saves nothing for a 429).
    if (!deps.access.admit(deps.access.scopeOf(apiKey), stripeAccount)) {
      deps.log(`rate limited ${method} ${url.pathname}`);
      return fail(rateLimitError());
    }

    const matched = matchRoute(deps.routes, method, url.pathname);
    if (!matched.route) {
      return fail(
        new StripeApiError(404, {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        }),
      );
    }
    const { route } = matched;

    let params: Params;
    try {
      params = new Params(parseForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : body));
    } catch {
      return fail(
        new StripeApiError(400, { type: 'invalid_request_error', message: 'Invalid request body.' }),
      );
    }

    const fault = deps.faults.pickApi(method, route.template, url.pathname);
    if (fault) deps.log(`fault ${fault.kind} on ${method} ${url.pathname}`);
    if (fault?.kind === 'rate_limit') return fail(rateLimitError());
    if (fault?.kind === 'error') return fail(serverError(fault.status ?? 500));

    const idempotencyKey = method === 'POST' ? req.headers['idempotency-key'] : undefined;
    let claim: ReturnType<IdempotencyStore['claim']> | undefined;
    if (typeof idempotencyKey === 'string') {
      try {
        claim = deps.idempotency.claim(
          deps.access.scopeOf(apiKey),
          idempotencyKey,
          `${method} ${url.pathname} ${String(req.headers['stripe-account'] ?? '')} ${canonicalParams(params.raw)}`,
        );
      } catch (error) {
        if (error instanceof StripeApiError) return fail(error);
        throw error;
      }
      if (claim.kind === 'replay') {
        if (fault?.kind === 'drop') {
          res.socket?.destroy();
          return;
        }
        return send(res, claim.response.status, claim.response.body, {
          ...headers,
          'Idempotent-Replayed': 'true',
          'Original-Request': claim.response.requestId,
          // A saved 5xx: retrying the same key can only replay it (Stripe says so in this header).
          ...(claim.response.status >= 500 ? { 'Stripe-Should-Retry': 'false' } : {}),
        });
      }
    }

    if (fault?.kind === 'latency') await sleep(fault.delayMs ?? 5000);
    if (fault?.kind === 'hold') await deps.gate.hold();

    const request: RequestContext = {
      requestId,
      idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : null,
      stripeAccount: typeof req.headers['stripe-account'] === 'string' ? req.headers['stripe-account'] : null,
    };
    let status: number;
    let responseBody: string;
    let replayable = true;
    try {
      engine.tick();
      if (fault?.kind === 'stored_error' && fault.executed === false) {
        // Failed once execution began but before anything was committed.
        throw storedServerError(fault.status ?? 500);
      }
      const result = route.handle({ params, path: matched.path, request, engine });
      // Failed after the work was committed: the client never learns what was done.
      if (fault?.kind === 'stored_error') throw storedServerError(fault.status ?? 500);
      status = 200;
      responseBody = JSON.stringify(expand(result, params.expand(), engine.store), null, 2);
    } catch (error) {
      if (error instanceof StripeApiError) {
        status = error.statusCode;
        responseBody = errorBody(error);
        replayable = error.replayable;
      } else {
        deps.log(
          `internal error on ${method} ${url.pathname}: ${error instanceof Error ? error.stack : String(error)}`,
        );
        status = 500;
        responseBody = errorBody(serverError(500));
        replayable = false;
      }
    }
    if (claim?.kind === 'fresh') {
      if (replayable) claim.complete({ status, body: responseBody, requestId } satisfies StoredResponse);
      else claim.release();
    }
    if (fault?.kind === 'drop') {
      // The work is committed (and stored under the key); the client never hears about it.
      res.socket?.destroy();
      return;
    }
    send(res, status, responseBody, {
      ...headers,
      ...(status >= 500 && replayable && claim?.kind === 'fresh' ? { 'Stripe-Should-Retry': 'false' } : {}),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (isTokenization(method, url.pathname, body)) {
      const accepts = deps.acceptsPublishableKey ?? ((key: string) => key.startsWith('pk_test_'));
      const result = tokenize(engine, method, body, accepts);
      deps.persist?.();
      send(
        res,
        result.status,
        result.body === '' ? '' : JSON.stringify(result.body, null, 2),
        result.headers,
      );
      deps.log(`${method} ${url.pathname} (browser tokenization) -> ${result.status}`);
      return;
    }
    if (url.pathname.startsWith('/v1/')) {
      await api(req, res, url, body);
      // Also when no answer was sent (a dropped connection): the work was done.
      deps.persist?.();
      deps.log(
        `${method} ${url.pathname} -> ${res.destroyed && !res.writableEnded ? 'dropped' : res.statusCode}`,
      );
      return;
    }
    if (url.pathname.startsWith('/payee/') && deps.payee) {
      const key = apiKeyOf(req);
      const headers = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };
      if (!key || !deps.payee.acceptsKey(key)) {
        send(
          res,
          401,
          JSON.stringify({ error: { code: 'unauthorized', message: 'invalid API key' } }),
          headers,
        );
        return;
      }
      engine.tick();
      const idempotencyKey = req.headers['idempotency-key'];
      const answer = deps.payee.network.handle(
        method,
        url,
        body,
        typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
      );
      // On disk before the answer (or the dropped socket) leaves, as for the PSP's own requests.
      deps.persist?.();
      if (answer.delayMs) await sleep(answer.delayMs);
      deps.log(`${method} ${url.pathname} (payee network) -> ${answer.drop ? 'dropped' : answer.status}`);
      if (answer.drop) {
        res.socket?.destroy();
        return;
      }
      send(res, answer.status, JSON.stringify(answer.body), headers);
      return;
    }
    if (url.pathname.startsWith('/_sim/')) {
      const result = await handleControlRequest(deps.control, method, url.pathname, url.searchParams, body);
      const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body, null, 2);
      send(res, result.status, text, { 'Content-Type': result.contentType ?? 'application/json' });
      return;
    }
    engine.tick();
    const form = new URLSearchParams(method === 'POST' ? body : '');
    const page = hostedPage(engine, method, url.pathname, url.searchParams, form);
    if (!page) {
      send(res, 404, 'Not found', { 'Content-Type': 'text/plain' });
      return;
    }
    if ('location' in page) {
      send(res, 303, '', { Location: page.location, 'Cache-Control': 'no-store' });
      return;
    }
    send(res, page.status, page.html, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'X-Frame-Options': 'DENY',
    });
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      deps.log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(serverError(500).toJSON()));
      } else {
        res.destroy();
      }
    });
  };
}
