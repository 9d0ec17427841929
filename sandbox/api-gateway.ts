/**
 * A local stand-in for the REST API: routes by the manifest's route table and hands the function a real API
 * Gateway proxy event (raw body kept byte for byte, so webhook signatures verify). It answers as API Gateway
 * does where API Gateway answers by itself: 403 for an unknown route or a missing API key, 413 for a body over
 * 10 MB, 400 for a path whose percent-encoding is malformed (in our error envelope, code `invalid_path`), 502
 * when the function fails or returns something that is not a proxy result.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { RouteSpec } from '../lib/manifest';
import { LOCAL_ACCOUNT } from './engines/local-aws';
import { describeError, type LambdaHost } from './lambda-host';

const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const STAGE = 'v1';

interface CompiledRoute {
  readonly spec: RouteSpec;
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

function compile(spec: RouteSpec): CompiledRoute {
  const params: string[] = [];
  const source = spec.path
    .split('/')
    .map((segment) => {
      const match = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (match?.[1]) {
        params.push(match[1]);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { spec, pattern: new RegExp(`^${source}/?$`), params };
}

export interface LocalApiOptions {
  readonly port: number;
  readonly host?: string;
  readonly apiKey: string;
  /** Extra routes served by the runtime itself (health, controls), matched before the manifest's. */
  readonly localRoutes?: (req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<boolean>;
}

export interface LocalApi {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { statusCode?: unknown }).statusCode === 'number'
  );
}

export function buildProxyEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  route: CompiledRoute,
  pathParameters: Record<string, string> | null,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    multiQuery[key] = [...(multiQuery[key] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const apiKey = req.headers['x-api-key'];
  const now = Date.now();
  return {
    resource: route.spec.path,
    path: url.pathname,
    httpMethod: route.spec.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: route.spec.method,
      path: `/${STAGE}${url.pathname}`,
      stage: STAGE,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.spec.path,
      domainName: req.headers.host ?? 'localhost',
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: typeof apiKey === 'string' ? apiKey : null,
        apiKeyId: typeof apiKey === 'string' ? 'local-api-key' : null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
    },
  };
}

/** The route's path parameters, percent-decoded, or undefined when an escape is malformed (`%`, `%zz`, `%c3`). */
export function decodePathParameters(
  names: readonly string[],
  match: RegExpExecArray,
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  try {
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? '');
    });
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
  return params;
}

export async function startLocalApi(
  routes: readonly RouteSpec[],
  host: LambdaHost,
  options: LocalApiOptions,
): Promise<LocalApi> {
  const compiled = routes.map(compile);

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const body = await readBody(req, MAX_PAYLOAD_BYTES);
      if (body === 'too-large') return json(res, 413, { message: 'Request Too Long' });
      if (options.localRoutes && (await options.localRoutes(req, body, res))) return;

      let matched: { route: CompiledRoute; params: Record<string, string> | null } | undefined;
      for (const route of compiled) {
        if (route.spec.method !== req.method) continue;
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        const params = decodePathParameters(route.params, match);
        if (!params) {
          // API Gateway refuses a path it cannot decode before any function runs: a 400, never a 5xx.
          return json(res, 400, {
            error: {
              code: 'invalid_path',
              message: 'the path has a malformed percent-encoding',
              request_id: randomUUID(),
            },
          });
        }
        matched = { route, params: route.params.length ? params : null };
        break;
      }
      if (!matched) return json(res, 403, { message: 'Missing Authentication Token' });
      if (matched.route.spec.apiKeyRequired && req.headers['x-api-key'] !== options.apiKey) {
        return json(res, 403, { message: 'Forbidden' });
      }

      const event = buildProxyEvent(req, url, body, matched.route, matched.params);
      try {
        const result = await host.invoke(matched.route.spec.function, event);
        if (!isProxyResult(result)) throw new Error('function returned a value that is not a proxy result');
        const headers: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
        for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
          headers[name] = values.map(String);
        headers['x-amzn-requestid'] = event.requestContext.requestId;
        res.writeHead(result.statusCode, headers);
        res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
      } catch (error) {
        // The route's template, not the path: a path may carry what must not be logged (ids a client chose).
        console.error(
          `[api] ${req.method} ${matched.route.spec.path} -> ${matched.route.spec.function} failed: ${describeError(error)}`,
        );
        json(res, 502, { message: 'Internal server error' });
      }
    })().catch((error: unknown) => {
      console.error('[api] unexpected failure', error);
      if (!res.headersSent) json(res, 500, { message: 'Internal server error' });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
