/**
 * Clipping by global norm, as torch.nn.utils.clip_grad_norm_: the L2 norm of
 * all gradients together, ‖g‖ = √(Σ_i g_i²) over every parameter entry, and,
 * when it exceeds N, every gradient scaled by N / (‖g‖ + 1e-6). Unlike the
 * seed's elementwise clip (RnnModel.backward), it keeps the gradient's direction.
 */
import type { FloatArray } from '../core/arrays.js';

/** ‖g‖₂ over the whole flat gradient array (summed in float64). */
export function globalNorm(grads: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < grads.length; i++) sum += grads[i] * grads[i];
  return Math.sqrt(sum);
}

/** Scales grads in place so their norm is at most maxNorm (given their norm); returns whether it scaled. */
export function clipByGlobalNorm(grads: FloatArray, maxNorm: number, norm: number = globalNorm(grads)): boolean {
  const scale = maxNorm / (norm + 1e-6);
  if (scale >= 1) return false;
  for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  return true;
}
