/** Starts the local runtime for one test file on the shared engines, with resources of its own. */
import { resolve } from 'node:path';
import type { Manifest } from '../../lib/manifest';
import { provision } from '../../sandbox/provision';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../sandbox/runtime';
import { engineEndpoints, uniquePrefix } from './engines';

export const TEST_API_KEY = 'test-api-key';

export async function startTestRuntime(
  manifest: Manifest,
  options: Partial<Omit<RuntimeOptions, 'manifest' | 'names' | 'engines' | 'rootDir' | 'nameOf'>> = {},
): Promise<Runtime & { names: Awaited<ReturnType<typeof provision>> }> {
  const prefix = uniquePrefix('rt');
  const engines = engineEndpoints();
  const names = await provision(manifest, engines, prefix);
  const runtime = await startRuntime({
    manifest,
    rootDir: resolve(import.meta.dirname, '../..'),
    names,
    nameOf: (id) => `${prefix}${id}`,
    engines,
    apiKey: TEST_API_KEY,
    stepFunctions: { retryIntervalMs: 10, waitMs: 10 },
    bucketPollMs: 50,
    asyncRetryDelaysMs: [20, 20],
    runSchedules: false,
    ...options,
  });
  return Object.assign(runtime, { names });
}

/** Polls until `probe` answers a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
