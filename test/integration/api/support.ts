/** Shared set-up of the API's integration tests: the real manifest on the local runtime, with the PSP simulator. */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { manifest } from '../../../lib/manifest';
import { type PspSimulator, startPspSimulator } from '../../../sandbox/psp';
import { localDocumentClient } from '../../support/engines';
import { startTestRuntime, TEST_API_KEY } from '../../support/runtime';

export type TestRuntime = Awaited<ReturnType<typeof startTestRuntime>>;

export interface ApiFixture {
  readonly runtime: TestRuntime;
  readonly psp: PspSimulator;
  stop(): Promise<void>;
}

export async function startApi(): Promise<ApiFixture> {
  const psp = await startPspSimulator({ port: 0 });
  try {
    const runtime = await startTestRuntime(manifest, { pspUrl: psp.url });
    return {
      runtime,
      psp,
      stop: async () => {
        await runtime.stop();
        await psp.stop();
      },
    };
  } catch (error) {
    await psp.stop();
    throw error;
  }
}

export const uid = (label: string) => `${label}_${randomBytes(6).toString('hex')}`;

export interface OrderBody {
  seller_account: string;
  amount: unknown;
  currency: unknown;
  payment_order_id: string;
}

export interface CheckoutBody {
  buyer_info: Record<string, unknown>;
  checkout_id: string;
  credit_card_info?: unknown;
  payment_orders: OrderBody[];
  [extra: string]: unknown;
}

/** A valid card-mode checkout with `orders` orders of 10.00 USD each (unique ids). */
export function checkoutBody(orders = 2, overrides: Partial<CheckoutBody> = {}): CheckoutBody {
  const checkoutId = uid('co');
  return {
    buyer_info: { buyer_id: uid('buyer'), email: 'buyer@example.com', country: 'DE' },
    checkout_id: checkoutId,
    credit_card_info: 'pm_card_visa',
    payment_orders: Array.from({ length: orders }, (_, i) => ({
      seller_account: `seller_${i}`,
      amount: '10.00',
      currency: 'USD',
      payment_order_id: `${checkoutId}_po${i}`,
    })),
    ...overrides,
  };
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads arbitrary JSON answers
  readonly json: any;
}

export async function call(
  runtime: TestRuntime,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string>; apiKey?: string | null } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.apiKey !== null) headers['x-api-key'] = options.apiKey ?? TEST_API_KEY;
  const hasBody = options.raw !== undefined || options.body !== undefined;
  if (hasBody && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers,
    ...(hasBody ? { body: options.raw ?? JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const postPayment = (
  runtime: TestRuntime,
  body: unknown,
  options: { headers?: Record<string, string>; raw?: string } = {},
) => call(runtime, 'POST', '/v1/payments', { body, ...options });

/** Every item of a table. */
export async function scanAll(table: string): Promise<Record<string, unknown>[]> {
  const db = localDocumentClient();
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** How many items the API's tables hold (payments, idempotency, ledger, wallets). */
export async function tableCounts(runtime: TestRuntime): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const id of ['payments', 'idempotency', 'ledger', 'wallets']) {
    const table = runtime.names.tables[id];
    if (!table) throw new Error(`table ${id} is not provisioned`);
    out[id] = (await scanAll(table)).length;
  }
  return out;
}
