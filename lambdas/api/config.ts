/**
 * The payment API functions' configuration, read once at module load from the variables the manifest declares
 * (tables and the state machine by `envVarFor`, plain settings by name), failing fast when one is missing or
 * malformed.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PaymentsContext } from '../payments/context';
import { ConfigurationError, optionalEnv, requiredEnv, resource } from '../shared/config';

export const DEFAULT_SUCCESS_URL = 'https://shop.example/checkout/{CHECKOUT_ID}/done';
export const DEFAULT_CANCEL_URL = 'https://shop.example/checkout/{CHECKOUT_ID}/cancelled';
/**
 * Stripe wants a Checkout Session to live at least 30 minutes from its creation; a registration retried a
 * while after the checkout was stored must still clear that bar, hence the margin.
 */
export const DEFAULT_HOSTED_PAGE_TTL_MINUTES = 60;
export const MIN_HOSTED_PAGE_TTL_MINUTES = 40;

export function integerEnv(name: string, fallback: number | undefined, min: number, max: number): number {
  const text = fallback === undefined ? requiredEnv(name) : optionalEnv(name, String(fallback));
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `environment variable ${name} must be an integer in ${min}..${max}, got "${text}"`,
    );
  }
  return value;
}

export function urlTemplateEnv(name: string, fallback: string): string {
  const value = optionalEnv(name, fallback);
  if (!/^https?:\/\//.test(value))
    throw new ConfigurationError(`environment variable ${name} must be an http(s) URL`);
  return value;
}

/**
 * The payments context of a function that only reads checkouts and orders: it is granted the payments table
 * alone, and nothing it calls touches the ledger or the wallets (their names are left empty, so a call that
 * did would fail loudly).
 */
export function readOnlyPaymentsContext(db: DynamoDBDocumentClient): PaymentsContext {
  return { db, tables: { payments: resource('table', 'payments'), ledger: '', wallets: '' } };
}
