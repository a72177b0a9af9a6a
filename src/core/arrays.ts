/**
 * Float storage. Every parameter, gradient, activation and optimizer moment in
 * bptt lives in a Float32Array or a Float64Array; the dtype is chosen once per
 * model: float32 to train fast, float64 for gradient checks and reference tests.
 */
export type FloatArray = Float32Array | Float64Array;
/** The float type of a model's parameters and activations: float32 (fast) or float64 (exact, for gradient checks). */
export type DType = 'float32' | 'float64';

/** Every DType, for option parsers. */
export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** A zeroed Float32Array or Float64Array of `length` elements. */
export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

/** Product of a shape's dimensions: the number of elements of a tensor. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}
