/**
 * The whole system for an end-to-end test file: the real manifest's functions, routes, queues and state
 * machines on the shared engines, plus a PSP simulator the functions' Stripe SDK talks to, with retries and
 * polling shortened so a test takes seconds.
 */
import { resolve } from 'node:path';
import { manifest } from '../../lib/manifest';
import { type LocalSystem, type LocalSystemOptions, startLocalSystem } from '../../sandbox/local-system';
import { engineEndpoints, uniquePrefix } from './engines';
import { TEST_API_KEY } from './runtime';

export { TEST_API_KEY } from './runtime';

export async function startTestSystem(overrides: Partial<LocalSystemOptions> = {}): Promise<LocalSystem> {
  // The functions log JSON lines (Powertools); tests keep warnings and errors only.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  return startLocalSystem({
    manifest,
    rootDir: resolve(import.meta.dirname, '../..'),
    apiKey: TEST_API_KEY,
    engines: engineEndpoints(),
    prefix: uniquePrefix('e2e'),
    pspPort: 0,
    pspSeed: 'e2e',
    webhookRetryBaseMs: 50,
    ...overrides,
    runtime: {
      stepFunctions: { retryIntervalMs: 20, waitMs: 20 },
      bucketPollMs: 50,
      asyncRetryDelaysMs: [20, 20],
      runSchedules: false,
      ...overrides.runtime,
    },
  });
}

export interface ApiAnswer<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export async function callApi<T = Record<string, unknown>>(
  system: LocalSystem,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${system.endpoints.api}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY, ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
}
