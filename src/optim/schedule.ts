/**
 * Learning-rate schedules: the learning rate of optimizer step s (s = 0 for
 * the first step) as a pure function of s, so a run resumed at step s uses
 * exactly the rates the uninterrupted run would have.
 *
 *   constant   lr(s) = lr
 *   step       lr(s) = lr · γ^⌊s / N⌋                          (torch StepLR(step_size=N, gamma=γ))
 *   cosine     lr(s) = min + (lr − min) · (1 + cos(π · s / S)) / 2 for s < S, then min
 *                                                               (torch CosineAnnealingLR(T_max=S, eta_min=min))
 *              A run budgeted in seconds does not know S: there the cosine runs over the
 *              budget's fraction f ∈ [0, 1] spent (time used / time budgeted) instead of s / S.
 *   warmup W   multiplies any of them by min(1, (s + 1) / W)    (torch LinearLR(start_factor=1/W, total_iters=W−1),
 *                                                                chained with the schedule as ChainedScheduler does)
 */
import { BpttError } from '../core/errors.js';

/** Every ScheduleKind, for option parsers. */
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;
/** How the learning rate changes with the step: constant, step (decays by a factor every N steps) or cosine. */
export type ScheduleKind = (typeof SCHEDULES)[number];

/** A learning-rate schedule and its settings (learningRateAt computes the rate at a step). */
export interface Schedule {
  kind: ScheduleKind;
  /** step: multiply the rate by `decayFactor` every `decayEvery` steps. */
  decayEvery?: number;
  decayFactor?: number;
  /** cosine: the steps S over which the rate falls from lr to `minLearningRate` (then stays there). */
  totalSteps?: number;
  minLearningRate?: number;
  /** Linear warmup over the first W steps (0 or absent: none). */
  warmupSteps?: number;
}

/** The learning rate never changes. */
export const CONSTANT_SCHEDULE: Schedule = { kind: 'constant' };
/** torch StepLR's default γ. */
export const DEFAULT_DECAY_FACTOR = 0.1;

/**
 * The learning rate for step s (0-based) of a run whose base rate is `learningRate`; `spent`, the
 * fraction of a time budget used so far, places a cosine without totalSteps.
 */
export function learningRateAt(learningRate: number, schedule: Schedule, step: number, spent?: number): number {
  const warmup = schedule.warmupSteps ? Math.min(1, (step + 1) / schedule.warmupSteps) : 1;
  return warmup * decayedRate(learningRate, schedule, step, spent);
}

function decayedRate(learningRate: number, schedule: Schedule, step: number, spent: number | undefined): number {
  switch (schedule.kind) {
    case 'constant':
      return learningRate;
    case 'step': {
      const every = schedule.decayEvery;
      if (!every) throw new BpttError('the step schedule needs the number of steps between decays', 'give --decay-every N');
      return learningRate * (schedule.decayFactor ?? DEFAULT_DECAY_FACTOR) ** Math.floor(step / every);
    }
    case 'cosine': {
      const total = schedule.totalSteps;
      if (!total && spent === undefined)
        throw new BpttError('the cosine schedule needs to know how many steps the run has', 'give --steps, --epochs or --time, or --schedule-steps N');
      const minimum = schedule.minLearningRate ?? 0;
      if (total ? step >= total : spent! >= 1) return minimum;
      const angle = total ? (Math.PI * step) / total : Math.PI * spent!;
      return minimum + ((learningRate - minimum) * (1 + Math.cos(angle))) / 2;
    }
  }
}
