/**
 * Adagrad, exactly as in the seed's notebook, for every parameter entry i:
 *   g ← g + λ·p                      (weight decay λ, as torch.optim.Adagrad; 0 by default)
 *   m ← m + g²                       (the "memory": a sum of squared gradients)
 *   p ← p − lr · g / √(m + ε)        (ε = 1e-8)
 * Each entry's step shrinks as its squared gradients add up.
 *
 * torch.optim.Adagrad differs in one place: it divides by √m + ε (ε = 1e-10)
 * instead of √(m + ε). The two agree whenever m ≫ ε; bptt keeps the seed's
 * form so that the seed's runs are reproduced exactly.
 */
import type { DType, FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { addWeightDecay } from './weight-decay.js';
import type { Optimizer } from './optimizer.js';

export const ADAGRAD_EPSILON = 1e-8;

/** Adagrad, the seed's optimizer: p ← p − lr·g / √(Σ g² + ε). */
export class Adagrad implements Optimizer {
  readonly name = 'adagrad';
  readonly state: { memory: FloatArray };
  readonly counters = {};

  /** `kernels`: where the loop runs (and the memory lives): the model's kernels. */
  constructor(
    size: number,
    dtype: DType,
    private readonly kernels: Kernels = referenceKernels,
    readonly epsilon = ADAGRAD_EPSILON,
    readonly weightDecay = 0,
  ) {
    this.state = { memory: kernels.allocate(dtype, size) };
  }

  step(params: FloatArray, grads: FloatArray, learningRate: number): void {
    if (this.weightDecay !== 0) addWeightDecay(grads, params, this.weightDecay);
    this.kernels.adagradStep(params, grads, this.state.memory, learningRate, this.epsilon, params.length);
  }
}
