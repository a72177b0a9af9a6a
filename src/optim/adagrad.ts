/**
 * Adagrad, exactly as in the seed's notebook, for every parameter entry:
 *   m += g²
 *   p −= lr · g / √(m + 1e-8)
 * Each entry's step shrinks as its squared gradients add up.
 */
import { allocate, type DType, type FloatArray } from '../core/arrays.js';
import type { Optimizer } from './optimizer.js';

export const ADAGRAD_EPSILON = 1e-8;

export class Adagrad implements Optimizer {
  readonly name = 'adagrad';
  readonly state: { memory: FloatArray };

  constructor(
    readonly learningRate: number,
    size: number,
    dtype: DType,
  ) {
    this.state = { memory: allocate(dtype, size) };
  }

  step(params: FloatArray, grads: FloatArray): void {
    const memory = this.state.memory;
    const lr = this.learningRate;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      memory[i] += g * g;
      params[i] -= (lr * g) / Math.sqrt(memory[i] + ADAGRAD_EPSILON);
    }
  }
}
