/**
 * Stripe Connect bank payouts of connected accounts: `POST /v1/payouts` made on behalf of a connected account
 * (the `Stripe-Account` header) moves money from that account's Stripe balance (what the platform transferred
 * to it, less reversals and earlier payouts) to its bank. Each payout goes `pending` -> `in_transit` -> `paid`
 * or `failed`, and, as Stripe allows within about 5 business days, a `paid` payout can later turn `failed`
 * (a bank return). A failed payout puts the money back in the account's balance and marks its bank account
 * `errored`: further payouts are refused until the bank account is updated (control API).
 *
 * Outcome per account, by the account id (`acct_..._bankfail...` fails, `acct_..._bankreturn...` is paid and
 * returned later) or by `setBankOutcome`. Results arrive by the clock (`connectPayoutDelayMs` of simulator time,
 * the return the same delay after the payout was paid) or at once by `settle` / `returnPaid`.
 */
import type { PspEngine, RequestContext } from './engine';
import { AUTOMATIC } from './engine';
import { invalidRequest, unexpectedState } from './errors';
import type { Metadata } from './objects';
import { newId } from './random';
import { LIST_PARAMS, listOptions, type Route, route } from './router';
import { readCurrency } from './routes/payment-intents';
import { Collection } from './store';

export const BankOutcome = {
  Paid: 'paid',
  Failed: 'failed',
  PaidThenReturned: 'paid_then_returned',
} as const;
export type BankOutcome = (typeof BankOutcome)[keyof typeof BankOutcome];

export interface ConnectPayout {
  id: string;
  object: 'payout';
  amount: number;
  arrival_date: number;
  automatic: false;
  balance_transaction: string;
  created: number;
  currency: string;
  description: string | null;
  destination: string;
  failure_balance_transaction: string | null;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Metadata;
  method: 'standard';
  reconciliation_status: 'not_applicable' | 'in_progress' | 'completed';
  source_type: 'card';
  statement_descriptor: string | null;
  status: 'pending' | 'in_transit' | 'paid' | 'failed' | 'canceled';
  type: 'bank_account';
}

interface PayoutInternals {
  readonly account: string;
  readonly outcome: BankOutcome;
  dueAt: number;
  returnDueAt?: number;
}

const FAILURE_MESSAGES: Record<string, string> = {
  account_closed: 'The bank account has been closed.',
  no_account: 'The bank account details on file are probably incorrect.',
  could_not_process: 'The bank could not process this payout.',
};

export class ConnectPayouts {
  readonly payouts = new Collection<ConnectPayout>('payout');
  private readonly internals = new Map<string, PayoutInternals>();
  private readonly outcomes = new Map<string, { outcome: BankOutcome; failureCode?: string }>();
  private readonly errored = new Set<string>();

  private delayOverrideMs: number | undefined;

  constructor(
    private readonly engine: PspEngine,
    private readonly defaultDelayMs: () => number,
  ) {}

  /** How long a bank takes (simulator time); tests set it long and settle each payout themselves. */
  setDelayMs(ms: number): void {
    this.delayOverrideMs = ms;
  }

  private delayMs(): number {
    return this.delayOverrideMs ?? this.defaultDelayMs();
  }

  setBankOutcome(account: string, outcome: BankOutcome, failureCode?: string): void {
    this.outcomes.set(account, { outcome, ...(failureCode ? { failureCode } : {}) });
  }

  /** The seller updated their bank account: payouts to it are accepted again. */
  updateBankAccount(account: string): void {
    this.errored.delete(account);
  }

  isErrored(account: string): boolean {
    return this.errored.has(account);
  }

  accountOf(payoutId: string): string | undefined {
    return this.internals.get(payoutId)?.account;
  }

  /** What the platform transferred to the account, less reversals and payouts that did not fail. */
  balance(account: string, currency: string): number {
    let total = 0;
    for (const t of this.engine.store.transfers.all()) {
      if (t.destination === account && t.currency === currency) total += t.amount - t.amount_reversed;
    }
    for (const p of this.payouts.all()) {
      if (this.internals.get(p.id)?.account === account && p.currency === currency && p.status !== 'failed')
        total -= p.amount;
    }
    return total;
  }

  private outcomeOf(account: string): { outcome: BankOutcome; failureCode?: string } {
    const configured = this.outcomes.get(account);
    if (configured) return configured;
    if (account.includes('_bankfail')) return { outcome: 'failed', failureCode: 'account_closed' };
    if (account.includes('_bankreturn'))
      return { outcome: 'paid_then_returned', failureCode: 'account_closed' };
    return { outcome: 'paid' };
  }

  create(
    input: { amount: number; currency: string; metadata: Metadata; description: string | null },
    request: RequestContext,
  ): ConnectPayout {
    const account = request.stripeAccount;
    if (!account) {
      throw invalidRequest(
        'The simulator pays out connected accounts only: send the Stripe-Account header.',
        { code: 'parameter_missing' },
      );
    }
    if (this.errored.has(account)) {
      throw invalidRequest(
        'The bank account of this account is errored: payouts are disabled until it is updated.',
        { code: 'bank_account_unusable', replayable: true },
      );
    }
    const available = this.balance(account, input.currency);
    if (available < input.amount) {
      throw invalidRequest(
        `You have insufficient funds in your Stripe account for this transfer. Your balance is ${available}.`,
        { code: 'balance_insufficient', replayable: true },
      );
    }
    const now = this.engine.clock.now();
    const payout: ConnectPayout = {
      id: newId('po'),
      object: 'payout',
      amount: input.amount,
      arrival_date: Math.floor(now / 1000) + 2 * 86_400,
      automatic: false,
      balance_transaction: newId('txn'),
      created: Math.floor(now / 1000),
      currency: input.currency,
      description: input.description,
      destination: newId('ba'),
      failure_balance_transaction: null,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: input.metadata,
      method: 'standard',
      reconciliation_status: 'not_applicable',
      source_type: 'card',
      statement_descriptor: null,
      status: 'pending',
      type: 'bank_account',
    };
    this.payouts.insert(payout);
    this.internals.set(payout.id, {
      account,
      outcome: this.outcomeOf(account).outcome,
      dueAt: now + this.delayMs(),
    });
    this.engine.emit('payout.created', payout, request);
    return payout;
  }

