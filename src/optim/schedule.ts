/**
 * Learning-rate schedules: the learning rate of optimizer step s (s = 0 for
 * the first step) as a pure function of s, so a run resumed at step s uses
 * exactly the rates the uninterrupted run would have.
 *
 *   constant   lr(s) = lr
 *   step       lr(s) = lr · γ^⌊s / N⌋                          (torch StepLR(step_size=N, gamma=γ))
 *   cosine     lr(s) = min + (lr − min) · (1 + cos(π · s / S)) / 2 for s < S, then min
 *                                                               (torch CosineAnnealingLR(T_max=S, eta_min=min))
 *   warmup W   multiplies any of them by min(1, (s + 1) / W)    (torch LinearLR(start_factor=1/W, total_iters=W−1),
 *                                                                chained with the schedule as ChainedScheduler does)
 */
import { BpttError } from '../core/errors.js';

export const SCHEDULES = ['constant', 'step', 'cosine'] as const;
export type ScheduleKind = (typeof SCHEDULES)[number];

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

export const CONSTANT_SCHEDULE: Schedule = { kind: 'constant' };
/** torch StepLR's default γ. */
export const DEFAULT_DECAY_FACTOR = 0.1;

/** The learning rate for step s (0-based) of a run whose base rate is `learningRate`. */
export function learningRateAt(learningRate: number, schedule: Schedule, step: number): number {
  const warmup = schedule.warmupSteps ? Math.min(1, (step + 1) / schedule.warmupSteps) : 1;
  return warmup * decayedRate(learningRate, schedule, step);
}

function decayedRate(learningRate: number, schedule: Schedule, step: number): number {
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
      if (!total) throw new BpttError('the cosine schedule needs to know how many steps the run has', 'give --steps or --epochs, or --schedule-steps N with --time');
      const minimum = schedule.minLearningRate ?? 0;
      if (step >= total) return minimum;
      return minimum + ((learningRate - minimum) * (1 + Math.cos((Math.PI * step) / total))) / 2;
    }
  }
}
