/**
 * An optimizer updates the flat parameter array from the flat gradient array.
 * Its state (moments) uses the same layout, so it is a handful of arrays the
 * length of the parameters, saved in checkpoints by name.
 */
import type { FloatArray } from '../core/arrays.js';

export interface Optimizer {
  readonly name: string;
  /** Named state arrays (e.g. Adagrad's memory), each the length of the parameters. */
  readonly state: Record<string, FloatArray>;
  /** One update: params ← params − step(grads). */
  step(params: FloatArray, grads: FloatArray): void;
}
