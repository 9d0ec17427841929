import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { InvalidSignatureError, MalformedEventError, verifyEvent } from '../../../lambdas/webhooks/inbox';
import { SignatureVerificationError } from '../../../lambdas/webhooks/signature';
import { SUBSCRIBED_EVENT_TYPES } from '../../../lambdas/webhooks/subscribed-events';

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

  it('accepts a valid signature and keeps only the pointer: no client secret, billing details or charge', () => {
    const { body, header } = signed(event);
    const verified = verifyEvent(body, header, secret);
    expect(verified).toMatchObject({ id: 'evt_1', type: 'payment_intent.succeeded', created: 1_700_000_000 });
    expect(JSON.parse(verified.payload)).toEqual({
      id: 'evt_1',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: 1_700_000_000,
      data: {
        object: {
          id: 'pi_1',
          object: 'payment_intent',
          status: 'succeeded',
          metadata: { payment_order_id: 'po_1' },
        },
      },
    });
  });

  it("keeps a payout's metadata.payout_id (what the pay-out module finds it by), the account and livemode", () => {
    const payout = {
      id: 'evt_2',
      object: 'event',
      type: 'payout.paid',
      created: 1_700_000_000,
      account: 'acct_1',
      livemode: false,
      data: {
        object: {
          id: 'po_stripe_1',
          object: 'payout',
          status: 'paid',
          destination: 'ba_1',
          metadata: { payout_id: 'pyt_1', seller_id: 's_1', note: 'not ours' },
        },
      },
    };
    const { body, header } = signed(payout);
    expect(JSON.parse(verifyEvent(body, header, secret).payload)).toEqual({
      id: 'evt_2',
      object: 'event',
      type: 'payout.paid',
      created: 1_700_000_000,
      account: 'acct_1',
      livemode: false,
      data: {
        object: {
          id: 'po_stripe_1',
          object: 'payout',
          status: 'paid',
          metadata: { payout_id: 'pyt_1', seller_id: 's_1' },
        },
      },
    });
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

describe('verifyEvent signatures (lambdas/webhooks/signature.ts, without the Stripe SDK)', () => {
  const body = JSON.stringify({
    id: 'evt_rot',
    type: 'payout.paid',
    created: 1_700_000_000,
    data: { object: {} },
  });
  const previous = 'whsec_previous_secret';

  it('accepts a body signed with any of the secrets in force (a rotation window), and no other', () => {
    // Prepare
    const byCurrent = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
    const byPrevious = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: previous });

    // Act + Assess
    expect(verifyEvent(body, byCurrent, [secret, previous]).id).toBe('evt_rot');
    expect(verifyEvent(body, byPrevious, [secret, previous]).id).toBe('evt_rot');
    expect(verifyEvent(body, byPrevious, ['', previous]).id).toBe('evt_rot');
    expect(() => verifyEvent(body, byPrevious, [secret])).toThrow(InvalidSignatureError);
    expect(() => verifyEvent(body, byCurrent, [])).toThrow(/no webhook signing secret is configured/);
  });

  it('says what failed, with the verification error as its cause, and never a secret', () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, RegExp][] = [
      [body, `t=${now},v0=00`, /no signatures found/],
      [body, 'v1=00', /no timestamp/],
      [
        body,
        Stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_other' }),
        /no signature matches/,
      ],
      [
        body,
        Stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now - 301 }),
        /timestamp outside the tolerance/,
      ],
      ['', Stripe.webhooks.generateTestHeaderString({ payload: '', secret }), /no webhook payload/],
    ];

    for (const [raw, header, message] of cases) {
      // Act
      let caught: unknown;
      try {
        verifyEvent(raw, header, [secret, previous]);
      } catch (error) {
        caught = error;
      }

      // Assess
      expect(caught, header).toBeInstanceOf(InvalidSignatureError);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).cause).toBeInstanceOf(SignatureVerificationError);
      expect((caught as Error).message).not.toContain('whsec_');
    }
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

  it('keeps only the pointer of an event too large for an item, far under one write unit', () => {
    const { body, header } = sign(
      JSON.stringify({
        id: 'evt_big',
        type: 'payment_intent.succeeded',
        created: now,
        data: { object: { id: 'pi_1', object: 'payment_intent', description: 'x'.repeat(500_000) } },
      }),
    );
    const verified = verifyEvent(body, header, secret);
    expect(verified.payload.length).toBeLessThan(200);
    expect(JSON.parse(verified.payload)).toEqual({
      id: 'evt_big',
      object: 'event',
      type: 'payment_intent.succeeded',
      created: now,
      data: { object: { id: 'pi_1', object: 'payment_intent' } },
    });
  });
});

describe('the pointer of every subscribed event type', () => {
  const now = 1_700_000_000;
  // A realistic object: what the consumers read (id, metadata.payout_id) among much they do not.
  const objectOf = (type: string) => ({
    id: `${type.split('.')[0]}_123456789012345678901234`,
    object: type.split('.').slice(0, -1).join('.'),
    status: 'succeeded',
    amount: 12_345,
    client_secret: 'pi_1_secret_abc',
    payment_method_details: { card: { last4: '4242', fingerprint: 'fp_1' } },
    billing_details: { email: 'ada@example.com' },
    metadata: { payout_id: 'pyt_0123456789abcdef', payment_order_id: 'po_1', buyer_note: 'x'.repeat(400) },
    description: 'y'.repeat(3_000),
  });

  it.each(SUBSCRIBED_EVENT_TYPES)('%s keeps what its consumer reads, in well under 1 KB', (type) => {
    const event = {
      id: 'evt_1AbCdEfGhIjKlMnOpQrStUvW',
      object: 'event',
      type,
      created: now,
      livemode: true,
      data: { object: objectOf(type) },
    };
    const body = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
    const stored = JSON.parse(verifyEvent(body, header, secret).payload) as Stripe.Event;
    // apply.ts and lambdas/refunds/events.ts act on the object's id, lambdas/payouts/events.ts on its payout_id.
    expect(stored).toMatchObject({ id: event.id, type, created: now });
    expect((stored.data.object as { id: string }).id).toBe(event.data.object.id);
    expect((stored.data.object as { metadata: Record<string, string> }).metadata.payout_id).toBe(
      'pyt_0123456789abcdef',
    );
    const kept = JSON.stringify(stored);
    for (const secretOrPersonal of ['secret_abc', 'ada@example.com', '4242', 'xxxx'])
      expect(kept).not.toContain(secretOrPersonal);
    expect(Buffer.byteLength(kept)).toBeLessThan(400);
  });
});
