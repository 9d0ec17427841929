/**
 * The real manifest's functions bundled as `cdk synth` bundles them: by the local esbuild (no Docker on this
 * machine, so a fallback to Docker would fail here), as ESM with the createRequire banner and a source map.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
import { synth } from './synth';
import { logicalId, propsOf } from './template-helpers';

describe('bundling the real manifest', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundling-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('writes one minified ESM bundle with a require shim and a source map per function', () => {
    // Act
    const { stack, template } = synth(manifest, { bundle: true, outdir });
    template.toJSON();

    // Assess
    for (const spec of manifest.functions) {
      const code = propsOf(template, logicalId(stack, stack.fn(spec.id).function)).Code as { S3Key: string };
      const assetDir = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
      const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
      expect(bundle.startsWith("import { createRequire } from 'node:module';"), spec.id).toBe(true);
      expect(bundle).toMatch(/export\s*\{[^}]*as handler\s*\}/);
      expect(existsSync(join(assetDir, 'index.mjs.map')), spec.id).toBe(true);
    }
  }, 300_000);
});
