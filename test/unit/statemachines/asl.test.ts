/**
 * Every state machine in the manifest: valid ASL (asl-validator), JSONPath mode (the local runner ignores
 * JSONata and Assign), every `${Placeholder}` substituted and every substitution used, and runnable by the
 * local runtime (Task resources it supports, unique state names).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifest } from '../../../lib/manifest';
import { prepareDefinition } from '../../../sandbox/step-functions/definition';

type Validator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
const validate = createRequire(import.meta.url)('asl-validator') as Validator | { default: Validator };
const aslValidator: Validator = typeof validate === 'function' ? validate : validate.default;

const root = resolve(import.meta.dirname, '../../..');

describe.each(manifest.stateMachines.map((sm) => [sm.id, sm] as const))('state machine %s', (_id, spec) => {
  const text = readFileSync(resolve(root, spec.definitionFile), 'utf8');
  const placeholders = new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
  const substitutions = { ...spec.functionSubstitutions, ...(spec.queueSubstitutions ?? {}) };

  it('is valid ASL once its placeholders are substituted', () => {
    const arns = Object.fromEntries(
      Object.keys(substitutions).map((name) => [
        name,
        `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      ]),
    );
    const result = aslValidator(prepareDefinition(text, arns).definition);
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('substitutes every placeholder and uses every substitution', () => {
    expect([...placeholders].sort()).toEqual(Object.keys(substitutions).sort());
    for (const fn of Object.values(spec.functionSubstitutions)) {
      expect(manifest.functions.map((f) => f.id)).toContain(fn);
    }
  });

  it('is written in JSONPath mode, without JSONata or Assign', () => {
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"/);
    expect(text).not.toMatch(/"Assign"\s*:/);
  });

  it('gives every Task an explicit timeout and retries with jitter', () => {
    const definition = JSON.parse(text) as { States: Record<string, Record<string, unknown>> };
    const tasks: [string, Record<string, unknown>][] = [];
    const visit = (states: Record<string, Record<string, unknown>>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task') tasks.push([name, state]);
        const processor = (state.ItemProcessor ?? state.Iterator) as
          | { States: Record<string, Record<string, unknown>> }
          | undefined;
        if (processor) visit(processor.States);
      }
    };
    visit(definition.States);
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      // A fixed timeout, or one the execution's input carries (the pay-out's wait: the provider's usual time).
      if (task.TimeoutSecondsPath === undefined) expect(task.TimeoutSeconds, name).toBeTypeOf('number');
      else expect(task.TimeoutSecondsPath, name).toMatch(/^\$\./);
      const retries = (task.Retry ?? []) as { JitterStrategy?: string }[];
      expect(retries.length, name).toBeGreaterThan(0);
      expect(
        retries.every((r) => r.JitterStrategy === 'FULL'),
        name,
      ).toBe(true);
    }
  });
});
