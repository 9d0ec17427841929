/**
 * The cost meter counts each AWS and PSP call against the function whose invocation made it (bench/cost.ts
 * models each function's duration from those counts at its own memory), and names the PSP's endpoints.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DURATION_MODEL_MS, meterSystem, priceUsage, type SystemMetering } from '../../../bench/cost';
import { DEFAULT_MEMORY_MB } from '../../../lib/manifest';
import type { LocalSystem } from '../../../sandbox/local-system';
import { pspEndpointOf } from '../../../sandbox/metering';
import { paymentsContextOf, waitForOrders } from '../../support/payin';
import { callApi, startTestSystem } from '../../support/system';

let system: LocalSystem;
let metering: SystemMetering;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  system = await startTestSystem();
  metering = await meterSystem(system);
});

afterAll(async () => {
  metering?.meter.remove();
  await system?.stop();
});

it('names PSP endpoints with their ids left out', () => {
  expect(pspEndpointOf('POST', '/v1/payment_intents/pi_3Abc_x9/confirm?expand[]=latest_charge')).toBe(
    'POST /v1/payment_intents/:id/confirm',
  );
  expect(pspEndpointOf('GET', '/v1/transfers?transfer_group=po_1')).toBe('GET /v1/transfers');
  // An id of letters only is still an id; a resource name with an underscore is not.
  expect(pspEndpointOf('POST', '/v1/payment_intents/pi_AbCdEfGh/confirm')).toBe(
    'POST /v1/payment_intents/:id/confirm',
  );
  expect(pspEndpointOf('GET', '/v1/checkout/sessions/cs_abcdefgh')).toBe('GET /v1/checkout/sessions/:id');
  expect(pspEndpointOf('GET', '/v1/balance_transactions')).toBe('GET /v1/balance_transactions');
});

it("counts a card pay-in's calls against the functions that made them, and models each at its memory", async () => {
  const checkoutId = `co_metered_${Date.now().toString(36)}`;
  const orderId = `${checkoutId}_a`;
  const answer = await callApi(system, 'POST', '/v1/payments', {
    checkout_id: checkoutId,
    buyer_info: { buyer_id: 'buyer_metered' },
    credit_card_info: 'pm_card_visa',
    payment_orders: [
      { payment_order_id: orderId, seller_account: 'seller_m', amount: '12.00', currency: 'USD' },
    ],
  });
  expect(answer.status).toBe(201);
  const [order] = await waitForOrders(paymentsContextOf(system), [orderId]);
  expect(order?.status).toBe('SUCCESS');
  await system.psp.control.webhooksIdle();
  metering.meter.pause();
  const usage = metering.meter.usage;

  // The charge step created, then confirmed, the PaymentIntent: its two PSP calls, no one else's.
  const charge = usage.functions['payin-execute-order'];
  expect(charge?.pspCalls).toBe(2);
  expect(usage.psp['POST /v1/payment_intents']).toBe(1);
  expect(usage.psp['POST /v1/payment_intents/:id/confirm']).toBe(1);
  const attributed = Object.values(usage.functions).reduce((n, f) => n + f.pspCalls, 0);
  expect(attributed).toBe(Object.values(usage.psp).reduce((a, b) => a + b, 0));
  // The API's function wrote the checkout; the webhook's stored its event: their own DynamoDB calls.
  expect(usage.functions['create-payment']?.dynamoCalls).toBeGreaterThan(0);
  expect(usage.functions['psp-webhook']?.dynamoCalls).toBeGreaterThan(0);
  const dynamoAttributed = Object.values(usage.functions).reduce((n, f) => n + f.dynamoCalls, 0);
  const dynamoAll = Object.values(usage.dynamo.calls).reduce((a, b) => a + b, 0);
  expect(dynamoAttributed).toBe(dynamoAll);

  // Modelled: own work (twice as long at half of 512 MB) plus what it waited on, billed at its memory.
  expect(charge?.memoryMb).toBe(DEFAULT_MEMORY_MB);
  const lines = priceUsage(usage, 1, {}, 'modelled');
  const line = lines.find(
    (l) => l.item === `Lambda duration payin-execute-order (${DEFAULT_MEMORY_MB} MB), modelled`,
  );
  const f = charge as NonNullable<typeof charge>;
  const ms =
    f.invocations * DURATION_MODEL_MS.ownWorkAt512Mb * (512 / DEFAULT_MEMORY_MB) +
    f.dynamoCalls * DURATION_MODEL_MS.dynamoCall +
    f.messagingCalls * DURATION_MODEL_MS.messagingCall +
    2 * DURATION_MODEL_MS.pspCall;
  expect(line?.quantityPerPayIn).toBeCloseTo((ms / 1000) * (DEFAULT_MEMORY_MB / 1024), 9);
});
