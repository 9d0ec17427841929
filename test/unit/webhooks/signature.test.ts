/**
 * Our `Stripe-Signature` check (lambdas/webhooks/signature.ts) against Stripe's own: headers are signed by the
 * Stripe SDK (`generateTestHeaderString`), and each verdict is compared with the SDK's `verifyHeader` where
 * the two are meant to agree. Where they are not, the test says so: we refuse a header with two timestamps
 * (the SDK takes the last), and we accept a matching v1 next to an empty one (the SDK throws on the empty one).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import {
  parseSignatureHeader,
  type SignatureFailure,
  SignatureVerificationError,
  verifyStripeSignature,
} from '../../../lambdas/webhooks/signature';

const SECRET = 'whsec_test_0123456789abcdef';
const OTHER_SECRET = 'whsec_test_fedcba9876543210';
const TOLERANCE = 300;
const NOW = 1_700_000_000;
const BODY = JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', created: NOW });

/** A header as Stripe's SDK writes it: `t=<timestamp>,v1=<hex HMAC>`. */
function sdkHeader(payload: string, secret = SECRET, timestamp = NOW): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/** The v1 signature alone, as the SDK signs it. */
function sdkSignature(payload: string, secret = SECRET, timestamp = NOW): string {
  const v1 = sdkHeader(payload, secret, timestamp)
    .split(',')
    .find((pair) => pair.startsWith('v1='));
  if (!v1) throw new Error('the SDK header has no v1');
  return v1.slice('v1='.length);
}

/** Our verdict: 'ok', or why it failed. */
function ours(
  payload: string,
  header: string | undefined,
  secrets: string | readonly string[] = SECRET,
  now = NOW,
): 'ok' | SignatureFailure {
  try {
    verifyStripeSignature(payload, header, secrets, { toleranceSeconds: TOLERANCE, nowSeconds: now });
    return 'ok';
  } catch (error) {
    if (error instanceof SignatureVerificationError) return error.reason;
    throw error;
  }
}

/** The SDK's verdict, with the same tolerance and clock. */
function stripes(payload: string, header: string, secret = SECRET, now = NOW): 'ok' | 'rejected' {
  const signature = Stripe.webhooks.signature;
  if (!signature) throw new Error('the Stripe SDK has no webhook signature helper');
  try {
    return signature.verifyHeader(payload, header, secret, TOLERANCE, undefined, now * 1000)
      ? 'ok'
      : 'rejected';
  } catch {
    return 'rejected';
  }
}

function failure(payload: string, header: string, secrets: string | readonly string[] = SECRET) {
  try {
    verifyStripeSignature(payload, header, secrets, { toleranceSeconds: TOLERANCE, nowSeconds: NOW });
  } catch (error) {
    return error;
  }
  throw new Error('the signature was accepted');
}

