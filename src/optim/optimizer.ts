/**
 * An optimizer updates the flat parameter array from the flat gradient array.
 * Its state (moments) uses the same layout, so it is a handful of arrays the
 * length of the parameters, saved in checkpoints by name, plus a few scalars
 * (Adam's step count) that checkpoints keep too.
 *
 * Every update follows PyTorch's torch.optim (1.13) rule of the same name;
 * the equations are in each module's header and in docs/optimizers.md.
 */
import type { FloatArray } from '../core/arrays.js';

/** The optimizers bptt has, in the order a menu would offer them. */
export const OPTIMIZERS = ['adagrad', 'sgd', 'rmsprop', 'adam', 'adamw'] as const;
/** The optimizers bptt has (docs/optimizers.md). */
export type OptimizerName = (typeof OPTIMIZERS)[number];
/** How each is usually written. */
export const OPTIMIZER_LABELS: Record<OptimizerName, string> = { adagrad: 'Adagrad', sgd: 'SGD', rmsprop: 'RMSprop', adam: 'Adam', adamw: 'AdamW' };

/** An optimizer and its hyperparameters; an absent field takes that optimizer's default (OPTIMIZER_DEFAULTS). */
export interface OptimizerSpec {
  name: OptimizerName;
  /** SGD and RMSprop: the momentum μ (0 = none). */
  momentum?: number;
  /** SGD: Nesterov momentum (needs momentum > 0). */
  nesterov?: boolean;
  /** Adam/AdamW: decay of the first moment β1. */
  beta1?: number;
  /** Adam/AdamW: decay of the second moment β2; RMSprop: its smoothing constant α. */
  beta2?: number;
  /** The ε that keeps a division by a root away from 0. */
  epsilon?: number;
  /** λ: L2 (λ·p added to the gradient) for sgd, adagrad, rmsprop and adam; decoupled (p ← p − lr·λ·p) for adamw. */
  weightDecay?: number;
}

/** Every hyperparameter, resolved. */
export type OptimizerSettings = Required<OptimizerSpec>;

/** torch.optim's defaults, except Adagrad's ε, which is the seed's (it sits inside the root, see adagrad.ts). */
export const OPTIMIZER_DEFAULTS: Record<OptimizerName, Omit<OptimizerSettings, 'name'>> = {
  adagrad: { momentum: 0, nesterov: false, beta1: 0, beta2: 0, epsilon: 1e-8, weightDecay: 0 },
  sgd: { momentum: 0, nesterov: false, beta1: 0, beta2: 0, epsilon: 0, weightDecay: 0 },
  rmsprop: { momentum: 0, nesterov: false, beta1: 0, beta2: 0.99, epsilon: 1e-8, weightDecay: 0 },
  adam: { momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 },
  adamw: { momentum: 0, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 },
};

/**
 * The learning rate used when none is given (bptt train without --lr): the best
 * of a short sweep on the default model and data (docs/optimizers.md). Adagrad's
 * is the seed's 0.1.
 */
export const DEFAULT_LEARNING_RATES: Record<OptimizerName, number> = {
  adagrad: 0.1,
  sgd: 0.2,
  rmsprop: 2e-3,
  adam: 5e-3,
  adamw: 5e-3,
};

/** An OptimizerSpec with every absent hyperparameter filled in from OPTIMIZER_DEFAULTS. */
export function optimizerSettings(spec: OptimizerSpec): OptimizerSettings {
  const defaults = OPTIMIZER_DEFAULTS[spec.name];
  const settings = { ...defaults, name: spec.name } as OptimizerSettings;
  for (const key of Object.keys(defaults) as (keyof typeof defaults)[]) {
    if (spec[key] !== undefined) (settings as unknown as Record<string, unknown>)[key] = spec[key];
  }
  return settings;
}

/** An optimizer: updates parameters in place from their gradients; `state` holds its arrays (saved in checkpoints). */
export interface Optimizer {
  readonly name: OptimizerName;
  /** Named state arrays (e.g. Adagrad's memory), each the length of the parameters. */
  readonly state: Record<string, FloatArray>;
  /** Named scalars a checkpoint must keep (e.g. Adam's step count t). */
  readonly counters: Record<string, number>;
  /**
   * One update with this step's learning rate: params ← params − (a step computed from grads and the state).
   * May overwrite grads (they are recomputed for every step).
   */
  step(params: FloatArray, grads: FloatArray, learningRate: number): void;
}
