/** The learning-rate schedule: linear warmup to the peak, then cosine decay to a floor. */

export interface ScheduleOptions {
  peak: number;
  /** Optimiser steps in the whole run. */
  totalSteps: number;
  /** Steps of linear warmup; the last of them runs at the peak. */
  warmupSteps: number;
  /** The rate at the last step, as a fraction of the peak. */
  minRatio: number;
}

/**
 * The rate for optimiser step `step` (1-based): warmup gives peak·step/warmup, so the first
 * step already learns; the cosine then falls from the peak to peak·minRatio at `totalSteps`.
 */
export function learningRateAt(step: number, { peak, totalSteps, warmupSteps, minRatio }: ScheduleOptions): number {
  if (step <= warmupSteps) return (peak * step) / warmupSteps;
  const progress = Math.min((step - warmupSteps) / Math.max(totalSteps - warmupSteps, 1), 1);
  return peak * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
