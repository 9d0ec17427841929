import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, MalformedEventError, verifyEvent } from '../../../lambdas/webhooks/inbox';

const secret = 'whsec_test_secret';

function signed(event: unknown, timestamp?: number): { body: string; header: string } {
  const body = JSON.stringify(event);
  return {
    body,
    header: Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret,
      ...(timestamp ? { timestamp } : {}),
    }),
  };
}

describe('verifyEvent', () => {
  const event = {
    id: 'evt_1',
    object: 'event',
    type: 'payment_intent.succeeded',
    created: 1_700_000_000,
    data: {
      object: {
        id: 'pi_1',
        object: 'payment_intent',
        status: 'succeeded',
        client_secret: 'pi_1_secret_abc',
        metadata: { payment_order_id: 'po_1' },
        latest_charge: { billing_details: { name: 'Ada', email: 'ada@example.com' } },
      },
    },
  };

  it('accepts a valid signature and keeps what we apply, without the client secret or billing details', () => {
    const { body, header } = signed(event);
    const verified = verifyEvent(body, header, secret);
    expect(verified).toMatchObject({ id: 'evt_1', type: 'payment_intent.succeeded' });
    expect(verified.payload).toContain('"payment_order_id":"po_1"');
    expect(verified.payload).not.toContain('secret_abc');
    expect(verified.payload).not.toContain('ada@example.com');
  });

  it('rejects a wrong secret, a changed body, a stale timestamp and a missing header', () => {
    const { body, header } = signed(event);
    expect(() => verifyEvent(body, header, 'whsec_other')).toThrow(InvalidSignatureError);
    expect(() => verifyEvent(body.replace('po_1', 'po_2'), header, secret)).toThrow(InvalidSignatureError);
    const stale = signed(event, Math.floor(Date.now() / 1000) - 301);
    expect(() => verifyEvent(stale.body, stale.header, secret)).toThrow(InvalidSignatureError);
    expect(() => verifyEvent(body, undefined, secret)).toThrow(InvalidSignatureError);
  });
});

describe('verifyEvent on signed bodies that are not events', () => {
  const sign = (body: string) => ({
    body,
    header: Stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
  });
  const now = 1_700_000_000;

  it.each([
    ['null', 'null'],
    ['a number', '42'],
    ['an array', '[{"id":"evt_1"}]'],
    ['not JSON', '{"id":'],
    ['no id', JSON.stringify({ type: 't.x', created: now, data: { object: {} } })],
    [
      'an id that is not an event id',
      JSON.stringify({ id: 'x', type: 't.x', created: now, data: { object: {} } }),
    ],
    ['no type', JSON.stringify({ id: 'evt_1', created: now, data: { object: {} } })],
    ['no data', JSON.stringify({ id: 'evt_1', type: 't.x', created: now })],
    ['no data.object', JSON.stringify({ id: 'evt_1', type: 't.x', created: now, data: {} })],
    ['no created', JSON.stringify({ id: 'evt_1', type: 't.x', data: { object: {} } })],
  ])('refuses %s as malformed (after the signature held)', (_what, raw) => {
    const { body, header } = sign(raw);
    expect(() => verifyEvent(body, header, secret)).toThrow(MalformedEventError);
    // A bad signature is still reported as such, whatever the body.
    expect(() => verifyEvent(body, header, 'whsec_other')).toThrow(InvalidSignatureError);
  });

  it('keeps only the pointer of an event too large for an item', () => {
    const { body, header } = sign(
      JSON.stringify({
        id: 'evt_big',
        type: 'payment_intent.succeeded',
        created: now,
        data: { object: { id: 'pi_1', object: 'payment_intent', description: 'x'.repeat(500_000) } },
      }),
    );
    const verified = verifyEvent(body, header, secret);
    expect(verified).toMatchObject({ id: 'evt_big', payload_truncated: true });
    expect(JSON.parse(verified.payload)).toEqual({
      id: 'evt_big',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: now,
      data: { object: { id: 'pi_1', object: 'payment_intent' } },
    });
  });
});
