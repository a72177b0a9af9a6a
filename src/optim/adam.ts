/**
 * Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW (amsgrad off).
 * At step t = 1, 2, … for every parameter entry:
 *   g ← g + λ·p                       (Adam: L2 weight decay λ)
 *   p ← p − lr·λ·p                    (AdamW instead: decoupled weight decay, before the step)
 *   m ← β1·m + (1 − β1)·g             (first moment: a running mean of g)
 *   v ← β2·v + (1 − β2)·g²            (second moment: a running mean of g²)
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * m and v start at 0, so they are biased toward 0 in early steps; the factors
 * 1/(1 − βᵗ) undo that bias. t is a counter a checkpoint keeps.
 */
import type { DType, FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';
import { addWeightDecay } from './weight-decay.js';
import type { Optimizer } from './optimizer.js';

/** Adam, and AdamW (decoupled weight decay), with bias-corrected moments. */
export class Adam implements Optimizer {
  readonly state: { firstMoment: FloatArray; secondMoment: FloatArray };
  /** step: t, the number of updates taken. */
  readonly counters = { step: 0 };

  constructor(
    size: number,
    dtype: DType,
    private readonly kernels: Kernels,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
    readonly weightDecay = 0,
    /** true: AdamW's decoupled weight decay; false: Adam's L2. */
    readonly decoupled = false,
  ) {
    this.state = { firstMoment: kernels.allocate(dtype, size), secondMoment: kernels.allocate(dtype, size) };
  }

  get name(): 'adam' | 'adamw' {
    return this.decoupled ? 'adamw' : 'adam';
  }

  step(params: FloatArray, grads: FloatArray, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this;
    const { firstMoment: m, secondMoment: v } = this.state;
    const t = ++this.counters.step;
    // AdamW shrinks the weights before the step (inside the kernel); Adam's L2 decay adds λ·p to g.
    const keep = weightDecay !== 0 && this.decoupled ? 1 - learningRate * weightDecay : 1;
    if (weightDecay !== 0 && !this.decoupled) addWeightDecay(grads, params, weightDecay);
    const stepSize = learningRate / (1 - beta1 ** t);
    const secondCorrection = Math.sqrt(1 - beta2 ** t);
    this.kernels.adamStep(params, grads, m, v, params.length, beta1, beta2, epsilon, stepSize, secondCorrection, keep);
  }
}
