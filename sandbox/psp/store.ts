/**
 * The simulator's whole state, in memory (saved to a data folder by persistence.ts when one is given): one collection per object kind (kept in creation order for
 * Stripe's newest-first lists), plus the internal facts Stripe would not show (which behaviour a payment
 * method has, which session a PaymentIntent belongs to, when async work is due).
 */
import type { TestMethod } from './cards';
import { invalidRequest, resourceMissing } from './errors';
import type {
  BalanceTransaction,
  Charge,
  CheckoutSession,
  LineItemInput,
  PaymentIntent,
  PaymentMethod,
  Refund,
  StripeEvent,
  StripeList,
  Transfer,
  TransferReversal,
} from './objects';

export interface ListOptions {
  limit?: number | undefined;
  startingAfter?: string | undefined;
  endingBefore?: string | undefined;
  created?: { gt?: number; gte?: number; lt?: number; lte?: number } | undefined;
}

export class Collection<T extends { id: string; created: number }> {
  private readonly byId = new Map<string, T>();
  private readonly order: T[] = [];

  constructor(readonly kind: string) {}

  insert(item: T): T {
    this.byId.set(item.id, item);
    this.order.push(item);
    return item;
  }

  /** Replaces the contents with a saved state (creation order kept), for a restart on a data folder. */
  restore(items: readonly T[]): void {
    this.byId.clear();
    this.order.length = 0;
    for (const item of items) this.insert(item);
  }

  find(id: string): T | undefined {
    return this.byId.get(id);
  }

  get(id: string, param = 'id'): T {
    const item = this.byId.get(id);
    if (!item) throw resourceMissing(this.kind, id, param);
    return item;
  }

  all(): readonly T[] {
    return this.order;
  }

  /** Stripe's cursor pagination: newest first, `starting_after` / `ending_before` an object id. */
  list(url: string, options: ListOptions, filter: (item: T) => boolean = () => true): StripeList<T> {
    const limit = options.limit ?? 10;
    if (limit < 1 || limit > 100) {
      throw invalidRequest('This value must be greater than or equal to 1 and less than or equal to 100.', {
        param: 'limit',
      });
    }
    const c = options.created;
    let items = [...this.order]
      .reverse()
      .filter(filter)
      .filter(
        (i) =>
          !c ||
          ((c.gt === undefined || i.created > c.gt) &&
            (c.gte === undefined || i.created >= c.gte) &&
            (c.lt === undefined || i.created < c.lt) &&
            (c.lte === undefined || i.created <= c.lte)),
      );
    if (options.startingAfter) {
      const index = items.findIndex((i) => i.id === options.startingAfter);
      if (index < 0) throw resourceMissing(this.kind, options.startingAfter, 'starting_after');
      items = items.slice(index + 1);
      return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
    }
    if (options.endingBefore) {
      const index = items.findIndex((i) => i.id === options.endingBefore);
      if (index < 0) throw resourceMissing(this.kind, options.endingBefore, 'ending_before');
      items = items.slice(0, index);
      return { object: 'list', data: items.slice(-limit), has_more: items.length > limit, url };
    }
    return { object: 'list', data: items.slice(0, limit), has_more: items.length > limit, url };
  }
}

export interface PaymentIntentInternals {
  returnUrl?: string;
  sessionId?: string;
  /** Clock time (ms) at which a `processing` payment settles by itself. */
  settleDueAt?: number;
}

export interface TransferInternals {
  mode: 'sync' | 'async';
  /** For async transfers: when (clock ms) the result arrives, and which result. */
  dueAt?: number;
  result?: 'paid' | 'failed';
  settled: boolean;
}

export interface SessionInternals {
  lineItems: LineItemInput[];
  paymentIntentData: {
    metadata: Record<string, string>;
    description: string | null;
    transferGroup: string | null;
  };
}

export class Store {
  readonly paymentIntents = new Collection<PaymentIntent>('payment_intent');
  readonly paymentMethods = new Collection<PaymentMethod>('payment_method');
  readonly charges = new Collection<Charge>('charge');
  readonly refunds = new Collection<Refund>('refund');
  readonly transfers = new Collection<Transfer>('transfer');
  readonly reversals = new Collection<TransferReversal>('transfer_reversal');
  readonly sessions = new Collection<CheckoutSession>('checkout.session');
  readonly balanceTransactions = new Collection<BalanceTransaction>('balance_transaction');
  readonly events = new Collection<StripeEvent>('event');

  readonly methodBehaviour = new Map<string, TestMethod>();
  readonly intentInternals = new Map<string, PaymentIntentInternals>();
  readonly transferInternals = new Map<string, TransferInternals>();
  readonly sessionInternals = new Map<string, SessionInternals>();

  /** Any object by id, for `expand[]`: the prefix says which collection. */
  lookup(id: string): unknown {
    const prefix = id.slice(0, id.indexOf('_'));
    switch (prefix) {
      case 'pi':
        return this.paymentIntents.find(id);
      case 'pm':
        return this.paymentMethods.find(id);
      case 'ch':
        return this.charges.find(id);
      case 're':
        return this.refunds.find(id);
      case 'tr':
        return this.transfers.find(id);
      case 'trr':
        return this.reversals.find(id);
      case 'cs':
        return this.sessions.find(id);
      case 'txn':
        return this.balanceTransactions.find(id);
      case 'evt':
        return this.events.find(id);
      default:
        return undefined;
    }
  }
}
