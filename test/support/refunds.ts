/** Helpers for refund and dispute tests: one running system with the money-back context and the simulator's controls. */
import { DEFAULT_POLICY } from '../../lambdas/refunds/config';
import type { MoneyBackContext } from '../../lambdas/refunds/store';
import type { MoneyBack } from '../../sandbox/psp/money-back';
import { type PayinTestSystem, usePayinSystem } from './payin';

export interface RefundsTestSystem extends PayinTestSystem {
  /** The refunds code's context (the platform's default policy, 10% commission as the sandbox's). */
  readonly mb: MoneyBackContext;
  /** The simulator's refund and dispute controls (a dispute opened, won or lost; a refund failing later). */
  readonly sim: MoneyBack;
}

/**
 * `usePayinSystem` for refunds and disputes: webhooks retried at once, and after each test the simulator's
 * webhooks delivered before the order and ledger invariants are checked.
 */
export function useRefundsSystem(
  use: (s: RefundsTestSystem) => void,
  options: { readonly beforeStart?: (() => void) | undefined } = {},
): void {
  usePayinSystem(
    (s) =>
      use({
        ...s,
        mb: {
          db: s.ctx.db,
          tables: s.ctx.tables,
          policy: DEFAULT_POLICY,
          commissionBps: s.ctx.commissionBps,
        },
        sim: s.system.psp.control.moneyBack as MoneyBack,
      }),
    {
      beforeStart: () => {
        process.env.WEBHOOK_RETRY_BASE_SECONDS = '0';
        options.beforeStart?.();
      },
      afterEachTest: (s) => s.system.psp.control.webhooksIdle(),
    },
  );
}