  /** The bank's answer now (`outcome` overrides the account's configured one). */
  settle(payoutId: string, outcome?: 'paid' | 'failed'): ConnectPayout {
    const payout = this.payouts.get(payoutId, 'payout');
    const internals = this.internals.get(payoutId);
    if (!internals || (payout.status !== 'pending' && payout.status !== 'in_transit')) {
      throw unexpectedState(`Payout ${payoutId} already has its result.`, 'payout_already_settled');
    }
    const result = outcome ?? (internals.outcome === 'failed' ? 'failed' : 'paid');
    if (result === 'failed') {
      this.fail(payout, internals);
    } else {
      const previous = { status: payout.status };
      payout.status = 'paid';
      payout.reconciliation_status = 'completed';
      if (internals.outcome === 'paid_then_returned')
        internals.returnDueAt = this.engine.clock.now() + this.delayMs();
      this.engine.emit('payout.paid', payout, AUTOMATIC, previous);
    }
    return payout;
  }

  /** A payout reported paid comes back from the bank (days later, on Stripe). */
  returnPaid(payoutId: string): ConnectPayout {
    const payout = this.payouts.get(payoutId, 'payout');
    const internals = this.internals.get(payoutId);
    if (!internals || payout.status !== 'paid')
      throw unexpectedState(`Payout ${payoutId} is not paid.`, 'payout_not_paid');
    this.fail(payout, internals);
    return payout;
  }

  private fail(payout: ConnectPayout, internals: PayoutInternals): void {
    const code = this.outcomeOf(internals.account).failureCode ?? 'could_not_process';
    const previous = { status: payout.status };
    payout.status = 'failed';
    payout.failure_code = code;
    payout.failure_message = FAILURE_MESSAGES[code] ?? 'The payout failed.';
    payout.failure_balance_transaction = newId('txn');
    internals.returnDueAt = undefined;
    this.errored.add(internals.account);
    this.engine.emit('payout.failed', payout, AUTOMATIC, previous);
  }

  tick(now: number): void {
    for (const payout of this.payouts.all()) {
      const internals = this.internals.get(payout.id);
      if (!internals) continue;
      if ((payout.status === 'pending' || payout.status === 'in_transit') && internals.dueAt <= now) {
        this.settle(payout.id);
      } else if (
        payout.status === 'paid' &&
        internals.returnDueAt !== undefined &&
        internals.returnDueAt <= now
      ) {
        this.returnPaid(payout.id);
      }
    }
  }
}

const registry = new WeakMap<PspEngine, ConnectPayouts>();

/** The engine's Connect payouts (one per simulator), created on first use and driven by its clock. */
export function connectPayoutsOf(engine: PspEngine, delayMs: () => number = () => 10_000): ConnectPayouts {
  let found = registry.get(engine);
  if (!found) {
    const created = new ConnectPayouts(engine, delayMs);
    registry.set(engine, created);
    engine.onTick((now) => created.tick(now));
    found = created;
  }
  return found;
}

export const connectPayoutRoutes: Route[] = [
  route('POST', '/v1/payouts', ({ params, engine, request }) => {
    params.allowOnly([
      'amount',
      'currency',
      'metadata',
      'description',
      'method',
      'statement_descriptor',
      'expand',
    ]);
    const currency = readCurrency(params);
    const amount = params.requiredInteger('amount');
    if (amount <= 0) throw invalidRequest('Amount must be a positive integer.', { param: 'amount' });
    return connectPayoutsOf(engine).create(
      {
        amount,
        currency,
        metadata: params.metadata(),
        description: params.nullableString('description') ?? null,
      },
      request,
    );
  }),
  route('GET', '/v1/payouts', ({ params, engine, request }) => {
    params.allowOnly([...LIST_PARAMS, 'status', 'arrival_date', 'destination']);
    const connect = connectPayoutsOf(engine);
    const status = params.string('status');
    // Each account sees its own payouts only.
    return connect.payouts.list(
      '/v1/payouts',
      listOptions(params),
      (p) => connect.accountOf(p.id) === (request.stripeAccount ?? null) && (!status || p.status === status),
    );
  }),
  route('GET', '/v1/payouts/:id', ({ params, engine, path, request }) => {
    params.allowOnly(['expand']);
    const connect = connectPayoutsOf(engine);
    const payout = connect.payouts.get(path.id ?? '', 'payout');
    if (connect.accountOf(payout.id) !== (request.stripeAccount ?? null)) {
      throw invalidRequest(`No such payout: '${path.id}'`, {
        code: 'resource_missing',
        param: 'id',
        status: 404,
      });
    }
    return payout;
  }),
];