describe('verifyStripeSignature on headers signed by the Stripe SDK', () => {
  it('accepts a header the SDK signed, and answers its timestamp', () => {
    // Prepare
    const header = sdkHeader(BODY);

    // Act
    const verified = verifyStripeSignature(BODY, header, SECRET, {
      toleranceSeconds: TOLERANCE,
      nowSeconds: NOW,
    });

    // Assess
    expect(verified).toEqual({ timestamp: NOW });
    expect(stripes(BODY, header)).toBe('ok');
  });

  it('accepts a header signed now by the clock, without a clock given', () => {
    // Prepare
    const header = Stripe.webhooks.generateTestHeaderString({ payload: BODY, secret: SECRET });

    // Act + Assess
    expect(() => verifyStripeSignature(BODY, header, SECRET, { toleranceSeconds: TOLERANCE })).not.toThrow();
  });

  it('rejects a wrong secret, as the SDK does', () => {
    // Prepare
    const header = sdkHeader(BODY, OTHER_SECRET);

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_match');
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it.each([
    ['one character changed', BODY.replace('evt_1', 'evt_2')],
    ['a trailing newline', `${BODY}\n`],
    ['re-serialised with spaces', JSON.stringify(JSON.parse(BODY), null, 1)],
    ['cut short', BODY.slice(0, -1)],
  ])('rejects a tampered body (%s), as the SDK does', (_what, tampered) => {
    // Prepare
    const header = sdkHeader(BODY);

    // Act + Assess
    expect(ours(tampered, header)).toBe('no_match');
    expect(stripes(tampered, header)).toBe('rejected');
  });

  it('accepts a timestamp up to the tolerance old, and rejects one older, as the SDK does', () => {
    // Prepare
    const edge = sdkHeader(BODY, SECRET, NOW - TOLERANCE);
    const stale = sdkHeader(BODY, SECRET, NOW - TOLERANCE - 1);

    // Act + Assess
    expect(ours(BODY, edge)).toBe('ok');
    expect(stripes(BODY, edge)).toBe('ok');
    expect(ours(BODY, stale)).toBe('outside_tolerance');
    expect(stripes(BODY, stale)).toBe('rejected');
  });

  it('accepts a timestamp ahead of our clock, as the SDK does (only an old one is a replay)', () => {
    // Prepare
    const ahead = sdkHeader(BODY, SECRET, NOW + TOLERANCE + 1);

    // Act + Assess
    expect(ours(BODY, ahead)).toBe('ok');
    expect(stripes(BODY, ahead)).toBe('ok');
  });

  it('checks the tolerance only once a signature matched', () => {
    // Prepare: old, and signed with another secret.
    const header = sdkHeader(BODY, OTHER_SECRET, NOW - 10 * TOLERANCE);

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_match');
  });

  it('rejects a header without a timestamp, as the SDK does', () => {
    // Prepare
    const header = `v1=${sdkSignature(BODY)}`;

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_timestamp');
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it('rejects a header without a v1 signature, as the SDK does', () => {
    // Prepare
    const header = `t=${NOW}`;

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_signatures');
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it('ignores v0: a header signed only under v0 (even with the right HMAC) is rejected, as the SDK does', () => {
    // Prepare: the right HMAC, under the test-only scheme (a downgrade).
    const header = `t=${NOW},v0=${sdkSignature(BODY)}`;

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_signatures');
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it('accepts a header with several v1 of which one matches, wherever it is, as the SDK does', () => {
    // Prepare
    const good = sdkSignature(BODY);
    const other = sdkSignature(BODY, OTHER_SECRET);
    const headers = [
      `t=${NOW},v1=${other},v1=${good}`,
      `t=${NOW},v1=${good},v1=${other}`,
      `t=${NOW},v1=${'0'.repeat(64)},v1=${good},v0=${'f'.repeat(64)}`,
      `v1=${other},v0=${good},t=${NOW},v1=${good}`,
    ];

    // Act + Assess
    for (const header of headers) {
      expect(ours(BODY, header), header).toBe('ok');
      expect(stripes(BODY, header), header).toBe('ok');
    }
  });

  it('accepts a signature made with any of the secrets in force (a rotation window)', () => {
    // Prepare: during a rotation Stripe signs with both secrets.
    const header = `t=${NOW},v1=${sdkSignature(BODY, OTHER_SECRET)},v1=${sdkSignature(BODY, SECRET)}`;

    // Act + Assess
    expect(ours(BODY, sdkHeader(BODY, OTHER_SECRET), [SECRET, OTHER_SECRET])).toBe('ok');
    expect(ours(BODY, sdkHeader(BODY, SECRET), [SECRET, OTHER_SECRET])).toBe('ok');
    expect(ours(BODY, header, [SECRET])).toBe('ok');
    expect(ours(BODY, header, ['whsec_neither', OTHER_SECRET])).toBe('ok');
    expect(ours(BODY, header, ['whsec_neither', 'whsec_nor'])).toBe('no_match');
  });

  it.each([
    ['non-hex', 'z'.repeat(64)],
    ['upper-case hex of the right HMAC', () => sdkSignature(BODY).toUpperCase()],
    ['the right HMAC cut short', () => sdkSignature(BODY).slice(0, 63)],
    ['the right HMAC one byte short', () => sdkSignature(BODY).slice(0, 62)],
    ['the right HMAC and one byte more', () => `${sdkSignature(BODY)}00`],
    ['the right HMAC twice', () => sdkSignature(BODY).repeat(2)],
    ['the right HMAC in base64', () => Buffer.from(sdkSignature(BODY), 'hex').toString('base64')],
    ['empty', ''],
    ['the secret', SECRET],
  ])('rejects a v1 that is %s, as the SDK does', (_what, value) => {
    // Prepare
    const header = `t=${NOW},v1=${typeof value === 'function' ? value() : value}`;

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_match');
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it.each([
    ['garbage', 'garbage', 'no_timestamp'],
    ['commas only', ',,,', 'no_timestamp'],
    ['an equals sign', '=', 'no_timestamp'],
    ['an empty t', 't=,v1=00', 'no_timestamp'],
    ['a t that is not a number', 't=abc,v1=00', 'no_timestamp'],
    ['a negative t', 't=-1700000000,v1=00', 'no_timestamp'],
    ['a t in milliseconds', `t=${NOW}000,v1=00`, 'no_timestamp'],
    ['semicolons', `t=${NOW};v1=00`, 'no_timestamp'],
    ['spaces before the keys', ` t=${NOW}, v1=00`, 'no_timestamp'],
    ['upper-case keys', `T=${NOW},V1=00`, 'no_timestamp'],
    ['JSON', JSON.stringify({ t: NOW, v1: '00' }), 'no_timestamp'],
    ['a t and no signature but v2', `t=${NOW},v2=00`, 'no_signatures'],
    ['a t and a v1 without a value', `t=${NOW},v1`, 'no_signatures'],
    ['a long run of pairs', `t=${NOW},${'x=1,'.repeat(2_000)}v1=00`, 'no_match'],
  ] as const)('rejects a garbage header (%s), as the SDK does', (_what, header, reason) => {
    // Act + Assess
    expect(ours(BODY, header)).toBe(reason);
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it('rejects a header with two timestamps, even if one is signed (the SDK would take the last)', () => {
    // Prepare
    const header = `t=${NOW - 1},t=${NOW},v1=${sdkSignature(BODY)}`;

    // Act + Assess
    expect(ours(BODY, header)).toBe('no_timestamp');
    expect(stripes(BODY, header)).toBe('ok');
  });

  it('accepts a matching v1 next to an empty one (the SDK throws on the empty one and rejects the header)', () => {
    // Prepare
    const header = `t=${NOW},v1=${sdkSignature(BODY)},v1=`;

    // Act + Assess
    expect(ours(BODY, header)).toBe('ok');
    expect(ours(BODY, `t=${NOW},v1=`)).toBe('no_match');
    expect(stripes(BODY, header)).toBe('rejected');
  });

  it('rejects a missing header, an empty body and an empty secret, as the SDK does', () => {
    // Prepare
    const header = sdkHeader(BODY);
    const emptyBodyHeader = sdkHeader('');

    // Act + Assess
    expect(ours(BODY, undefined)).toBe('no_header');
    expect(ours(BODY, '')).toBe('no_header');
    expect(stripes(BODY, '')).toBe('rejected');
    expect(ours('', emptyBodyHeader)).toBe('no_payload');
    expect(stripes('', emptyBodyHeader)).toBe('rejected');
    expect(ours(BODY, header, '')).toBe('no_secret');
    expect(ours(BODY, header, [])).toBe('no_secret');
    expect(ours(BODY, header, ['', ''])).toBe('no_secret');
    expect(stripes(BODY, header, '')).toBe('rejected');
  });

  it('refuses a tolerance that is not a positive number of seconds (0 would not mean "skip the check")', () => {
    // Prepare
    const header = sdkHeader(BODY);

    // Act + Assess
    for (const toleranceSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => verifyStripeSignature(BODY, header, SECRET, { toleranceSeconds })).toThrow(RangeError);
  });

  it('says what failed, and never the secret or the expected signature', () => {
    // Prepare
    const expected = sdkSignature(BODY);
    const cases: [string, string, RegExp][] = [
      [BODY, `v1=${expected}`, /no timestamp/],
      [BODY, `t=${NOW},v0=${expected}`, /no signatures found/],
      [`${BODY} `, `t=${NOW},v1=${'0'.repeat(64)}`, /no signature matches/],
      [BODY, sdkHeader(BODY, SECRET, NOW - 1_000), /timestamp outside the tolerance zone: signed 1000 s ago/],
    ];

    for (const [payload, header, message] of cases) {
      // Act
      const error = failure(payload, header, [OTHER_SECRET, SECRET]);

      // Assess
      expect(error).toBeInstanceOf(SignatureVerificationError);
      const text = `${(error as Error).message} ${JSON.stringify(error)}`;
      expect((error as Error).message).toMatch(message);
      for (const secretOrExpected of [SECRET, OTHER_SECRET, 'whsec_', sdkSignature(`${BODY} `)])
        expect(text).not.toContain(secretOrExpected);
    }
  });
});

describe('parseSignatureHeader', () => {
  it('reads t and every v1, and skips other schemes and pairs without a value', () => {
    // Act
    const parsed = parseSignatureHeader(`t=${NOW},v1=aa,v0=bb,v1=cc,junk,v1=dd=ee`);

    // Assess
    expect(parsed).toEqual({ timestamp: NOW, signatures: ['aa', 'cc', 'dd=ee'] });
  });
});

describe('verifyStripeSignature, properties', () => {
  const body = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 });
  const secret = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 });
  const age = fc.integer({ min: -TOLERANCE, max: TOLERANCE });

  it('accepts every SDK-signed header, for any body, secret and timestamp within the tolerance', () => {
    fc.assert(
      fc.property(body, secret, age, (payload, key, seconds) => {
        const header = sdkHeader(payload, key, NOW - seconds);
        expect(ours(payload, header, key)).toBe('ok');
      }),
      { numRuns: 500 },
    );
  });

  it('rejects the body with any one byte flipped', () => {
    fc.assert(
      fc.property(body, secret, fc.nat(), fc.integer({ min: 1, max: 255 }), (payload, key, at, mask) => {
        const bytes = Buffer.from(payload, 'utf8');
        const index = at % bytes.length;
        bytes[index] = (bytes[index] ?? 0) ^ mask;
        const flipped = new TextDecoder().decode(bytes);
        // A flip into invalid UTF-8 decodes to U+FFFD, which could (rarely) give the same text back.
        fc.pre(flipped !== payload);
        expect(ours(flipped, sdkHeader(payload, key), key)).toBe('no_match');
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the SDK on headers made of right, wrong and foreign pairs (one timestamp, in the past)', () => {
    const pairs = (t: number) => {
      const good = sdkSignature(BODY, SECRET, t);
      return fc.array(
        fc.constantFrom(
          `v1=${good}`,
          `v1=${good.toUpperCase()}`,
          `v1=${good.slice(1)}`,
          `v1=${sdkSignature(BODY, OTHER_SECRET, t)}`,
          `v1=${sdkSignature(BODY, SECRET, t + 1)}`,
          `v0=${good}`,
          `v2=${good}`,
          'junk',
          '',
          '=',
        ),
        { maxLength: 5 },
      );
    };
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 2 * TOLERANCE })
          .chain((seconds) => fc.tuple(fc.constant(NOW - seconds), pairs(NOW - seconds), fc.nat())),
        ([t, rest, at]) => {
          const items: string[] = [...rest];
          items.splice(at % (items.length + 1), 0, `t=${t}`);
          const header = items.join(',');
          expect(ours(BODY, header) === 'ok', header).toBe(stripes(BODY, header) === 'ok');
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('agrees with a plain HMAC-SHA256 of "<t>.<body>" (the scheme the PSP simulator signs with)', () => {
    fc.assert(
      fc.property(body, secret, age, (payload, key, seconds) => {
        const t = NOW - seconds;
        const v1 = createHmac('sha256', key).update(`${t}.${payload}`, 'utf8').digest('hex');
        expect(ours(payload, `t=${t},v1=${v1}`, key)).toBe('ok');
      }),
      { numRuns: 200 },
    );
  });
});
