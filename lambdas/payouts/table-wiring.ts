/**
 * The payouts contexts (tables from the manifest's variables), once per container. Apart from ./wiring.ts,
 * which builds the providers, so that the functions that only read or write the payouts table (seller
 * settings, pause, payout reads, the wallet) do not load the Stripe SDK.
 */
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import type { PayoutsContext } from './store';

let ctx: PayoutsContext | undefined;
let settingsCtx: PayoutsContext | undefined;

export function payoutsContext(): PayoutsContext {
  ctx ??= {
    db: documentClient(),
    tables: {
      payouts: resource('table', 'payouts'),
      ledger: resource('table', 'ledger'),
      wallets: resource('table', 'wallets'),
    },
  };
  return ctx;
}

/**
 * For functions granted only the payouts table (seller settings, pause, payout reads): no ledger or wallet
 * names, so a call that would move money fails loudly instead of reaching tables the function has no
 * permission on (like `ordersContext` in lambdas/shared/wiring.ts).
 */
export function payoutsTableContext(): PayoutsContext {
  settingsCtx ??= {
    db: documentClient(),
    tables: { payouts: resource('table', 'payouts'), ledger: '', wallets: '' },
  };
  return settingsCtx;
}
