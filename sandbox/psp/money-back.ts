/**
 * Money going back in the simulator: refund lifecycles beyond "succeeded at once", disputes (chargebacks and
 * inquiries) driven through their lifecycle, and connected-account balances that can refuse a transfer
 * reversal. Every step writes its balance transaction (so it is in the settlement report) and emits its
 * signed event, as Stripe does:
 *
 * - a refund may start `pending` and later succeed or fail, or report `succeeded` and fail days later (Stripe's
 *   test card 4000000000005126); a failed refund gets a `failure_reason` and a `failure_balance_transaction`
 *   (reporting_category `refund_failure`) that gives the money back, and its amount becomes refundable again;
 * - a chargeback opens `needs_response` and withdraws the amount plus a dispute fee (category `dispute`); won,
 *   it reinstates the amount (category `dispute_reversal`; the fee only when configured, since whether Stripe
 *   returns it is not settled); lost, the withdrawal is final. An inquiry (`warning_*`) moves no money;
 * - a transfer reversal needs the connected account's balance (transfers in, less reversals and bank payouts,
 *   or what the control API set) to cover it, else `balance_insufficient`.
 */
import { connectPayoutsOf } from './connect-payouts';
import { AUTOMATIC, type MoneyBackHooks, type PspEngine, type RequestContext } from './engine';
import { invalidRequest, unexpectedState } from './errors';
import type { Charge, Dispute, Refund, Transfer } from './objects';
import { newId } from './random';

export type RefundMode = 'instant' | 'pending' | 'pending_fails' | 'fails_later';

export interface MoneyBackConfig {
  /** Clock ms after which a pending (or "fails later") refund gets its final result by itself. */
  refundDelayMs: number;
  /** The dispute fee, in minor units of the disputed currency. */
  disputeFee: number;
  /** Whether a won dispute gives the fee back too. */
  returnFeeOnWin: boolean;
}

export const DEFAULT_MONEY_BACK: MoneyBackConfig = {
  refundDelayMs: 60_000,
  disputeFee: 1_500,
  returnFeeOnWin: false,
};

interface RefundPlan {
  /** What the refund ends as. */
  readonly result: 'succeeded' | 'failed';
  readonly dueAt: number;
  done: boolean;
}

export const REFUND_FAILURE_REASONS = ['expired_or_canceled_card', 'lost_or_stolen_card', 'unknown'] as const;

export class MoneyBack implements MoneyBackHooks {
  private readonly plans = new Map<string, RefundPlan>();
  /** Refund behaviour set per PaymentIntent through the control API (wins over the payment method's). */
  private readonly refundModes = new Map<string, RefundMode>();
  /** Connected balances set through the control API, per account and currency. */
  private readonly balances = new Map<string, number>();

  constructor(
    private readonly engine: PspEngine,
    private readonly config: MoneyBackConfig = DEFAULT_MONEY_BACK,
  ) {}

  private get store() {
    return this.engine.store;
  }

  // ------------------------------------------------------------------ refunds

  setRefundMode(paymentIntentId: string, mode: RefundMode): void {
    this.store.paymentIntents.get(paymentIntentId, 'payment_intent');
    this.refundModes.set(paymentIntentId, mode);
  }

  private modeOf(charge: Charge): RefundMode {
    const set = charge.payment_intent ? this.refundModes.get(charge.payment_intent) : undefined;
    if (set) return set;
    const pm = charge.payment_method;
    return (pm ? this.store.methodBehaviour.get(pm)?.refund : undefined) ?? 'instant';
  }

  initialRefundStatus(charge: Charge): Refund['status'] {
    const mode = this.modeOf(charge);
    return mode === 'pending' || mode === 'pending_fails' ? 'pending' : 'succeeded';
  }

  refundCreated(refund: Refund, charge: Charge): void {
    const mode = this.modeOf(charge);
    if (mode === 'instant') return;
    this.plans.set(refund.id, {
      result: mode === 'pending' ? 'succeeded' : 'failed',
      dueAt: this.engine.clock.now() + this.config.refundDelayMs,
      done: false,
    });
  }

