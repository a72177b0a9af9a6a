/**
 * The unit's nonlinearity σ of Eq. 1.2, and its derivative for the backward
 * pass. The seed uses the sigmoid; tanh is what torch-rnn, PyTorch and Keras
 * default to; relu is PyTorch's other nn.RNN nonlinearity. Every derivative
 * is computed from the cached OUTPUT h, so the forward pass never keeps z:
 *   sigmoid: σ'(z) = σ(z)(1 − σ(z)) = h(1 − h)
 *   tanh:    tanh'(z) = 1 − tanh(z)² = 1 − h²
 *   relu:    relu'(z) = 1 where z > 0, i.e. where h > 0; else 0
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';

/** σ of Eq. 1.2 for the vanilla RNN. */
export type Activation = 'sigmoid' | 'tanh' | 'relu';
/** Every Activation, for option parsers. */
export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'tanh', 'relu'];

/** In place: values hold z on entry and h = σ(z) on return. */
export function activationForward(kernels: Kernels, activation: Activation, values: FloatArray, length: number): void {
  if (activation === 'sigmoid') kernels.sigmoid(values, length);
  else if (activation === 'tanh') kernels.tanh(values, length);
  else kernels.relu(values, length);
}

/** dz = gamma ∘ σ'(z), from the cached output h (Eq. 5.1.1 / 6.1.1: the Jacobian is diagonal). */
export function activationBackward(kernels: Kernels, activation: Activation, dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
  if (activation === 'sigmoid') kernels.sigmoidBackward(dz, gamma, h, length);
  else if (activation === 'tanh') kernels.tanhBackward(dz, gamma, h, length);
  else kernels.reluBackward(dz, gamma, h, length);
}
