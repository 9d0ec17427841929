import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashPoint } from '../../../lambdas/shared/crash-point';
import type { Manifest } from '../../../lib/manifest';
import { type CrashInjection, installCrashInjection } from '../../../sandbox/crash-injection';
import { LambdaHost } from '../../../sandbox/lambda-host';
import { client, sent } from './fixtures/cleanup-handler';
import { handled } from './fixtures/recording-handler';

const entry = 'test/unit/sandbox/fixtures/recording-handler.ts';
const manifest = {
  functions: [
    { id: 'step', entry, timeoutSeconds: 5 },
    { id: 'batch', entry, timeoutSeconds: 5 },
    { id: 'plain', entry, timeoutSeconds: 5 },
    { id: 'cleanup', entry: 'test/unit/sandbox/fixtures/cleanup-handler.ts', timeoutSeconds: 5 },
    { id: 'psp-cleanup', entry: 'test/unit/sandbox/fixtures/psp-cleanup-handler.ts', timeoutSeconds: 5 },
  ],
} as unknown as Manifest;
const root = resolve(import.meta.dirname, '../../..');

let host: LambdaHost;
let crashes: CrashInjection | undefined;
const arm = (rates: { afterPsp?: number; afterStep?: number; midBatch?: number }, seed = 's') => {
  crashes = installCrashInjection(host, {
    seed,
    afterPsp: rates.afterPsp ?? 0,
    afterStep: rates.afterStep ?? 0,
    midBatch: rates.midBatch ?? 0,
    stepFunctions: ['step'],
    batchFunctions: ['batch'],
    awsClients: [client],
  });
  return crashes;
};
const records = (n: number) => ({ Records: Array.from({ length: n }, (_, i) => ({ id: `r${i}` })) });

beforeEach(() => {
  host = new LambdaHost(manifest, root, (id) => `test-${id}`);
  handled.length = 0;
});
afterEach(() => {
  crashes?.remove();
  crashes = undefined;
});

describe('crash injection in the local runtime', () => {
  it('does nothing unarmed: crashPoint is a no-op and handlers answer', async () => {
    expect(() => crashPoint('test.after-work', 'x')).not.toThrow();
    await expect(host.invoke('step', { id: 'a' })).resolves.toEqual({ ok: true });
  });

  it('loses a step answer after the work was done, as a retriable Lambda.ServiceException', async () => {
    const { stats } = arm({ afterStep: 1 });
    await expect(host.invoke('step', { id: 'a' })).rejects.toMatchObject({ name: 'Lambda.ServiceException' });
    expect(handled).toEqual(['a']);
    expect(stats.afterStep).toEqual({ step: 1 });
    // Other functions are not steps.
    await expect(host.invoke('plain', { id: 'b' })).resolves.toEqual({ ok: true });
  });

  it('kills a batch consumer after part of its batch', async () => {
    const { stats } = arm({ midBatch: 1 });
    await expect(host.invoke('batch', records(5))).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    expect(handled.length).toBeGreaterThan(0);
    expect(handled.length).toBeLessThan(5);
    expect(handled).toEqual(['r0', 'r1', 'r2', 'r3'].slice(0, handled.length));
    expect(stats.midBatch).toEqual({ batch: 1 });
    // A batch of one cannot die half-way.
    await expect(host.invoke('batch', records(1))).resolves.toEqual({ ok: true });
  });

  it('crashes at a named crash point, and stops when disabled or removed', async () => {
    const injection = arm({ afterPsp: 1 });
    await expect(host.invoke('plain', { id: 'a' })).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    expect(handled).toEqual(['a']);
    expect(injection.stats.afterPsp).toEqual({ 'test.after-work': 1 });
    injection.disable();
    await expect(host.invoke('plain', { id: 'b' })).resolves.toEqual({ ok: true });
    injection.remove();
    crashes = undefined;
    expect(() => crashPoint('test.after-work', 'c')).not.toThrow();
  });

  it('a dead invocation sends nothing: the AWS call its finally makes fails unsent', async () => {
    sent.length = 0;
    const injection = arm({ afterPsp: 1 });
    await expect(host.invoke('cleanup', { id: 'a' })).rejects.toMatchObject({ name: 'Runtime.ExitError' });
    expect(sent).toEqual([]);
    expect(injection.stats.afterDeath).toEqual({ PutItemCommand: 1 });
    // Alive, the same code sends its write; removed, nothing of the injection is left on the client.
    injection.disable();
    await expect(host.invoke('cleanup', { id: 'b' })).resolves.toEqual({ ok: true });
    injection.remove();
    crashes = undefined;
    await client.send(new PutCommand({ TableName: 't', Item: { pk: 'c' } }));
    expect(sent).toEqual(['PutItemCommand', 'PutItemCommand']);
  });

  it('a dead invocation sends nothing to the PSP either: its Stripe request fails unsent', async () => {
    const received: string[] = [];
    const psp = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'pi_x', object: 'payment_intent', status: 'canceled' }));
    });
    await new Promise<void>((done) => psp.listen(0, '127.0.0.1', done));
    const pspBase = `http://127.0.0.1:${(psp.address() as AddressInfo).port}`;
    try {
      const injection = arm({ afterPsp: 1 });
      await expect(host.invoke('psp-cleanup', { id: 'a', pspBase })).rejects.toMatchObject({
        name: 'Runtime.ExitError',
      });
      expect(received).toEqual([]);
      expect(injection.stats.afterDeath).toEqual({ psp: 1 });
      // Alive, the same code reaches the PSP.
      injection.disable();
      await expect(host.invoke('psp-cleanup', { id: 'b', pspBase })).resolves.toEqual({ ok: true });
      expect(received).toEqual(['POST /v1/payment_intents/pi_b/cancel']);
    } finally {
      psp.close();
    }
  });

  it('crashes the same attempts for the same seed', async () => {
    const outcomes = async (seed: string) => {
      host = new LambdaHost(manifest, root, (id) => `test-${id}`);
      arm({ afterStep: 0.5 }, seed);
      const got: string[] = [];
      for (let i = 0; i < 20; i++)
        got.push(
          await host.invoke('step', { id: `o${i % 5}` }).then(
            () => 'ok',
            () => 'crash',
          ),
        );
      crashes?.remove();
      return got.join(',');
    };
    const first = await outcomes('seed-1');
    expect(await outcomes('seed-1')).toBe(first);
    expect(first).toContain('crash');
    expect(first).toContain('ok');
  });
});
