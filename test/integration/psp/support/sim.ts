/** Starts a simulator on a free port with fast webhook retries, and a real `stripe` client pointed at it. */
import Stripe from 'stripe';
import { type PspSimulator, type PspSimulatorOptions, startPspSimulator } from '../../../../sandbox/psp';
import { type Receiver, startReceiver } from './receiver';

export const API_KEY = 'sk_test_psp_simulator_tests';
export const WEBHOOK_SECRET = 'whsec_test_psp_simulator_secret';

export interface SimHarness {
  readonly sim: PspSimulator;
  readonly stripe: Stripe;
  readonly receiver: Receiver;
  client(options?: Partial<Stripe.StripeConfig>, key?: string): Stripe;
  stop(): Promise<void>;
}

export async function startHarness(options: PspSimulatorOptions = {}): Promise<SimHarness> {
  const receiver = await startReceiver();
  const sim = await startPspSimulator({
    port: 0,
    apiKeys: [API_KEY, 'sk_test_other_account'],
    seed: 'psp-tests',
    webhookRetryBaseMs: 20,
    webhookEndpoints: [{ url: receiver.url, secret: WEBHOOK_SECRET }],
    ...options,
  });
  const client = (extra: Partial<Stripe.StripeConfig> = {}, key = API_KEY) =>
    new Stripe(key, { host: '127.0.0.1', port: sim.port, protocol: 'http', maxNetworkRetries: 0, ...extra });
  return {
    sim,
    stripe: client(),
    receiver,
    client,
    async stop() {
      await sim.stop();
      await receiver.close();
    },
  };
}
