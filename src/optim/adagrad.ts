/**
 * Adagrad, exactly as in the seed's notebook, for every parameter entry:
 *   m += g²
 *   p −= lr · g / √(m + 1e-8)
 * Each entry's step shrinks as its squared gradients add up.
 */
import type { DType, FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import type { Optimizer } from './optimizer.js';

export const ADAGRAD_EPSILON = 1e-8;

export class Adagrad implements Optimizer {
  readonly name = 'adagrad';
  readonly state: { memory: FloatArray };

  /** `kernels`: where the loop runs (and the memory lives): the model's kernels. */
  constructor(
    readonly learningRate: number,
    size: number,
    dtype: DType,
    private readonly kernels: Kernels = referenceKernels,
  ) {
    this.state = { memory: kernels.allocate(dtype, size) };
  }

  step(params: FloatArray, grads: FloatArray): void {
    this.kernels.adagradStep(params, grads, this.state.memory, this.learningRate, ADAGRAD_EPSILON, params.length);
  }
}
