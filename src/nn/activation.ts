/**
 * The unit's nonlinearity σ of Eq. 1.2, and its derivative for the backward
 * pass. The seed uses the sigmoid; tanh is what torch-rnn, PyTorch and Keras
 * default to. Both derivatives are computed from the cached OUTPUT h, so the
 * forward pass never needs to keep z:
 *   sigmoid: σ'(z) = σ(z)(1 − σ(z)) = h(1 − h)
 *   tanh:    tanh'(z) = 1 − tanh(z)² = 1 − h²
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';

export type Activation = 'sigmoid' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'tanh'];

/** In place: values hold z on entry and h = σ(z) on return. */
export function activationForward(kernels: Kernels, activation: Activation, values: FloatArray, length: number): void {
  if (activation === 'sigmoid') kernels.sigmoid(values, length);
  else kernels.tanh(values, length);
}

/** dz = gamma ∘ σ'(z), from the cached output h (Eq. 5.1.1 / 6.1.1: the Jacobian is diagonal). */
export function activationBackward(kernels: Kernels, activation: Activation, dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
  if (activation === 'sigmoid') kernels.sigmoidBackward(dz, gamma, h, length);
  else kernels.tanhBackward(dz, gamma, h, length);
}
