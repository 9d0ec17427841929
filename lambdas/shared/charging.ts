/**
 * The PSP as the hot path sees it (the charge step and the sweeper's workers), built once per container:
 *
 * - ONE layer owns retries. A charge is retried by the pay-in workflow (the ExecutePaymentOrder step's Retry,
 *   statemachines/pay-in.asl.json), then left to the sweeper, which looks again minutes later. So here the
 *   Stripe SDK makes no retries of its own (`maxNetworkRetries: 0`), and the executor no loop: one request per
 *   PSP call per invocation. A persistently failing charge (5xx) is sent at most 3 times by the workflow
 *   (2 jittered retries; fewer once the circuit opens), not SDK 3 x workflow 5 = 15 times.
 * - A request slower than our timeout may still be running at the PSP, holding its idempotency key (a retry
 *   at once gets 409 "key in use"). Both are PspInFlightError, which the workflow retries on its own rule:
 *   after 3 s, 6 s, 12 s (each at least the timeout, no jitter), with the same key, so the first request's
 *   answer is replayed and the buyer is charged once. Retrying that at once spent every attempt on 409s.
 *   (The API's synchronous calls keep the SDK's retries: nothing else retries them within the request.)
 * - Short timeouts: `PSP_CHARGE_TIMEOUT_MS` (3 s) per request, not the API's 5 s or the SDK's 80 s.
 * - The shared "PSP degraded" circuit (lambdas/psp/circuit-breaker.ts) sees every call's outcome, and emits
 *   `PspCircuitOpen` whenever it is evaluated, with `PspLatency` / `PspErrors` per call.
 */
import { type CircuitSettings, observedProvider, PspCircuit } from '../psp/circuit-breaker';
import type { PaymentProvider } from '../psp/port';
import { StripePaymentProvider, stripeClientFromEnv } from '../psp/stripe-provider';
import { documentClient } from './aws-clients';
import { optionalEnv, resource } from './config';
import { logger } from './logger';
import { businessMetrics } from './metrics';
import { rebuiltOnRotation } from './secrets';

let circuit: PspCircuit | undefined;

function circuitSettings(): Partial<CircuitSettings> {
  return {
    failureThreshold: Number(optionalEnv('PSP_CIRCUIT_FAILURE_THRESHOLD', '10')),
    windowMs: Number(optionalEnv('PSP_CIRCUIT_WINDOW_MS', '30000')),
    coolDownMs: Number(optionalEnv('PSP_CIRCUIT_COOL_DOWN_MS', '30000')),
  };
}

export function pspCircuit(): PspCircuit {
  circuit ??= new PspCircuit(
    { db: documentClient(), table: resource('table', 'coordination') },
    {
      settings: circuitSettings(),
      onEvaluated: (open) => businessMetrics.pspCircuit(open),
      onOpened: (failures) => logger.error('PSP circuit opened: new charges wait', { failures }),
      onStoreError: (error) => logger.warn('PSP circuit state unavailable; allowing calls', { error }),
    },
  );
  return circuit;
}

/**
 * The Stripe provider of the hot path: no SDK retries, a short timeout, every outcome seen by the circuit;
 * rebuilt with the current key after a rotation (lambdas/shared/secrets.ts).
 */
export const chargingProvider: () => Promise<PaymentProvider> = rebuiltOnRotation(
  'stripe-api-key',
  (apiKey) =>
    observedProvider(
      new StripePaymentProvider(
        stripeClientFromEnv(apiKey, 'PSP_CHARGE_TIMEOUT_MS', 3_000, { maxNetworkRetries: 0 }),
      ),
      pspCircuit(),
      (latencyMs, failed) => businessMetrics.pspCall(latencyMs, failed),
    ),
);
