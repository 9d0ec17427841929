/**
 * The PSP provider of the payment handlers that call the PSP (Stripe, or the local simulator when PSP_API_BASE
 * is set), apart from ./wiring.ts so that the Stripe SDK is loaded only by the functions that use it.
 */
import type { PaymentProvider } from '../psp/port';
import { StripePaymentProvider, stripeClientFromEnv } from '../psp/stripe-provider';
import { rebuiltOnRotation } from './secrets';

/** The PSP, with the current Stripe key (rebuilt within the secrets' max age after a rotation). */
export const paymentProvider: () => Promise<PaymentProvider> = rebuiltOnRotation(
  'stripe-api-key',
  (apiKey) => new StripePaymentProvider(stripeClientFromEnv(apiKey, 'PSP_TIMEOUT_MS', 5_000)),
);
