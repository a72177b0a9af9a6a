/**
 * RMSprop, as torch.optim.RMSprop (not centered), for every parameter entry:
 *   g ← g + λ·p                       (L2 weight decay λ)
 *   v ← α·v + (1 − α)·g²              (a running average of squared gradients; α = 0.99)
 *   d = g / (√v + ε)
 *   b ← μ·b + d,  p ← p − lr·b        with momentum μ > 0
 *   p ← p − lr·d                      without
 * Adagrad's memory only grows; RMSprop's forgets old gradients, so its steps do not shrink to 0.
 */
import type { DType, FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { addWeightDecay } from './weight-decay.js';
import type { Optimizer } from './optimizer.js';

/** RMSprop, with optional momentum. */
export class RmsProp implements Optimizer {
  readonly name = 'rmsprop';
  readonly state: { squareAverage: FloatArray; momentumBuffer?: FloatArray };
  readonly counters = {};

  constructor(
    size: number,
    dtype: DType,
    private readonly kernels: Kernels,
    /** α, the smoothing constant (--beta2 on the command line: it plays Adam's β2 role). */
    readonly alpha = 0.99,
    readonly epsilon = 1e-8,
    readonly momentum = 0,
    readonly weightDecay = 0,
  ) {
    this.state = { squareAverage: kernels.allocate(dtype, size) };
    if (momentum > 0) this.state.momentumBuffer = kernels.allocate(dtype, size);
  }

  step(params: FloatArray, grads: FloatArray, learningRate: number): void {
    if (this.weightDecay !== 0) addWeightDecay(grads, params, this.weightDecay);
    const { squareAverage, momentumBuffer } = this.state;
    this.kernels.rmspropStep(
      params,
      grads,
      squareAverage,
      momentumBuffer ?? null,
      params.length,
      learningRate,
      this.alpha,
      this.epsilon,
      momentumBuffer ? this.momentum : 0,
    );
  }
}
