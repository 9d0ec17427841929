/**
 * The shared "PSP degraded" circuit on a mocked DynamoDB (aws-sdk-client-mock): which failures count, the
 * threshold, the cool-down and the ONE probe, closing on an answer, re-opening on a failed probe, failing open
 * when its table is unavailable, and no writes at all on the healthy path.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { isDegradationSignal, observedProvider, PspCircuit } from '../../../lambdas/psp/circuit-breaker';
import { PspPermanentError, PspTransientError } from '../../../lambdas/psp/errors';
import type { PaymentProvider, PspPayment } from '../../../lambdas/psp/port';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const dynamo = mockClient(db);
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
let now = T0;
let evaluated: boolean[] = [];
let opened: number[] = [];
let storeErrors: unknown[] = [];

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'condition', $metadata: {} });
const timeout = () => new PspTransientError('PSP call failed: timeout');
const fiveHundred = () => new PspTransientError('stripe api_error', { httpStatus: 503 });

function circuit(settings = {}) {
  return new PspCircuit(
    { db, table: 'coordination' },
    {
      settings: { failureThreshold: 3, windowMs: 30_000, coolDownMs: 30_000, cacheMs: 1_000, ...settings },
      clock: () => new Date(now),
      onEvaluated: (open) => evaluated.push(open),
      onOpened: (failures) => opened.push(failures),
      onStoreError: (error) => storeErrors.push(error),
    },
  );
}

const updates = () => dynamo.commandCalls(UpdateCommand).map((c) => c.args[0].input);

beforeEach(() => {
  dynamo.reset();
  now = T0;
  evaluated = [];
  opened = [];
  storeErrors = [];
});

describe('what counts as the PSP being degraded', () => {
  it('timeouts, network errors and 5xx count; declines, refusals, 401, 409 and 429 do not', () => {
    expect(isDegradationSignal(timeout())).toBe(true);
    expect(isDegradationSignal(fiveHundred())).toBe(true);
    expect(isDegradationSignal(new PspTransientError('x', { httpStatus: 502 }))).toBe(true);
    expect(isDegradationSignal(new PspTransientError('key in use', { httpStatus: 409 }))).toBe(false);
    expect(isDegradationSignal(new PspTransientError('rate limited', { httpStatus: 429 }))).toBe(false);
    expect(isDegradationSignal(new PspPermanentError('declined', 'card_declined', { httpStatus: 402 }))).toBe(
      false,
    );
    expect(isDegradationSignal(new Error('ours'))).toBe(false);
  });

  it('a failure that does not count writes nothing', async () => {
    const c = circuit();
    await c.recordFailure(new PspPermanentError('no such payment method', 'resource_missing'));
    await c.recordFailure(new PspTransientError('rate limited', { httpStatus: 429 }));
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('closed', () => {
  it('allows, reads the state at most once per cacheMs, writes nothing, and reports 0', async () => {
    dynamo.on(GetCommand).resolves({});
    const c = circuit();
    expect(await c.permit()).toEqual({ allowed: true, probe: false });
    now += 500;
    expect(await c.permit()).toEqual({ allowed: true, probe: false });
    await c.recordSuccess();
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
    expect(updates()).toHaveLength(0);
    now += 600;
    await c.permit();
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(2);
    expect(evaluated).toEqual([false, false, false]);
  });

  it('opens at the threshold of failures in one window, then refuses until the cool-down passed', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo
      .on(UpdateCommand, { Key: { pk: `PSP_FAILURES#stripe#${T0}` } })
      .resolvesOnce({ Attributes: { failures: 1 } })
      .resolvesOnce({ Attributes: { failures: 2 } })
      .resolvesOnce({ Attributes: { failures: 3 } });
    dynamo.on(UpdateCommand, { Key: { pk: 'PSP_CIRCUIT#stripe' } }).resolves({});
    const c = circuit();
    await c.recordFailure(timeout());
    await c.recordFailure(fiveHundred());
    expect(updates().filter((u) => u.Key?.pk === 'PSP_CIRCUIT#stripe')).toHaveLength(0);
    await c.recordFailure(timeout());
    const open = updates().find((u) => u.Key?.pk === 'PSP_CIRCUIT#stripe');
    expect(open?.ConditionExpression).toBe('attribute_not_exists(#state) OR #state = :closed');
    expect(open?.ExpressionAttributeValues).toMatchObject({ ':open': 'open', ':until': T0 + 30_000 });
    expect(opened).toEqual([3]);
    // The window's counter expires by itself (TTL), an hour after its window.
    expect(updates()[0]?.ExpressionAttributeValues?.[':expires']).toBe((T0 + 30_000) / 1000 + 3600);
    // This container knows at once; the others on their next read (at most cacheMs later).
    now += 500;
    expect(await c.permit()).toEqual({ allowed: false, retryAt: new Date(T0 + 30_000).toISOString() });
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'PSP_CIRCUIT#stripe', state: 'open', open_until: T0 + 30_000 } });
    now += 10_000;
    expect(await circuit().permit()).toEqual({
      allowed: false,
      retryAt: new Date(T0 + 30_000).toISOString(),
    });
    expect(evaluated).toEqual([true, true]);
  });

  it('a burst that straddles a window boundary still opens it: the window slides', async () => {
    now = T0 + 29_000;
    dynamo.on(GetCommand).resolves({});
    dynamo.on(GetCommand, { Key: { pk: `PSP_FAILURES#stripe#${T0}` } }).resolves({ Item: { failures: 2 } });
    dynamo
      .on(UpdateCommand, { Key: { pk: `PSP_FAILURES#stripe#${T0 + 30_000}` } })
      .resolves({ Attributes: { failures: 1 } });
    dynamo.on(UpdateCommand, { Key: { pk: 'PSP_CIRCUIT#stripe' } }).resolves({});
    now = T0 + 31_000;
    await circuit().recordFailure(timeout());
    expect(opened).toEqual([3]);
    // Late in the next window, the previous one's failures are mostly out of the sliding window.
    opened = [];
    now = T0 + 57_000;
    await circuit().recordFailure(timeout());
    expect(opened).toEqual([]);
    // Two windows back no longer counts.
    opened = [];
    now = T0 + 61_000;
    dynamo
      .on(UpdateCommand, { Key: { pk: `PSP_FAILURES#stripe#${T0 + 60_000}` } })
      .resolves({ Attributes: { failures: 1 } });
    await circuit().recordFailure(timeout());
    expect(opened).toEqual([]);
  });

  it('another container opened it first: its conditional write fails quietly', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo
      .on(UpdateCommand, { Key: { pk: `PSP_FAILURES#stripe#${T0}` } })
      .resolves({ Attributes: { failures: 7 } });
    dynamo.on(UpdateCommand, { Key: { pk: 'PSP_CIRCUIT#stripe' } }).rejects(conditionFailed());
    await circuit().recordFailure(timeout());
    expect(storeErrors).toEqual([]);
    expect(opened).toEqual([]);
  });
});

describe('open, then half-open', () => {
  const openItem = { pk: 'PSP_CIRCUIT#stripe', state: 'open', open_until: T0 + 30_000 };

  it('after the cool-down exactly one caller wins the probe; the others wait', async () => {
    now = T0 + 31_000;
    dynamo.on(GetCommand).resolves({ Item: openItem });
    dynamo.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed());
    const [first, second] = [circuit(), circuit()];
    expect(await first.permit()).toEqual({ allowed: true, probe: true });
    const claim = updates()[0];
    expect(claim?.ConditionExpression).toContain('open_until <= :now');
    expect(claim?.ExpressionAttributeValues).toMatchObject({ ':half': 'half_open', ':now': now });
    expect(await second.permit()).toMatchObject({ allowed: false });
    // Half-open is not closed: the gauge stays 1 for both.
    expect(evaluated).toEqual([true, true]);
  });

  it('the probe answered: closed (one write), and no write for later answers', async () => {
    now = T0 + 31_000;
    dynamo.on(GetCommand).resolves({ Item: openItem });
    dynamo.on(UpdateCommand).resolves({});
    const c = circuit();
    await c.permit();
    await c.recordSuccess();
    await c.recordSuccess();
    const close = updates().at(-1);
    expect(updates()).toHaveLength(2);
    expect(close?.ExpressionAttributeValues).toMatchObject({ ':closed': 'closed' });
    expect(await c.permit()).toEqual({ allowed: true, probe: false });
  });

  it('the probe failed: open again for another cool-down', async () => {
    now = T0 + 31_000;
    dynamo.on(GetCommand).resolves({ Item: openItem });
    dynamo.on(UpdateCommand).resolves({});
    const c = circuit();
    await c.permit();
    await c.recordFailure(timeout());
    const reopen = updates().at(-1);
    expect(reopen?.ConditionExpression).toBe('#state = :half');
    expect(reopen?.ExpressionAttributeValues).toMatchObject({ ':open': 'open', ':until': now + 30_000 });
    expect(await c.permit()).toMatchObject({ allowed: false, retryAt: new Date(now + 30_000).toISOString() });
  });

  it('a probe that never reported is given up after probeTimeoutMs: another caller probes', async () => {
    now = T0 + 60_000;
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'PSP_CIRCUIT#stripe', state: 'half_open', probe_until: T0 + 50_000 } });
    dynamo.on(UpdateCommand).resolves({});
    expect(await circuit().permit()).toEqual({ allowed: true, probe: true });
    dynamo
      .on(GetCommand)
      .resolves({ Item: { pk: 'PSP_CIRCUIT#stripe', state: 'half_open', probe_until: now + 5_000 } });
    expect(await circuit().permit()).toMatchObject({ allowed: false });
  });
});

describe('its table is unavailable', () => {
  it('fails open: the call is allowed and the error reported', async () => {
    dynamo.on(GetCommand).rejects(new Error('throttled'));
    expect(await circuit().permit()).toEqual({ allowed: true, probe: false });
    expect(storeErrors).toHaveLength(1);
  });

  it('a failure that cannot be counted does not throw into the caller', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(circuit().recordFailure(timeout())).resolves.toBeUndefined();
    expect(storeErrors).toHaveLength(1);
  });
});

describe('observedProvider', () => {
  const payment = { pspPaymentId: 'pi_1', status: 'succeeded' } as PspPayment;
  function fakePsp(behaviour: () => Promise<PspPayment>): PaymentProvider {
    return { retrievePayment: behaviour } as unknown as PaymentProvider;
  }
  function recorder() {
    const seen: string[] = [];
    return {
      seen,
      recordSuccess: async () => void seen.push('success'),
      recordFailure: async (e: unknown) => void seen.push(isDegradationSignal(e) ? 'failure' : 'ignored'),
    };
  }

  it('an answer, and a refusal, are successes; a 5xx is a failure and is rethrown; latency observed', async () => {
    const calls: boolean[] = [];
    const r = recorder();
    const ok = observedProvider(
      fakePsp(async () => payment),
      r,
      (_ms, failed) => calls.push(failed),
    );
    await ok.retrievePayment('pi_1');
    const refused = observedProvider(
      fakePsp(async () => {
        throw new PspPermanentError('no such intent', 'resource_missing');
      }),
      r,
      (_ms, failed) => calls.push(failed),
    );
    await expect(refused.retrievePayment('pi_x')).rejects.toThrow('no such intent');
    const down = observedProvider(
      fakePsp(async () => {
        throw fiveHundred();
      }),
      r,
      (_ms, failed) => calls.push(failed),
    );
    await expect(down.retrievePayment('pi_1')).rejects.toBeInstanceOf(PspTransientError);
    expect(r.seen).toEqual(['success', 'success', 'failure']);
    expect(calls).toEqual([false, false, true]);
  });

  it('observes every call of the port, expireHostedCheckout included: an answer closes, a timeout counts', async () => {
    // Every method the port has (the type makes this literal complete: a new method must be added here).
    const answers: PaymentProvider = {
      buyerAction: async () => undefined,
      createPayment: async () => payment,
      confirmPayment: async () => payment,
      retrievePayment: async () => payment,
      cancelPayment: async () => payment,
      createHostedCheckout: async () => ({}) as never,
      retrieveHostedCheckout: async () => ({}) as never,
      expireHostedCheckout: async () => ({}) as never,
    };
    const methods = Object.keys(answers) as (keyof PaymentProvider)[];
    const failing = Object.fromEntries(
      methods.map((m) => [
        m,
        async () => {
          throw timeout();
        },
      ]),
    ) as unknown as PaymentProvider;
    const call = (psp: PaymentProvider, m: keyof PaymentProvider) =>
      (psp[m] as (...args: unknown[]) => Promise<unknown>)('x', 'y');

    const up = recorder();
    const observedUp = observedProvider(answers, up);
    expect(Object.keys(observedUp).sort()).toEqual([...methods].sort());
    for (const m of methods) await call(observedUp, m);
    expect(up.seen).toEqual(methods.map(() => 'success'));

    const down = recorder();
    const observedDown = observedProvider(failing, down);
    for (const m of methods) await expect(call(observedDown, m), m).rejects.toBeInstanceOf(PspTransientError);
    expect(down.seen).toEqual(methods.map(() => 'failure'));
    expect(methods).toContain('expireHostedCheckout');
  });
});
