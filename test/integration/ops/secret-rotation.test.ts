/**
 * Issue 8.7: secrets that rotate without a cold start, on the local system. The functions read the Stripe
 * key and the webhook signing secret through Powertools Parameters with a max age (2 s locally, 300 s on AWS);
 * `rotateLocalSecret` is the local `put-secret-value` (the new value AWSCURRENT, the old one AWSPREVIOUS).
 */
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrder, type PaymentsContext } from '../../../lambdas/payments';
import type { StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { rotateLocalSecret } from '../../../lambdas/shared/secrets';
import { localSecretValueEnvVar } from '../../../lib/manifest';
import type { LocalSystem } from '../../../sandbox/local-system';
import { submitTestCheckout, usePayinSystem, waitForOrders } from '../../support/payin';

let system: LocalSystem;
let ctx: PaymentsContext;
let psp: StripePaymentProvider;
const saved = new Map<string, string | undefined>();
const LOCAL_VARS = ['stripe-webhook-secret', 'stripe-api-key'].flatMap((id) => {
  const current = localSecretValueEnvVar(id);
  const stem = current.replace(/_SECRET_VALUE$/, '');
  return [current, `${stem}_SECRET_PREVIOUS_VALUE`, `${stem}_SECRET_ROTATED_AT`];
});
const MAX_AGE_MS = 2_000;

usePayinSystem((s) => {
  ({ system, ctx, psp } = s);
});
beforeAll(() => {
  for (const name of LOCAL_VARS) saved.set(name, process.env[name]);
});
afterAll(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uid = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

async function postSigned(secret: string): Promise<number> {
  const body = JSON.stringify({
    id: `evt_rot_${uid()}`,
    object: 'event',
    type: 'customer.created',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: `cus_${uid()}`, object: 'customer' } },
  });
  const response = await fetch(`${system.endpoints.api}/v1/webhooks/psp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret }),
    },
    body,
  });
  await response.text();
  return response.status;
}

describe('webhook signing secret rotation', () => {
  it('accepts the current and, while the rotation is young, the previous secret; after the window only the current', async () => {
    const old = process.env[localSecretValueEnvVar('stripe-webhook-secret')] ?? '';
    expect(await postSigned(old)).toBe(200);
    const rolled = `whsec_rolled_${uid()}`;
    rotateLocalSecret('stripe-webhook-secret', rolled);
    await sleep(MAX_AGE_MS + 500);
    expect(await postSigned(rolled)).toBe(200);
    expect(await postSigned(old)).toBe(200); // events Stripe signed before the roll still arrive
    expect(await postSigned(`whsec_never_${uid()}`)).toBe(400);
    // The same rotation, 25 h later: the window (24 h) is over, the previous secret is refused.
    process.env[localSecretValueEnvVar('stripe-webhook-secret').replace(/_VALUE$/, '_ROTATED_AT')] = String(
      Date.now() - 25 * 3_600_000,
    );
    await sleep(MAX_AGE_MS + 500);
    expect(await postSigned(old)).toBe(400);
    expect(await postSigned(rolled)).toBe(200);
    // Back to the simulator's secret (it still signs with it) for the rest of the file.
    rotateLocalSecret('stripe-webhook-secret', old);
    await sleep(MAX_AGE_MS + 500);
  });
});

describe('Stripe API key rotation', () => {
  it('a key rotated at the PSP and in the secret is used without a restart: the next checkout is charged once', async () => {
    const oldKey = process.env[localSecretValueEnvVar('stripe-api-key')] ?? '';
    // Warm the functions with the old key.
    const before = await submitTestCheckout(system, ctx, psp, {
      label: 'keyold',
      orders: [{ seller: `seller_key${uid()}`, amount: '4.00' }],
      paymentMethod: 'pm_card_visa',
    });
    await waitForOrders(ctx, before.checkout.order_ids, (o) => o.every((x) => x.status === 'SUCCESS'));
    const newKey = `sk_test_rolled_${uid()}`;
    system.psp.control.rotateApiKey(oldKey, newKey); // from now on the old key gets 401
    rotateLocalSecret('stripe-api-key', newKey);
    try {
      await sleep(MAX_AGE_MS + 500);
      const after = await submitTestCheckout(system, ctx, psp, {
        label: 'keynew',
        orders: [{ seller: `seller_key${uid()}`, amount: '6.00' }],
        paymentMethod: 'pm_card_visa',
      });
      const orderId = after.checkout.order_ids[0] ?? '';
      await waitForOrders(
        ctx,
        after.checkout.order_ids,
        (o) => o.every((x) => x.status === 'SUCCESS'),
        30_000,
      );
      const order = await getOrder(ctx, orderId);
      expect(order?.status).toBe('SUCCESS');
      const charged = system.psp.control
        .events()
        .filter((e) => e.type === 'payment_intent.succeeded')
        .filter(
          (e) =>
            (e.data.object as { metadata?: Record<string, string> }).metadata?.payment_order_id === orderId,
        );
      expect(charged).toHaveLength(1);
    } finally {
      system.psp.control.rotateApiKey(newKey, oldKey);
    }
  });
});
