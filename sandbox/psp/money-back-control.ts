/**
 * The control routes of money-back.ts under `/_sim/...` (the knobs of Stripe's dashboard and `stripe trigger`):
 *   POST refunds/:id/settle              {outcome?: succeeded|failed, failure_reason?}
 *   POST payment_intents/:id/refund_mode {mode: instant|pending|pending_fails|fails_later}
 *   POST dashboard/refunds               {payment_intent, amount?, reason?}   a refund made outside our API
 *   POST disputes                        {payment_intent, kind?: chargeback|inquiry, amount?, reason?}
 *   POST disputes/:id/evidence           needs_response -> under_review
 *   POST disputes/:id/close              {outcome: won|lost}
 *   POST accounts/:id/balance            {currency, available}   a connected account's balance
 *   GET  accounts/:id/balance?currency=
 */
import type { ControlResponse } from './control';
import type { MoneyBack, RefundMode } from './money-back';

const MODES: readonly RefundMode[] = ['instant', 'pending', 'pending_fails', 'fails_later'];

export function handleMoneyBackControl(
  moneyBack: MoneyBack,
  method: string,
  parts: readonly string[],
  query: URLSearchParams,
  json: Record<string, unknown>,
): ControlResponse | undefined {
  const [a, id, c] = parts.map((p) => decodeURIComponent(p));
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown) => (v === undefined ? undefined : Number(v));
  const key = `${method} ${a}${parts.length > 1 ? (parts.length === 2 ? '/:id' : `/:id/${c}`) : ''}`;
  switch (key) {
    case 'POST refunds/:id/settle': {
      const outcome =
        json.outcome === 'failed' ? 'failed' : json.outcome === 'succeeded' ? 'succeeded' : undefined;
      return { status: 200, body: moneyBack.settleRefund(String(id), outcome, str(json.failure_reason)) };
    }
    case 'POST payment_intents/:id/refund_mode': {
      const mode = json.mode as RefundMode;
      if (!MODES.includes(mode))
        return { status: 400, body: { error: `mode must be one of ${MODES.join(', ')}` } };
      moneyBack.setRefundMode(String(id), mode);
      return { status: 200, body: { payment_intent: id, mode } };
    }
    case 'POST dashboard/:id':
      if (id !== 'refunds') return undefined;
      return {
        status: 200,
        body: moneyBack.dashboardRefund({
          paymentIntent: String(json.payment_intent ?? ''),
          ...(json.amount !== undefined ? { amount: Number(json.amount) } : {}),
          ...(str(json.reason) ? { reason: str(json.reason) as string } : {}),
        }),
      };
    case 'POST disputes':
      return {
        status: 200,
        body: moneyBack.openDispute({
          paymentIntent: String(json.payment_intent ?? ''),
          kind: json.kind === 'inquiry' ? 'inquiry' : 'chargeback',
          ...(json.amount !== undefined ? { amount: num(json.amount) as number } : {}),
          ...(str(json.reason) ? { reason: str(json.reason) as string } : {}),
        }),
      };
    case 'POST disputes/:id/evidence':
      return { status: 200, body: moneyBack.submitEvidence(String(id)) };
    case 'POST disputes/:id/close':
      return {
        status: 200,
        body: moneyBack.closeDispute(String(id), json.outcome === 'won' ? 'won' : 'lost'),
      };
    case 'POST accounts/:id/balance':
      moneyBack.setConnectedBalance(String(id), String(json.currency ?? 'usd'), Number(json.available ?? 0));
      return {
        status: 200,
        body: { account: id, currency: json.currency ?? 'usd', available: Number(json.available ?? 0) },
      };
    case 'GET accounts/:id/balance': {
      const currency = query.get('currency') ?? 'usd';
      return {
        status: 200,
        body: { account: id, currency, available: moneyBack.connectedBalance(String(id), currency) },
      };
    }
    default:
      return undefined;
  }
}
