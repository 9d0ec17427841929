/**
 * Builds what the payment handlers share, once per container: the payments context (tables, commission) and
 * the risk provider. The PSP provider is in ./psp-wiring.ts, so that functions that never call the PSP do not
 * load (or bundle) the Stripe SDK.
 */

import { powertoolsMetrics } from '../attention/metrics';
import type { PaymentsContext } from '../payments/context';
import { DEFAULT_TIMING, type Timing } from '../payments/timing';
import { DefaultRiskRules, type RiskProvider, riskRulesFromEnv } from '../risk/rules';
import { attentionIfGranted } from './attention-wiring';
import { documentClient } from './aws-clients';
import { optionalEnv, resource } from './config';

let payments: PaymentsContext | undefined;
let orders: PaymentsContext | undefined;
let risk: RiskProvider | undefined;

export function paymentsContext(): PaymentsContext {
  payments ??= {
    db: documentClient(),
    tables: {
      payments: resource('table', 'payments'),
      ledger: resource('table', 'ledger'),
      wallets: resource('table', 'wallets'),
    },
    commissionBps: Number(optionalEnv('PLATFORM_COMMISSION_BPS', '0')),
    metrics: powertoolsMetrics(),
    // Functions granted the attention table record what a person must act on; others only log it.
    ...attentionIfGranted(),
  };
  return payments;
}

/**
 * For functions granted only the payments table (risk check, finalize): no ledger or wallet names, so a call
 * that would move money fails loudly instead of reaching tables the function has no permission on.
 */
export function ordersContext(): PaymentsContext {
  orders ??= {
    db: documentClient(),
    tables: { payments: resource('table', 'payments'), ledger: '', wallets: '' },
  };
  return orders;
}

export function riskProvider(): RiskProvider {
  risk ??= new DefaultRiskRules(riskRulesFromEnv(process.env), {
    db: documentClient(),
    table: resource('table', 'payments'),
  });
  return risk;
}

/** Deadlines of the pay-in; shortened by environment in local runs and tests. */
export function paymentTiming(): Timing {
  return {
    executingTimeoutMs: Number(
      optionalEnv('PAYIN_EXECUTING_TIMEOUT_MS', String(DEFAULT_TIMING.executingTimeoutMs)),
    ),
    pendingRecheckMs: Number(
      optionalEnv('PAYIN_PENDING_RECHECK_MS', String(DEFAULT_TIMING.pendingRecheckMs)),
    ),
    pendingRecheckMaxMs: Number(
      optionalEnv('PAYIN_PENDING_RECHECK_MAX_MS', String(DEFAULT_TIMING.pendingRecheckMaxMs)),
    ),
    pendingExpiryMs: Number(optionalEnv('PAYIN_PENDING_EXPIRY_MS', String(DEFAULT_TIMING.pendingExpiryMs))),
    attentionAfterSweeps: Number(
      optionalEnv('PAYIN_ATTENTION_AFTER_SWEEPS', String(DEFAULT_TIMING.attentionAfterSweeps)),
    ),
  };
}
