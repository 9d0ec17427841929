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
import { PSP_HOT_PATH_ENVIRONMENT } from '../../../lib/manifest/load-shaping';
import { prepareDefinition, REAL_TIME_RETRY_ERRORS } from '../../../sandbox/step-functions/definition';

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

  it('gives every Task an explicit timeout and retries with jitter (a wait for a request in flight excepted)', () => {
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
      const retries = (task.Retry ?? []) as { JitterStrategy?: string; ErrorEquals: string[] }[];
      expect(retries.length, name).toBeGreaterThan(0);
      // Full jitter spreads retries of a failure. A retry that waits for our own request still running at
      // the PSP must not come early (full jitter draws from 0 s, into the same 409): it waits its interval,
      // which is no synchronised herd, since each order's timeout comes at its own time.
      const backingOff = retries.filter((r) => !r.ErrorEquals.every((e) => REAL_TIME_RETRY_ERRORS.has(e)));
      expect(backingOff.length, name).toBeGreaterThan(0);
      expect(
        backingOff.every((r) => r.JitterStrategy === 'FULL'),
        name,
      ).toBe(true);
    }
  });
});

describe('the pay-in charge step: one layer retries, and a slow answer is waited for', () => {
  const spec = manifest.stateMachines.find((m) => m.id === 'pay-in');
  const text = readFileSync(resolve(root, spec?.definitionFile ?? ''), 'utf8');
  type Retrier = {
    ErrorEquals: string[];
    IntervalSeconds: number;
    BackoffRate: number;
    MaxAttempts: number;
    JitterStrategy?: string;
  };
  const step = (
    JSON.parse(text) as {
      States: { ExecuteOrders: { ItemProcessor: { States: { ExecutePaymentOrder: { Retry: Retrier[] } } } } };
    }
  ).States.ExecuteOrders.ItemProcessor.States.ExecutePaymentOrder;

  it('retries a request still in flight only after the charge timeout, with backoff, before any other rule', () => {
    const [inFlight, transient] = step.Retry;
    expect(inFlight?.ErrorEquals).toEqual(['PspInFlightError']);
    // The first retry comes no sooner than the slow request had again as long as our client waited for it.
    expect((inFlight?.IntervalSeconds ?? 0) * 1000).toBeGreaterThanOrEqual(
      Number(PSP_HOT_PATH_ENVIRONMENT.PSP_CHARGE_TIMEOUT_MS),
    );
    expect(inFlight?.JitterStrategy).toBe('NONE');
    expect(inFlight?.BackoffRate).toBeGreaterThan(1);
    // What is waited for in all: 3 + 6 + 12 s (with MaxAttempts 3), then the sweeper, with the same key.
    const waited = Array.from(
      { length: inFlight?.MaxAttempts ?? 0 },
      (_, i) => (inFlight?.IntervalSeconds ?? 0) * (inFlight?.BackoffRate ?? 1) ** i,
    ).reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(20);
    // Any other transient failure: the bounded, jittered retries (a 5xx is sent 3 times at most).
    expect(transient?.ErrorEquals).toContain('PspTransientError');
    expect(transient?.MaxAttempts).toBe(2);
    expect(transient?.JitterStrategy).toBe('FULL');
  });

  it('the local runner keeps that wait in real time while tests shorten every other retry', () => {
    const arns = Object.fromEntries(
      Object.keys(spec?.functionSubstitutions ?? {}).map((name) => [
        name,
        `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
      ]),
    );
    const prepared = prepareDefinition(text, arns);
    expect(prepared.retryingStates.get('ExecutePaymentOrder')).toEqual([true, false]);
    // Every other retrying state of the pay-in is shortened.
    for (const [name, realTime] of prepared.retryingStates) {
      if (name !== 'ExecutePaymentOrder')
        expect(
          realTime.every((keep) => !keep),
          name,
        ).toBe(true);
    }
  });
});
