/**
 * Softmax (Eq. 3.1) and cross-entropy (Eq. 3.2) over a batch of rows, with a
 * mask for padded positions.
 *
 * The loss bptt minimises, over a batch of B sequences and T steps:
 *   J = (1/N) Σ_rows Σ_t mask · J(t)          (Eq. 3.3 sums over time)
 * where N is the batch size (the seed divides by its 512, counting padded
 * rows). So J is a SUM over time and a MEAN over sequences. Reported losses
 * ("nats per character") are Σ mask·J(t) / Σ mask instead, comparable across
 * batch sizes and data sets.
 *
 *   theta, probs: (B×V)   targets, mask: (B)
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';

/** In place θ → ŷ (3.1); returns Σ mask·J(t) (3.2) over the rows, not yet divided by N. */
export function softmaxCrossEntropyForward(k: Kernels, thetaToProbs: FloatArray, targets: Int32Array, mask: Float32Array, rows: number, vocab: number): number {
  return k.softmaxCrossEntropy(thetaToProbs, targets, mask, rows, vocab);
}

/**
 * In place ŷ → dθ = ∂J/∂θ = (ŷ − y) · mask / N, where y is the one-hot target:
 * the well-known fused gradient of softmax followed by cross-entropy.
 */
export function softmaxCrossEntropyBackward(
  k: Kernels,
  probsToDTheta: FloatArray,
  targets: Int32Array,
  mask: Float32Array,
  scale: number,
  rows: number,
  vocab: number,
): void {
  k.softmaxCrossEntropyBackward(probsToDTheta, targets, mask, scale, rows, vocab);
}
