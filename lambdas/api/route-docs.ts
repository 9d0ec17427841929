/**
 * The shape of a route's documentation for the OpenAPI document (openapi.ts), and the error-code groups many
 * routes share. The entries themselves are in openapi-registry.ts and in each area's own module.
 */
import type { z } from 'zod';
import { MoneyErrorCode } from '../money/errors';
import { ApiErrorCode } from './errors';

/**
 * Any zod schema: the request schemas are `zod/mini` ones (what the functions load), the answers full zod (build
 * and test time only); `z.toJSONSchema` reads both.
 */
export type AnySchema = z.core.$ZodType;

/**
 * Who may call a route. `storefront-key` and `operator-key` are two different keys in `x-api-key`: a route
 * takes one kind, never both (the operator's functions check their key themselves, see lambdas/operator/auth.ts).
 */
export const RouteAuth = {
  None: 'none',
  StorefrontKey: 'storefront-key',
  OperatorKey: 'operator-key',
  PspSignature: 'psp-signature',
  /** The payee network's HMAC signature (`X-Payee-Signature`), on the payout provider's webhook. */
  PayeeSignature: 'payee-signature',
} as const;
export type RouteAuth = (typeof RouteAuth)[keyof typeof RouteAuth];

export interface ResponseDoc {
  readonly description: string;
  readonly schema: AnySchema;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** Groups routes in the document (storefront, operator, webhooks, ...). */
  readonly tag: string;
  readonly auth: RouteAuth;
  /** Path parameters by name (every `{name}` of the path). */
  readonly pathParams?: Readonly<Record<string, AnySchema>>;
  readonly query?: Readonly<Record<string, AnySchema>>;
  /** Accepts an `Idempotency-Key` header (Stripe's rules). */
  readonly idempotent?: boolean;
  /** JSON request body (the schema that validates it). */
  readonly body?: AnySchema;
  /** Raw (non-JSON-schema) request body, e.g. the PSP's signed event. */
  readonly rawBody?: { readonly contentType: string; readonly description: string };
  /** Successful answers by status. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Error codes by status: each answer is the error envelope with one of these codes. */
  readonly errors: Readonly<Record<number, readonly string[]>>;
}

/** Every API answer can be a 500 (`internal_error`) or a retryable 503 (with Retry-After). */
export const COMMON_ERRORS = {
  500: [ApiErrorCode.InternalError],
  503: [ApiErrorCode.ServiceUnavailable],
} as const;

/** The money module's refusals of an amount or a currency (all 400). */
export const MONEY_INPUT_CODES = [
  MoneyErrorCode.AmountIsFloat,
  MoneyErrorCode.InvalidAmountFormat,
  MoneyErrorCode.TooManyDecimals,
  MoneyErrorCode.AmountNegative,
  MoneyErrorCode.AmountZero,
  MoneyErrorCode.AmountOutOfRange,
  MoneyErrorCode.UnknownCurrency,
  MoneyErrorCode.CurrencyNotSupported,
  MoneyErrorCode.AmountPrecisionNotSupported,
  MoneyErrorCode.AmountBelowMinimum,
  MoneyErrorCode.AmountAboveMaximum,
] as const;

/** What a JSON body can be refused for before its shape is looked at. */
export const JSON_BODY_ERRORS = {
  400: [ApiErrorCode.InvalidJson, ApiErrorCode.ValidationError, ApiErrorCode.CardDataNotAllowed],
  413: [ApiErrorCode.BodyTooLarge],
  415: [ApiErrorCode.UnsupportedMediaType],
} as const;
