/**
 * Fuzzing the storefront API and the PSP webhook with fast-check (DESIGN.md §8.9, §8.10): malformed JSON,
 * wrong types, huge and deep bodies, unicode, bad amounts, card-like numbers in any field, bad idempotency
 * keys and content types, bad or stale signatures. Every request is bad in at least one way, so the answer
 * must be a clear 4xx (the error envelope with a machine-readable code), never echo a card number, and write
 * nothing: the caller scans every table afterwards (`tableItems`). Used by the short run in `npm test`
 * (test/integration/fuzz/) and by `npm run fuzz` (bench/fuzz.ts, 10,000 cases).
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { signPayload } from '../../sandbox/psp';

export interface FuzzRequest {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Card-like digits placed in the request: the answer must not contain them. */
  readonly secrets: readonly string[];
}

export interface FuzzTarget {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly webhookSecret: string;
}

// --- building blocks -------------------------------------------------------------------------------------

/** Luhn check digit for a digit string. */
function luhnComplete(partial: string): string {
  let total = 0;
  let double = true;
  for (let i = partial.length - 1; i >= 0; i--) {
    let d = partial.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    total += d;
    double = !double;
  }
  return `${partial}${(10 - (total % 10)) % 10}`;
}

/** A number a card network would issue (prefix, length, Luhn), formatted plain, spaced or dashed. */
const cardNumber = fc
  .record({
    network: fc.constantFrom(['4', 16], ['51', 16], ['37', 15], ['6011', 16], ['3530', 16], ['4', 19]),
    body: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
    format: fc.constantFrom('plain', 'spaced', 'dashed'),
  })
  .map(({ network, body, format }) => {
    const [prefix, length] = network as [string, number];
    const digits = luhnComplete(`${prefix}${body.join('')}`.slice(0, length - 1));
    if (format === 'plain') return digits;
    const sep = format === 'spaced' ? ' ' : '-';
    return digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`);
  });

const BAD_AMOUNTS: readonly unknown[] = [
  10.5,
  0,
  -1,
  1e21,
  Number.MAX_SAFE_INTEGER,
  '',
  ' ',
  '-1.00',
  '0.00',
  '0',
  '10.001',
  '1e3',
  '1E-2',
  '0x10',
  '1,00',
  '1.000,00',
  'NaN',
  'Infinity',
  '-0.00',
  '99999999999999999999999.99',
  '١٠.٠٠',
  '１０.００',
  '10.00\u0000',
  ' 10.00',
  '10.00 ',
  '+-1',
  '..1',
  '1..0',
  null,
  true,
  [],
  {},
  ['10.00'],
  { value: '10.00' },
];

/** Strings no id may be: unicode beyond the id alphabet, separators, control characters, too long. */
const badId = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map((s) => `${s}é`),
  fc.constantFrom('', 'co#1', 'a:b', 'a b', 'a/b', '../..', '\u0000', '\u202eabc', '😀', 'x'.repeat(129)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).map((s) => `${s}\u0001`),
);

const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.anything(), { maxKeys: 3 }),
);

/** Deep JSON as text (JSON.stringify of it would overflow this process's stack before the server's). */
function deepJson(depth: number, asArray: boolean): string {
  return asArray
    ? `${'['.repeat(depth)}"x"${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}"x"${'}'.repeat(depth)}`;
}
const DEEP_MARKER = '__fuzz_deep__';

let counter = 0;
function validBody(): Record<string, unknown> {
  counter++;
  const id = `co_fuzz_${process.pid}_${counter}`;
  return {
    checkout_id: id,
    buyer_info: { buyer_id: `buyer_fuzz_${counter}`, email: 'buyer@example.com' },
    credit_card_info: 'pm_card_visa',
    payment_orders: [
      { payment_order_id: `${id}_a`, seller_account: 'seller_fuzz_a', amount: '10.00', currency: 'USD' },
      { payment_order_id: `${id}_b`, seller_account: 'seller_fuzz_b', amount: '2.50', currency: 'USD' },
    ],
  };
}

type Body = Record<string, unknown> & { payment_orders: Record<string, unknown>[] };

/** Where a value can go: every string field of the body, and new fields at each level. */
const SLOTS = [
  'checkout_id',
  'credit_card_info',
  'buyer_info.buyer_id',
  'buyer_info.email',
  'buyer_info.name',
  'buyer_info.extra',
  'orders.0.payment_order_id',
  'orders.0.seller_account',
  'orders.1.currency',
  'orders.1.amount',
  'orders.0.note',
  'metadata',
] as const;

function put(body: Body, slot: (typeof SLOTS)[number], value: unknown): void {
  const [head, a, b] = slot.split('.');
  if (head === 'orders') (body.payment_orders[Number(a)] as Record<string, unknown>)[b as string] = value;
  else if (a) (body[head as string] as Record<string, unknown>)[a] = value;
  else body[head as string] = value;
}

/** One way to spoil a valid checkout; each alone makes it invalid. */
type Spoil = { label: string; apply: (body: Body) => void; secrets?: string[]; deep?: string };

const spoil: fc.Arbitrary<Spoil> = fc.oneof(
  fc.record({ slot: fc.constantFrom(...SLOTS), card: cardNumber }).map(({ slot, card }) => ({
    label: `card number in ${slot}`,
    apply: (body: Body) => put(body, slot, card),
    secrets: [card.replace(/\D/g, '')],
  })),
  fc
    .record({
      slot: fc.constantFrom(...SLOTS),
      card: cardNumber,
      prefix: fc.stringMatching(/^[A-Za-z]{0,8}$/),
    })
    .map(({ slot, card, prefix }) => ({
      label: `card number inside text in ${slot}`,
      apply: (body: Body) => put(body, slot, `${prefix} ${card} `),
      secrets: [card.replace(/\D/g, '')],
    })),
  fc.constantFrom(...BAD_AMOUNTS).map((amount) => ({
    label: `amount ${JSON.stringify(amount)}`,
    apply: (body: Body) => put(body, 'orders.1.amount', amount),
  })),
  fc
    .record({
      slot: fc.constantFrom(
        'checkout_id',
        'buyer_info.buyer_id',
        'orders.0.payment_order_id',
        'orders.0.seller_account',
      ),
      id: badId,
    })
    .map(({ slot, id }) => ({
      label: `bad id in ${slot}`,
      apply: (body: Body) => put(body, slot as (typeof SLOTS)[number], id),
    })),
  fc
    .record({
      field: fc.constantFrom('checkout_id', 'buyer_info', 'payment_orders', 'credit_card_info'),
      value: wrongType,
    })
    .filter(({ field, value }) => !(field === 'buyer_info' && isPlainObject(value)))
    .filter(({ field, value }) => !(field === 'payment_orders' && Array.isArray(value)))
    .map(({ field, value }) => ({
      label: `wrong type for ${field}`,
      apply: (body: Body) => {
        (body as Record<string, unknown>)[field] = value;
      },
    })),
  fc.constantFrom('checkout_id', 'buyer_info', 'payment_orders').map((field) => ({
    label: `missing ${field}`,
    apply: (body: Body) => {
      delete (body as Record<string, unknown>)[field];
    },
  })),
  fc
    .record({ depth: fc.integer({ min: 50, max: 20_000 }), asArray: fc.boolean() })
    .map(({ depth, asArray }) => ({
      label: `nested ${depth} deep`,
      apply: (body: Body) => put(body, 'buyer_info.extra', DEEP_MARKER),
      deep: deepJson(depth, asArray),
    })),
  fc.integer({ min: 41, max: 200 }).map((n) => ({
    label: `${n} orders`,
    apply: (body: Body) => {
      const first = body.payment_orders[0] as Record<string, unknown>;
      body.payment_orders = Array.from({ length: n }, (_, i) => ({
        ...first,
        payment_order_id: `${String(body.checkout_id)}_${i}`,
      }));
    },
  })),
  fc.constant({
    label: 'duplicate order ids',
    apply: (body: Body) => {
      (body.payment_orders[1] as Record<string, unknown>).payment_order_id = (
        body.payment_orders[0] as Record<string, unknown>
      ).payment_order_id;
    },
  }),
  fc.constantFrom('EUR', 'XXX', 'ABC', '', 'US', 'USDD').map((currency) => ({
    label: `currency ${currency}`,
    apply: (body: Body) => put(body, 'orders.1.currency', currency),
  })),
  fc.constant({
    label: 'no orders',
    apply: (body: Body) => {
      body.payment_orders = [];
    },
  }),
);

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const idempotencyHeader = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc
    .string({ minLength: 1, maxLength: 40 })
    .map((k) => ({ 'Idempotency-Key': `fz-${encodeURIComponent(k)}` })),
);

/** A whole bad request to POST /v1/payments. */
const badPayment: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // A valid checkout, spoiled one to three ways.
  {
    weight: 6,
    arbitrary: fc
      .record({ spoils: fc.array(spoil, { minLength: 1, maxLength: 3 }), headers: idempotencyHeader })
      .map(({ spoils, headers }) => {
        const body = validBody() as Body;
        for (const s of spoils) {
          // A later spoil may not fit what an earlier one left (no orders left to change): the body is
          // already bad, and no spoil makes a bad body good (each is invalid on its own).
          try {
            s.apply(body);
          } catch {}
        }
        return {
          label: spoils.map((s) => s.label).join(' + '),
          method: 'POST',
          path: '/v1/payments',
          headers: { 'content-type': 'application/json', ...headers },
          body: spoils.reduce(
            (text, s) => (s.deep ? text.replace(`"${DEEP_MARKER}"`, s.deep) : text),
            JSON.stringify(body),
          ),
          secrets: spoils.flatMap((s) => s.secrets ?? []),
        };
      }),
  },
  // Not JSON at all, truncated JSON, JSON that is not an object.
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.integer({ min: 1, max: 150 }).map((cut) => JSON.stringify(validBody()).slice(0, cut)),
        fc.json().filter((j) => !isPlainObject(JSON.parse(j))),
        fc.constantFrom(
          '{"a":1,}',
          "{'a':1}",
          '{"a":NaN}',
          '\uFEFF{}',
          '{"checkout_id":"x"}{}',
          '[]',
          'null',
        ),
      )
      .map((body) => ({
        label: 'malformed or non-object JSON',
        method: 'POST',
        path: '/v1/payments',
        headers: { 'content-type': 'application/json' },
        body,
        secrets: [],
      })),
  },
  // Too big for the API (64 KB), in one field.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 65 * 1024, max: 400 * 1024 }).map((size) => {
      const body = validBody() as Body;
      put(body, 'buyer_info.name', 'n'.repeat(size));
      return {
        label: `${size} byte body`,
        method: 'POST',
        path: '/v1/payments',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        secrets: [],
      };
    }),
  },
  // A valid body with a bad Idempotency-Key or content type.
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        // Only values fetch can send: longer than 255, or a Latin-1 byte outside visible ASCII.
        fc.constantFrom('k'.repeat(256), 'k'.repeat(4_000), 'cl\u00e9', '\u00a0key').map((key) => ({
          label: 'bad idempotency key',
          headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
        })),
        fc
          .constantFrom(
            'text/plain',
            'application/x-www-form-urlencoded',
            'multipart/form-data',
            'application/xml',
          )
          .map((type) => ({ label: `content type ${type}`, headers: { 'content-type': type } })),
      )
      .map(({ label, headers }) => ({
        label,
        method: 'POST',
        path: '/v1/payments',
        headers,
        body: JSON.stringify(validBody()),
        secrets: [],
      })),
  },
  // Reads with bad ids.
  {
    weight: 1,
    arbitrary: fc
      .record({
        route: fc.constantFrom('/v1/payments/', '/v1/checkouts/', '/v1/sellers/'),
        // Never a well-formed id: an unknown seller's wallet is a 200 with no balances.
        id: fc.oneof(badId, cardNumber).filter((id) => !/^[.\s]*$/.test(id)),
      })
      .map(({ route, id }) => ({
        label: `GET ${route}{bad id}`,
        method: 'GET',
        path: `${route}${encodeURIComponent(id)}${route === '/v1/sellers/' ? '/wallet' : ''}`,
        headers: {},
        secrets: /^\d[\d -]{12,}$/.test(id) ? [id.replace(/\D/g, '')] : [],
      })),
  },
);

/** Header values must be ByteStrings: anything else is sent percent-encoded (still not a valid key). */
function encodeHeader(value: string): string {
  return [...value].every((c) => c.charCodeAt(0) < 256 && c !== '\t') ? value : encodeURIComponent(value);
}

/** A webhook whose signature is missing, malformed, signed with another secret, stale, or for other bytes. */
const badWebhook = (secret: string): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      payload: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.json(),
        fc.constant(
          JSON.stringify({
            id: 'evt_fuzz',
            object: 'event',
            type: 'payment_intent.succeeded',
            data: { object: { id: 'pi_fuzz', object: 'payment_intent', status: 'succeeded', metadata: {} } },
          }),
        ),
      ),
      // (A future timestamp signed with our secret is a valid signature: Stripe's libraries accept it too.)
      signature: fc.constantFrom('none', 'garbage', 'other-secret', 'stale', 'other-body', 'v0-only'),
      junk: fc.string({ maxLength: 80 }),
    })
    .map(({ payload, signature, junk }) => {
      const now = Math.floor(Date.now() / 1000);
      const header: Record<string, string | undefined> = {
        none: undefined,
        garbage: encodeHeader(junk || 'x'),
        'other-secret': signPayload(payload, 'whsec_not_ours', now),
        stale: signPayload(payload, secret, now - 301),
        'other-body': signPayload(`${payload} `, secret, now),
        'v0-only': signPayload(payload, secret, now).replace('v1=', 'v0='),
      };
      const value = header[signature];
      return {
        label: `webhook signature ${signature}`,
        method: 'POST',
        path: '/v1/webhooks/psp',
        headers: { 'content-type': 'application/json', ...(value ? { 'stripe-signature': value } : {}) },
        body: payload,
        secrets: [],
      };
    });

export function badRequests(webhookSecret: string): fc.Arbitrary<FuzzRequest> {
  return fc.oneof({ weight: 5, arbitrary: badPayment }, { weight: 1, arbitrary: badWebhook(webhookSecret) });
}

// --- judging an answer -----------------------------------------------------------------------------------

export interface FuzzAnswer {
  readonly status: number;
  readonly text: string;
}

/** What makes an answer wrong (empty when it is right). */
export function judge(request: FuzzRequest, answer: FuzzAnswer): string[] {
  const problems: string[] = [];
  if (answer.status < 400 || answer.status > 499) problems.push(`status ${answer.status}, not a 4xx`);
  let parsed: { error?: { code?: unknown; message?: unknown; request_id?: unknown } } | undefined;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    problems.push('the answer is not JSON');
  }
  const error = parsed?.error;
  if (
    !error ||
    typeof error.code !== 'string' ||
    !/^[a-z_]+$/.test(error.code) ||
    typeof error.message !== 'string'
  )
    problems.push(`no error envelope with a machine-readable code: ${answer.text.slice(0, 200)}`);
  for (const secret of request.secrets) {
    if (secret && answer.text.replace(/\D/g, '').includes(secret))
      problems.push('the answer repeats a card number');
  }
  return problems;
}

export async function send(target: FuzzTarget, request: FuzzRequest): Promise<FuzzAnswer> {
  const headers: Record<string, string> = { ...request.headers };
  if (!request.path.startsWith('/v1/webhooks/')) headers['x-api-key'] = target.apiKey;
  const response = await fetch(`${target.apiUrl}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  return { status: response.status, text: await response.text() };
}

export interface FuzzReport {
  readonly runs: number;
  readonly failures: readonly { label: string; problems: string[] }[];
  readonly byStatus: Record<string, number>;
  readonly byLabel: Record<string, number>;
}

/** Runs `numRuns` bad requests (seeded) and answers every wrong answer; stops at none. */
export async function fuzzApi(
  target: FuzzTarget,
  options: { numRuns: number; seed: number; onProgress?: (done: number) => void },
): Promise<FuzzReport> {
  const failures: { label: string; problems: string[] }[] = [];
  const byStatus: Record<string, number> = {};
  const byLabel: Record<string, number> = {};
  let done = 0;
  const samples = fc.sample(badRequests(target.webhookSecret), {
    numRuns: options.numRuns,
    seed: options.seed,
  });
  // A few at a time: the point is the answers, not the load.
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) {
        const request = samples[next++];
        if (!request) return;
        const answer = await send(target, request);
        const code = safeCode(answer.text);
        byStatus[`${answer.status} ${code}`] = (byStatus[`${answer.status} ${code}`] ?? 0) + 1;
        const kind = request.label.replace(/[0-9]+/g, 'N').split(' + ')[0] ?? request.label;
        byLabel[kind] = (byLabel[kind] ?? 0) + 1;
        const problems = judge(request, answer);
        if (problems.length) failures.push({ label: request.label, problems });
        done++;
        if (options.onProgress && done % 500 === 0) options.onProgress(done);
      }
    }),
  );
  return { runs: options.numRuns, failures, byStatus, byLabel };
}

function safeCode(text: string): string {
  try {
    return String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '-');
  } catch {
    return 'not-json';
  }
}

/** Every item in the given tables (nothing may have been written). */
export async function tableItems(
  db: DynamoDBDocumentClient,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    let start: ScanCommandInput['ExclusiveStartKey'];
    let count = 0;
    do {
      const page = await db.send(
        new ScanCommand({ TableName: table, ExclusiveStartKey: start, Select: 'COUNT' }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    counts[table] = count;
  }
  return counts;
}
