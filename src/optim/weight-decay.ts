/**
 * L2 weight decay as torch.optim applies it (sgd, adagrad, rmsprop, adam):
 * the gradient of (λ/2)·‖p‖² is added to the loss's gradient, g ← g + λ·p.
 * (AdamW decays the weights themselves instead; see adam.ts.)
 */
import type { FloatArray } from '../core/arrays.js';

/** In place: grads += λ · params. */
export function addWeightDecay(grads: FloatArray, params: FloatArray, weightDecay: number): void {
  for (let i = 0; i < grads.length; i++) grads[i] += weightDecay * params[i];
}
