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

/**
 * `step` is the currency's amount step (sandbox/psp/money.ts amountStep): a fee in ISK or UGX is whole units
 * and a three-decimal one ends in 0, like every other amount in that currency, rounded half up to the step.
 */
export function chargeFee(amountMinor: number, schedule: FeeSchedule = DEFAULT_FEES, step = 1): number {
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0)
    throw new RangeError(`bad amount ${amountMinor}`);
  const percent = Math.floor((amountMinor * schedule.percentBasisPoints + 5000) / 10000);
  const fee = percent + schedule.fixedMinor;
  return Math.floor((fee + Math.floor(step / 2)) / step) * step;
}
