/**
 * The payout provider port on the payee network, an asynchronous provider shaped like Tipalti: a payment to
 * the seller's payee goes submitted -> paid (NOT final: the bank may still return it) -> cleared (final), or
 * ends rejected, canceled or returned; `deferred` holds it. Results come only by its signed webhook
 * (`POST /v1/webhooks/payouts`, lambdas/payouts/payee-webhook.ts); the workflow's timeout and the sweeper
 * look the payment up by our payout id (its `ref_code`).
 *
 * Mapping to the port: submitted / deferred / paid -> in flight (the hold stays reserved); cleared -> paid (the
 * hold is posted); rejected / canceled / returned -> failed (the hold is voided: no money reached the seller,
 * or it came back to the platform's funding account, so there is nothing to take back).
 *
 * Exactly once beyond the 24 h idempotency window: `advance` lists the payments with our ref_code first and
 * creates only when there is none, so a retry days later continues instead of paying again.
 */
import { toStripeAmount } from '../psp/currencies';
import { outboundCall } from '../shared/crash-point';
import { PayoutProviderPermanentError, PayoutProviderTransientError } from './errors';
import type { PayoutInstruction, PayoutProvider, ProviderPayout } from './port';

export type PayeePaymentStatus =
  | 'submitted'
  | 'deferred'
  | 'paid'
  | 'cleared'
  | 'rejected'
  | 'canceled'
  | 'returned';

export interface PayeePayment {
  readonly id: string;
  readonly ref_code: string;
  readonly payee_id: string;
  readonly amount: number;
  readonly currency: string;
  readonly status: PayeePaymentStatus;
  readonly failure_reason: string | null;
}

export interface PayeeNetworkOptions {
  /** e.g. https://api.payee-network.example/payee (locally: the simulator's `/payee`). */
  readonly apiBase: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** Statuses after which the destination (the payee's bank details) must be fixed before paying again. */
export const DESTINATION_FAILURES: ReadonlySet<PayeePaymentStatus> = new Set(['rejected', 'returned']);

/** The payee network's statuses as the port's states (a status this version does not know is not an answer). */
export function payeeState(payment: Pick<PayeePayment, 'status' | 'failure_reason' | 'id'>): ProviderPayout {
  switch (payment.status) {
    case 'cleared':
      return { state: 'paid', reference: payment.id };
    case 'rejected':
    case 'canceled':
    case 'returned':
      return {
        state: 'failed',
        reference: payment.id,
        failureCode: payment.failure_reason ?? `payment_${payment.status}`,
        ...(DESTINATION_FAILURES.has(payment.status) ? { destinationFailed: true } : {}),
      };
    default:
      return { state: 'in_flight', reference: payment.id };
  }
}

export class PayeeNetworkProvider implements PayoutProvider {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PayeeNetworkOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; json: T }> {
    let response: Response;
    try {
      outboundCall('payee_network');
      response = await this.fetch(`${this.options.apiBase}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      // A timeout or a lost connection proves nothing: the request may have been carried out.
      throw new PayoutProviderTransientError(
        `payee network ${method} ${path}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const text = await response.text().catch(() => '');
    let json: unknown = {};
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new PayoutProviderTransientError(`payee network ${method} ${path}: unreadable answer`);
    }
    if (response.status === 429 || response.status >= 500 || response.status === 409) {
      throw new PayoutProviderTransientError(`payee network ${method} ${path}: ${response.status}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw new PayoutProviderPermanentError(
        `payee network ${method} ${path}: ${response.status} (our credentials)`,
        'unauthorized',
      );
    }
    return { status: response.status, json: json as T };
  }

  private async find(i: PayoutInstruction): Promise<PayeePayment | undefined> {
    const { status, json } = await this.call<{ data?: PayeePayment[] }>(
      'GET',
      `/v1/payments?ref_code=${encodeURIComponent(i.payoutId)}`,
    );
    if (status !== 200) throw new PayoutProviderTransientError(`payee network lookup answered ${status}`);
    const mine = (json.data ?? []).filter((p) => p.ref_code === i.payoutId);
    if (mine.length > 1) {
      throw new PayoutProviderPermanentError(
        `payout ${i.payoutId} has ${mine.length} payments at the payee network`,
        'duplicate_payment',
      );
    }
    return mine[0];
  }

  async lookup(i: PayoutInstruction): Promise<ProviderPayout | undefined> {
    const found = await this.find(i);
    return found ? payeeState(found) : undefined;
  }

  async advance(i: PayoutInstruction): Promise<ProviderPayout> {
    const existing = await this.find(i);
    if (existing) return payeeState(existing);
    const { amount, currency } = toStripeAmount(i.amount);
    const { status, json } = await this.call<PayeePayment & { error?: { code?: string } }>(
      'POST',
      '/v1/payments',
      { ref_code: i.payoutId, payee_id: i.destination, amount, currency },
      `payout-${i.payoutId}-payment`,
    );
    if (status === 200 || status === 201) return payeeState(json);
    if (status === 400 || status === 404 || status === 422) {
      // Refused before anything was created: evidence that no money moved.
      return { state: 'failed', failureCode: json.error?.code ?? 'payment_refused' };
    }
    throw new PayoutProviderTransientError(`payee network create answered ${status}`);
  }

  /** Nothing to take back: a rejected, canceled or returned payment leaves the money with the platform. */
  async recover(): Promise<void> {}
}
