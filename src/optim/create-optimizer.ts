/**
 * One place that turns an optimizer's name and hyperparameters into an
 * optimizer whose state lives where the model's kernels keep arrays
 * (WebAssembly memory for the wasm kernels).
 */
import type { DType } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { Adagrad } from './adagrad.js';
import { Adam } from './adam.js';
import { optimizerSettings, type Optimizer, type OptimizerSpec } from './optimizer.js';
import { RmsProp } from './rmsprop.js';
import { Sgd } from './sgd.js';

/** An optimizer for `size` parameters of `dtype`. */
export function createOptimizer(spec: OptimizerSpec, size: number, dtype: DType, kernels: Kernels = referenceKernels): Optimizer {
  const s = optimizerSettings(spec);
  switch (s.name) {
    case 'adagrad':
      return new Adagrad(size, dtype, kernels, s.epsilon, s.weightDecay);
    case 'sgd':
      return new Sgd(size, dtype, kernels, s.momentum, s.nesterov, s.weightDecay);
    case 'rmsprop':
      return new RmsProp(size, dtype, kernels, s.beta2, s.epsilon, s.momentum, s.weightDecay);
    case 'adam':
    case 'adamw':
      return new Adam(size, dtype, kernels, s.beta1, s.beta2, s.epsilon, s.weightDecay, s.name === 'adamw');
  }
}
