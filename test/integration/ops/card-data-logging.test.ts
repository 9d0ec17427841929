/**
 * Card data never reaches a log: card-like numbers sent through the API (as the card token, in other fields,
 * in a header, in the path, to the webhook) are refused, and none of their digits appears in any line the
 * functions and the local API Gateway print, at DEBUG level (the most the logger ever writes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, call, checkoutBody, postPayment, startApi, uid } from '../api/support';
import { captureLogs, type LogCapture } from './log-capture';

process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const PAN = '4000056655665556';
const SPACED = '4000 0566 5566 5556';
const DASHED = '4000-0566-5566-5556';

let api: ApiFixture;
let logs: LogCapture;

beforeAll(async () => {
  logs = captureLogs();
  api = await startApi();
});
afterAll(async () => {
  logs?.stop();
  await api?.stop();
});

describe('card data in requests', () => {
  it('refuses every request carrying a card number and logs none of its digits', async () => {
    // Act
    const answers = [
      await postPayment(api.runtime, { ...checkoutBody(1), credit_card_info: PAN }),
      await postPayment(api.runtime, { ...checkoutBody(1), credit_card_info: SPACED }),
      await postPayment(api.runtime, {
        ...checkoutBody(1),
        buyer_info: { buyer_id: uid('buyer'), email: `${DASHED}@example.com` },
      }),
      await postPayment(api.runtime, { ...checkoutBody(1), checkout_id: PAN }),
      await postPayment(api.runtime, checkoutBody(1), { headers: { 'idempotency-key': PAN } }),
      await call(api.runtime, 'GET', `/v1/payments/${PAN}`),
      await call(api.runtime, 'GET', `/v1/checkouts/${PAN}`),
      await call(api.runtime, 'POST', '/v1/webhooks/psp', {
        raw: JSON.stringify({ id: 'evt_1', data: { object: { card: PAN } } }),
        headers: { 'stripe-signature': `t=1,v1=${PAN}` },
        apiKey: null,
      }),
    ];
    // Let the asynchronous work those requests started (workflows, queues) log what it logs.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    // Assess: the requests were seen (the logs are not empty) and none of them was accepted with the card.
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([400, 400, 400]);
    expect(answers.slice(0, 3).map((a) => a.json?.error?.code)).toEqual([
      'card_data_not_allowed',
      'card_data_not_allowed',
      'card_data_not_allowed',
    ]);
    const lines = logs.lines();
    // The capture sees the functions' own lines (the webhook's refusal), so a leak could not hide from it.
    expect(lines.some((line) => line.includes('webhook rejected: bad signature'))).toBe(true);
    const leaks = lines.filter((line) =>
      [PAN, SPACED, DASHED, PAN.slice(0, 12), PAN.slice(4)].some((text) => line.includes(text)),
    );
    expect(leaks).toEqual([]);
  });
});