  /** Gives a pending refund its result now (default: what its plan says). A failure reverses it. */
  settleRefund(refundId: string, outcome?: 'succeeded' | 'failed', failureReason?: string): Refund {
    const refund = this.store.refunds.get(refundId, 'refund');
    const plan = this.plans.get(refund.id);
    if (refund.status === 'failed' || refund.status === 'canceled' || plan?.done) {
      throw unexpectedState(`Refund ${refund.id} already has its final result.`, 'refund_already_final');
    }
    const result = outcome ?? plan?.result ?? 'succeeded';
    if (plan) plan.done = true;
    else this.plans.set(refund.id, { result, dueAt: this.engine.clock.now(), done: true });
    const previous = { status: refund.status };
    if (result === 'succeeded') {
      if (refund.status === 'succeeded') return refund;
      refund.status = 'succeeded';
      this.engine.emit('refund.updated', refund, AUTOMATIC, previous);
      return refund;
    }
    const reason = failureReason ?? 'expired_or_canceled_card';
    if (!(REFUND_FAILURE_REASONS as readonly string[]).includes(reason)) {
      throw invalidRequest(`failure_reason must be one of ${REFUND_FAILURE_REASONS.join(', ')}`);
    }
    const charge = this.store.charges.get(refund.charge, 'charge');
    const txn = this.engine.insertBalanceTransaction(
      refund.amount,
      0,
      refund.currency,
      'refund_failure',
      'refund_failure',
      refund.id,
      'REFUND FOR FAILED REFUND',
    );
    refund.status = 'failed';
    refund.failure_reason = reason;
    refund.failure_balance_transaction = txn.id;
    // The money is back on the charge: it can be refunded again.
    charge.amount_refunded -= refund.amount;
    charge.refunded = false;
    this.engine.emit('refund.updated', refund, AUTOMATIC, previous);
    this.engine.emit('refund.failed', refund, AUTOMATIC, previous);
    return refund;
  }

  /** A refund made in the PSP's dashboard: no idempotency key, no request of ours; seen only as events. */
  dashboardRefund(input: { paymentIntent: string; amount?: number; reason?: string }): Refund {
    return this.engine.createRefund(
      {
        paymentIntent: input.paymentIntent,
        amount: input.amount,
        reason: input.reason ?? 'requested_by_customer',
        metadata: {},
      },
      DASHBOARD,
    );
  }

  // ------------------------------------------------------------------ disputes

  /** Opens a dispute on a succeeded PaymentIntent's charge, like `stripe trigger charge.dispute.created`. */
  openDispute(input: {
    paymentIntent: string;
    kind?: 'chargeback' | 'inquiry';
    amount?: number;
    reason?: string;
  }): Dispute {
    const pi = this.store.paymentIntents.get(input.paymentIntent, 'payment_intent');
    if (pi.status !== 'succeeded' || !pi.latest_charge) {
      throw unexpectedState(
        `PaymentIntent ${pi.id} has no succeeded charge to dispute.`,
        'charge_not_disputable',
      );
    }
    const charge = this.store.charges.get(pi.latest_charge, 'charge');
    const amount = input.amount ?? charge.amount - charge.amount_refunded;
    if (amount <= 0 || amount > charge.amount) {
      throw invalidRequest(`Dispute amount must be 1..${charge.amount}.`, { param: 'amount' });
    }
    const inquiry = input.kind === 'inquiry';
    const now = this.engine.clock.nowSeconds();
    const dispute: Dispute = {
      id: newId('dp'),
      object: 'dispute',
      amount,
      balance_transactions: [],
      charge: charge.id,
      created: now,
      currency: charge.currency,
      evidence_details: {
        due_by: now + 7 * 86_400,
        has_evidence: false,
        past_due: false,
        submission_count: 0,
      },
      is_charge_refundable: inquiry,
      livemode: false,
      metadata: {},
      payment_intent: pi.id,
      reason: input.reason ?? 'fraudulent',
      status: inquiry ? 'warning_needs_response' : 'needs_response',
    };
    this.store.disputes.insert(dispute);
    this.engine.emit('charge.dispute.created', dispute, AUTOMATIC);
    if (!inquiry) {
      const txn = this.engine.insertBalanceTransaction(
        -amount,
        this.config.disputeFee,
        charge.currency,
        'dispute',
        'adjustment',
        dispute.id,
        `Chargeback withdrawal for ${charge.id}`,
      );
      txn.fee_details = [
        {
          amount: this.config.disputeFee,
          application: null,
          currency: charge.currency,
          description: 'Dispute fee',
          type: 'stripe_fee',
        },
      ];
      dispute.balance_transactions.push({ ...txn });
      charge.disputed = true;
      this.engine.emit('charge.dispute.funds_withdrawn', dispute, AUTOMATIC);
    }
    return dispute;
  }

