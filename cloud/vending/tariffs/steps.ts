// Inclining blocks: how a quantity consumed on top of what the month already used
// falls across the steps. Bounds and quantities share one unit (the caller scales:
// token units × 1, or Wh × WH_PER_UNIT for the bounds).
import type { StepEnergy } from './tariff.js';

export interface StepSlice {
  /** 0-based step index. */
  step: number;
  quantity: number;
  pricePerKwh: number;
}

/**
 * Splits `quantity` consumed after `already` (month to date) across the steps.
 * A step bound is exclusive of the next step: with a bound of 500, the 500th unit is
 * still in the step and the 501st is in the next one.
 * `boundScale` multiplies the bounds (given in token units) into the quantity's unit.
 */
export function splitAcrossSteps(energy: StepEnergy, already: number, quantity: number, boundScale = 1): StepSlice[] {
  const slices: StepSlice[] = [];
  let position = already;
  let left = quantity;
  let lower = 0;
  for (let i = 0; i < energy.steps.length && left > 0; i++) {
    const step = energy.steps[i]!;
    const upper = step.upToUnits === null ? Infinity : step.upToUnits * boundScale;
    if (position < upper) {
      const take = Math.min(left, upper - Math.max(position, lower));
      if (take > 0) {
        slices.push({ step: i, quantity: take, pricePerKwh: step.pricePerKwh });
        left -= take;
        position += take;
      }
    }
    lower = upper;
  }
  return slices;
}
