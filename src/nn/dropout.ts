/**
 * Inverted dropout: keeps each entry of `input` with probability 1 − p, scaled by 1/(1 − p), writing the
 * mask (0 or 1/(1 − p)) and the masked values; the backward pass multiplies the gradient by the same mask
 * (Kernels.multiply).
 */
import type { FloatArray } from '../core/arrays.js';
import type { Random } from '../core/random.js';
import type { Kernels } from '../kernels/kernels.js';

export function dropoutForward(k: Kernels, dropped: FloatArray, mask: FloatArray, input: FloatArray, p: number, random: Random): void {
  random.dropoutMask(mask.subarray(0, input.length), p, 1 / (1 - p));
  dropped.set(input);
  k.multiply(dropped, mask, input.length);
}
