/**
 * Who bears what when money goes back, as configuration (environment of the functions that post it):
 *   REFUND_BORNE_BY       seller (default) | platform   who bears a refunded amount
 *   REFUND_COMMISSION     returned (default) | kept     whether the platform gives its commission back, in
 *                                                        proportion to the amount refunded
 *   DISPUTE_BORNE_BY      seller (default) | platform   who bears a disputed (then lost) amount
 * The platform always bears the PSP's fees (Stripe keeps its processing fee on a refund and charges a dispute
 * fee): they are the platform's cost of running payments, not the seller's.
 */
export const BorneBy = { Seller: 'seller', Platform: 'platform' } as const;
export type BorneBy = (typeof BorneBy)[keyof typeof BorneBy];

export const CommissionOnRefund = { Returned: 'returned', Kept: 'kept' } as const;
export type CommissionOnRefund = (typeof CommissionOnRefund)[keyof typeof CommissionOnRefund];

export interface MoneyBackPolicy {
  readonly refundBorneBy: BorneBy;
  readonly commissionOnRefund: CommissionOnRefund;
  readonly disputeBorneBy: BorneBy;
}

export const DEFAULT_POLICY: MoneyBackPolicy = {
  refundBorneBy: 'seller',
  commissionOnRefund: 'returned',
  disputeBorneBy: 'seller',
};

function pick<T extends string>(
  value: string | undefined,
  allowed: Record<string, T>,
  fallback: T,
  name: string,
): T {
  if (value === undefined || value === '') return fallback;
  const found = Object.values(allowed).find((v) => v === value);
  if (!found) throw new Error(`${name} must be one of ${Object.values(allowed).join(', ')}`);
  return found;
}

export function policyFromEnv(env: Readonly<Record<string, string | undefined>>): MoneyBackPolicy {
  return {
    refundBorneBy: pick(env.REFUND_BORNE_BY, BorneBy, DEFAULT_POLICY.refundBorneBy, 'REFUND_BORNE_BY'),
    commissionOnRefund: pick(
      env.REFUND_COMMISSION,
      CommissionOnRefund,
      DEFAULT_POLICY.commissionOnRefund,
      'REFUND_COMMISSION',
    ),
    disputeBorneBy: pick(env.DISPUTE_BORNE_BY, BorneBy, DEFAULT_POLICY.disputeBorneBy, 'DISPUTE_BORNE_BY'),
  };
}
