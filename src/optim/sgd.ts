/**
 * Stochastic gradient descent with optional momentum and Nesterov momentum,
 * as torch.optim.SGD (dampening 0), for every parameter entry:
 *   g ← g + λ·p                       (L2 weight decay λ)
 *   b ← μ·b + g                       (the momentum buffer; b starts at 0, so the first step has b = g)
 *   d = g + μ·b  with Nesterov,  d = b  without,  d = g  when μ = 0
 *   p ← p − lr · d
 */
import type { DType, FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { BpttError } from '../core/errors.js';
import { addWeightDecay } from './weight-decay.js';
import type { Optimizer } from './optimizer.js';

/** Stochastic gradient descent, with optional (Nesterov) momentum and weight decay. */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  /** No state without momentum; the momentum buffer b with it. */
  readonly state: { momentumBuffer?: FloatArray };
  readonly counters = {};

  constructor(
    size: number,
    dtype: DType,
    kernels: Kernels,
    readonly momentum = 0,
    readonly nesterov = false,
    readonly weightDecay = 0,
  ) {
    if (nesterov && momentum <= 0) throw new BpttError('Nesterov momentum needs a momentum above 0', 'give --momentum (e.g. 0.9) with --nesterov');
    this.state = momentum > 0 ? { momentumBuffer: kernels.allocate(dtype, size) } : {};
  }

  step(params: FloatArray, grads: FloatArray, learningRate: number): void {
    if (this.weightDecay !== 0) addWeightDecay(grads, params, this.weightDecay);
    const buffer = this.state.momentumBuffer;
    if (!buffer) {
      for (let i = 0; i < params.length; i++) params[i] -= learningRate * grads[i];
      return;
    }
    const mu = this.momentum;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      buffer[i] = mu * buffer[i] + g;
      const direction = this.nesterov ? g + mu * buffer[i] : buffer[i];
      params[i] -= learningRate * direction;
    }
  }
}
