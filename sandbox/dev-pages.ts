/**
 * Pages the sandbox serves next to the API (never deployed: on AWS these are a static site's job):
 * - `/openapi.json` the OpenAPI 3.1 document generated from the code (lambdas/api/openapi.ts), `/docs` a page
 *   that renders it (plain HTML + JS, nothing fetched from the internet);
 * - `/_demo/shop` a storefront: a cart from several sellers, paid with a card tokenized in the browser by the
 *   PSP simulator (publishable key; the card never reaches our API) or on the PSP's hosted page, and
 *   `/_demo/shop/result` where the orders' statuses change before your eyes (3-D Secure included);
 * - `/_demo/api/...` the storefront's backend stand-in: a proxy that adds the storefront's API key server-side,
 *   so the key never reaches the browser. It only forwards storefront routes and only serves loopback callers;
 * - `/_console` the operator's console, which calls the operator API with the key the operator types in;
 * - `/_sandbox/info` (loopback only) where the local S3 engine listens and the buckets' names, so the CLI can
 *   upload a settlement file into the settlements bucket as the PSP would (no secret in it: local engines).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { openApiDocument } from '../lambdas/api/openapi';
import { routeDocs } from '../lambdas/api/openapi-registry';
import type { Manifest } from '../lib/manifest';

export const PUBLISHABLE_KEY = 'pk_test_local_simulator';

export interface DevPagesOptions {
  readonly manifest: Manifest;
  /** The storefront's API key, added by the demo proxy (never sent to the browser). */
  readonly storefrontKey: string;
  /** The PSP simulator's URL (the browser tokenizes cards there). */
  readonly pspUrl: string;
  readonly sandboxInfo?: {
    readonly s3Endpoint: string;
    readonly region: string;
    readonly buckets: Readonly<Record<string, string>>;
  };
}

const PAGES_DIR = join(import.meta.dirname, 'pages');

const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  '/docs': { file: 'docs.html', type: 'text/html; charset=utf-8' },
  '/_demo/shop': { file: 'shop.html', type: 'text/html; charset=utf-8' },
  '/_demo/shop/result': { file: 'result.html', type: 'text/html; charset=utf-8' },
  '/_console': { file: 'console.html', type: 'text/html; charset=utf-8' },
  '/_pages/common.js': { file: 'common.js', type: 'text/javascript; charset=utf-8' },
  '/_pages/docs.js': { file: 'docs.js', type: 'text/javascript; charset=utf-8' },
  '/_pages/shop.js': { file: 'shop.js', type: 'text/javascript; charset=utf-8' },
  '/_pages/result.js': { file: 'result.js', type: 'text/javascript; charset=utf-8' },
  '/_pages/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/_pages/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** Storefront routes the demo proxy forwards (prefix match on the path after `/_demo/api`). */
const PROXIED = [
  /^\/v1\/payments(\/|$)/,
  /^\/v1\/checkouts\//,
  /^\/v1\/sellers\/[^/]+\/wallet$/,
  /^\/v1\/refunds(\/|$)/,
];

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** Pages load only our own scripts and styles; they may call the API (same origin) and the PSP simulator. */
function csp(pspUrl: string): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${pspUrl}; form-action 'self' ${pspUrl}; base-uri 'none'; frame-ancestors 'none'`;
}

/**
 * The manifest with the hosted page's return URLs pointing at the demo's result page (instead of the
 * placeholder shop domain), so a buyer who pays on the PSP's page comes back to `/_demo/shop/result`.
 */
export function withDemoReturnUrls(manifest: Manifest, apiUrl: string): Manifest {
  const result = `${apiUrl}/_demo/shop/result?checkout_id={CHECKOUT_ID}`;
  return {
    ...manifest,
    functions: manifest.functions.map((f) =>
      f.environment?.HOSTED_SUCCESS_URL
        ? {
            ...f,
            environment: {
              ...f.environment,
              HOSTED_SUCCESS_URL: result,
              HOSTED_CANCEL_URL: `${result}&cancelled=1`,
            },
          }
        : f,
    ),
  };
}

export function devPages(options: DevPagesOptions) {
  let document: string | undefined;
  const openApi = (serverUrl: string) => {
    document ??= JSON.stringify(openApiDocument(options.manifest.routes, routeDocs, { serverUrl }), null, 2);
    return document;
  };

  return async (req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const send = (
      status: number,
      type: string,
      text: string | Buffer,
      extra: Record<string, string> = {},
    ) => {
      res.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...extra,
      });
      res.end(text);
    };

    if (method === 'GET' && path === '/openapi.json') {
      send(200, 'application/json', openApi(`http://${req.headers.host ?? '127.0.0.1'}`));
      return true;
    }
    if (method === 'GET' && path === '/_sandbox/info') {
      if (!isLoopback(req.socket.remoteAddress) || !options.sandboxInfo) {
        send(404, 'application/json', JSON.stringify({ message: 'not found' }));
        return true;
      }
      send(
        200,
        'application/json',
        JSON.stringify({
          s3_endpoint: options.sandboxInfo.s3Endpoint,
          region: options.sandboxInfo.region,
          buckets: options.sandboxInfo.buckets,
        }),
      );
      return true;
    }
    if (method === 'GET' && path === '/_demo/config.json') {
      const refunds = options.manifest.routes.find((r) => r.method === 'POST' && r.path.includes('refund'));
      send(
        200,
        'application/json',
        JSON.stringify({
          psp_url: options.pspUrl,
          publishable_key: PUBLISHABLE_KEY,
          // The demo's refund button calls this route (and reads the refund back with GET on the same path).
          refund_route: refunds ? { method: refunds.method, path: refunds.path } : null,
        }),
      );
      return true;
    }
    const page = STATIC[path];
    if (method === 'GET' && page) {
      const text = await readFile(join(PAGES_DIR, page.file));
      send(
        200,
        page.type,
        text,
        page.type.startsWith('text/html') ? { 'content-security-policy': csp(options.pspUrl) } : {},
      );
      return true;
    }
    if (path.startsWith('/_demo/api/')) {
      const target = path.slice('/_demo/api'.length);
      if (!isLoopback(req.socket.remoteAddress)) {
        send(403, 'application/json', JSON.stringify({ message: 'the demo proxy serves this machine only' }));
        return true;
      }
      if (!PROXIED.some((p) => p.test(target))) {
        send(404, 'application/json', JSON.stringify({ message: 'not a storefront route' }));
        return true;
      }
      const headers: Record<string, string> = { 'x-api-key': options.storefrontKey };
      for (const name of ['content-type', 'idempotency-key']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const local = `http://127.0.0.1:${req.socket.localPort}${target}${url.search}`;
      const answer = await fetch(local, {
        method,
        headers,
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
      });
      send(
        answer.status,
        answer.headers.get('content-type') ?? 'application/json',
        Buffer.from(await answer.arrayBuffer()),
      );
      return true;
    }
    return false;
  };
}
