/**
 * The functions validate with `zod/mini`, never with full zod: `import { z } from 'zod'` is not tree-shakable and
 * brings every locale (about 440 KB more in a bundle, tens of ms more module load). Each function's runtime import
 * graph (its entry bundled as deployed, but with packages left out so that only our modules are read) may import
 * `zod/mini` and the English locale only, and every module that imports `zod/mini` also loads
 * lambdas/shared/zod-english.ts next to it (else its issues would say "Invalid input"). The OpenAPI modules
 * (lambdas/api/openapi.ts, the route docs, the response schemas) use full zod: they are on no function's graph.
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createPaymentSchema } from '../../../lambdas/api/schemas';
import { manifest } from '../../../lib/manifest';

const root = resolve(import.meta.dirname, '../../..');
const ALLOWED = new Set(['zod/mini', 'zod/v4/locales/en.js']);
const ENGLISH = 'lambdas/shared/zod-english.ts';

interface Found {
  readonly fullZod: string[];
  readonly withoutEnglish: string[];
}

async function zodImports(entry: string): Promise<Found> {
  const { metafile } = await build({
    entryPoints: [resolve(root, entry)],
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  const fullZod: string[] = [];
  const withoutEnglish: string[] = [];
  for (const [path, input] of Object.entries(metafile.inputs)) {
    const zod = input.imports.filter((i) => i.external && /^zod(\/|$)/.test(i.path));
    for (const i of zod) if (!ALLOWED.has(i.path)) fullZod.push(`${path} imports ${i.path}`);
    const mini = zod.some((i) => i.path === 'zod/mini');
    if (mini && path !== ENGLISH && !input.imports.some((i) => i.path === ENGLISH)) withoutEnglish.push(path);
  }
  return { fullZod, withoutEnglish };
}

describe('zod in the functions', () => {
  it('every function imports zod/mini (with the English messages) and never full zod', async () => {
    // Act
    const found = await Promise.all(
      manifest.functions.map(async (f) => ({ id: f.id, ...(await zodImports(f.entry)) })),
    );

    // Assess
    expect(found.flatMap((f) => f.fullZod.map((p) => `${f.id}: ${p}`))).toEqual([]);
    expect(found.flatMap((f) => f.withoutEnglish.map((p) => `${f.id}: ${p}`))).toEqual([]);
  }, 120_000);

  it('says what is wrong in English, as full zod does', () => {
    // Act
    const parsed = createPaymentSchema.safeParse({ buyer_info: { buyer_id: 7 }, checkout_id: 'c', extra: 1 });

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.code, i.message])).toEqual([
      [
        'buyer_info.buyer_id',
        'invalid_type',
        'must be 1-128 characters of A-Z a-z 0-9 _ . @ + -, and not "." or ".."',
      ],
      ['payment_orders', 'invalid_type', 'Invalid input: expected array, received undefined'],
      ['', 'unrecognized_keys', 'Unrecognized key: "extra"'],
    ]);
  });
});
