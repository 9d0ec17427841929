/**
 * The simulator's fee schedule (Stripe's US card pricing): every successful charge pays
 * `percentBasisPoints` of its amount plus `fixedMinor` minor units, in the charge's currency.
 *
 * Rounding: the percentage part is computed on the integer minor-unit amount and rounded half up to a whole
 * minor unit (integer arithmetic, never floats): fee = floor((amount * bps + 5000) / 10000) + fixed.
 * Refunds, transfers and transfer reversals carry no fee (Stripe does not return the original fee on refund).
 */
export interface FeeSchedule {
  /** 290 = 2.9 %. */
  readonly percentBasisPoints: number;
  /** 30 = USD 0.30; applied as-is in every currency (30 JPY for a JPY charge). */
  readonly fixedMinor: number;
}

export const DEFAULT_FEES: FeeSchedule = { percentBasisPoints: 290, fixedMinor: 30 };

export function chargeFee(amountMinor: number, schedule: FeeSchedule = DEFAULT_FEES): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0)
    throw new RangeError(`bad amount ${amountMinor}`);
  const percent = Math.floor((amountMinor * schedule.percentBasisPoints + 5000) / 10000);
  return percent + schedule.fixedMinor;
}