  /** The merchant submitted evidence: `needs_response` -> `under_review` (a warning_* inquiry likewise). */
  submitEvidence(disputeId: string): Dispute {
    const dispute = this.store.disputes.get(disputeId, 'dispute');
    const next = { needs_response: 'under_review', warning_needs_response: 'warning_under_review' } as const;
    const to = next[dispute.status as keyof typeof next];
    if (!to) throw unexpectedState(`Dispute ${dispute.id} is ${dispute.status}.`, 'dispute_not_open');
    const previous = { status: dispute.status };
    dispute.status = to;
    dispute.evidence_details.has_evidence = true;
    dispute.evidence_details.submission_count += 1;
    this.engine.emit('charge.dispute.updated', dispute, AUTOMATIC, previous);
    return dispute;
  }

  /** The network's decision: won reinstates the funds (then closes), lost closes; an inquiry just closes. */
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): Dispute {
    const dispute = this.store.disputes.get(disputeId, 'dispute');
    if (['won', 'lost', 'warning_closed'].includes(dispute.status)) {
      throw unexpectedState(`Dispute ${dispute.id} is already closed (${dispute.status}).`, 'dispute_closed');
    }
    const previous = { status: dispute.status };
    if (dispute.status.startsWith('warning_')) {
      dispute.status = 'warning_closed';
      this.engine.emit('charge.dispute.closed', dispute, AUTOMATIC, previous);
      return dispute;
    }
    if (outcome === 'won') {
      const fee = this.config.returnFeeOnWin ? -this.config.disputeFee : 0;
      const txn = this.engine.insertBalanceTransaction(
        dispute.amount,
        fee,
        dispute.currency,
        'dispute_reversal',
        'adjustment',
        dispute.id,
        `Chargeback reversal for ${dispute.charge}`,
      );
      dispute.balance_transactions.push({ ...txn });
      dispute.status = 'won';
      this.engine.emit('charge.dispute.funds_reinstated', dispute, AUTOMATIC, previous);
    } else {
      dispute.status = 'lost';
    }
    this.engine.emit('charge.dispute.closed', dispute, AUTOMATIC, previous);
    return dispute;
  }

  // ------------------------------------------------------------------ connected balances

  /** Sets what a connected account holds (e.g. after it paid its balance out to its bank). */
  setConnectedBalance(account: string, currency: string, available: number): void {
    this.balances.set(`${account} ${currency.toLowerCase()}`, available);
  }

  connectedBalance(account: string, currency: string): number {
    const set = this.balances.get(`${account} ${currency}`);
    if (set !== undefined) return set;
    // Transfers in, less reversals and the bank payouts that did not fail: a seller paid out to their bank
    // has nothing left to reverse (Stripe refuses with balance_insufficient).
    return connectPayoutsOf(this.engine).balance(account, currency);
  }

  checkReversal(transfer: Transfer, amount: number): void {
    const balance = this.connectedBalance(transfer.destination, transfer.currency);
    if (amount > balance) {
      throw invalidRequest(
        `Insufficient funds in the connected account ${transfer.destination}: its balance (${balance} ${transfer.currency}) cannot cover the reversal (${amount}).`,
        { code: 'balance_insufficient', replayable: true },
      );
    }
  }

  reversed(transfer: Transfer, amount: number): void {
    const key = `${transfer.destination} ${transfer.currency}`;
    const set = this.balances.get(key);
    if (set !== undefined) this.balances.set(key, set - amount);
  }

  // ------------------------------------------------------------------ time

  tick(): void {
    const now = this.engine.clock.now();
    for (const [id, plan] of this.plans) {
      if (!plan.done && plan.dueAt <= now) this.settleRefund(id, plan.result);
    }
  }
}

/** Dashboard actions carry no API request id or idempotency key. */
const DASHBOARD: RequestContext = AUTOMATIC;
