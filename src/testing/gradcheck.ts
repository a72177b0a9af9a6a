/**
 * Numerical gradient check: compares the hand-derived gradients of backward()
 * with central finite differences of the loss, entry by entry, in float64.
 *
 *   numeric_i = (8·(J(p + ε·e_i) − J(p − ε·e_i)) − (J(p + 2ε·e_i) − J(p − 2ε·e_i))) / 12ε
 *   relative error_i = |analytic_i − numeric_i| / max(|analytic_i|, |numeric_i|)
 *
 * The five-point central difference has error O(ε⁴) instead of the two-point
 * formula's O(ε²), so a larger ε (1e-3) can be used and float64 rounding in
 * J matters less. It still sets a floor: about 1e-13 absolute (J's rounding
 * divided by ε), which is 1e-7 of a gradient entry of 1e-6, as in the lower
 * layers of a stack. So entries below GRADCHECK_SMALL_GRADIENT are held to an
 * absolute bound instead of a relative one: both numbers are reported.
 */
import type { Batch } from '../core/batch.js';
import type { RnnModel } from '../model/rnn-model.js';

/** One parameter's comparison of the analytic gradient with the numerical one. */
export interface GradcheckEntry {
  /** Parameter name, or 'h0' for the initial hidden state. */
  name: string;
  entries: number;
  maxRelativeError: number;
  maxAbsoluteError: number;
}

/** The options of gradcheck. */
export interface GradcheckOptions {
  /** The loss is Σ mask·J(t) · scale. */
  scale: number;
  /** Initial hidden state (B×H); checked as an input too. Defaults to zeros. */
  h0?: Float64Array;
  epsilon?: number;
  /** With config.dropout, checks the training-mode network with these fixed dropout masks. */
  dropoutSeed?: number;
}

/** The largest relative error a float64 gradient check accepts. */
export const GRADCHECK_RELATIVE_TOLERANCE = 1e-6;
/** Differences below this count as equal (gradients near zero, where relative errors mean nothing). */
export const GRADCHECK_ABSOLUTE_TOLERANCE = 1e-9;
export const GRADCHECK_SMALL_GRADIENT = 1e-6;
const SMALL_GRADIENT = GRADCHECK_SMALL_GRADIENT;

/** Whether every entry of a gradient check is within the tolerances. */
export function gradcheckPasses(results: readonly GradcheckEntry[]): boolean {
  return results.every((r) => r.maxRelativeError < GRADCHECK_RELATIVE_TOLERANCE && r.maxAbsoluteError < GRADCHECK_ABSOLUTE_TOLERANCE);
}

/**
 * ∂loss/∂values[i] by the five-point central difference; values[i] is restored.
 * `loss` must read `values` (directly or through a model that holds them).
 */
export function numericalDerivative(loss: () => number, values: Float64Array, i: number, epsilon = 1e-3): number {
  const saved = values[i];
  const lossAt = (offset: number) => {
    values[i] = saved + offset;
    return loss();
  };
  const near = lossAt(epsilon) - lossAt(-epsilon);
  const far = lossAt(2 * epsilon) - lossAt(-2 * epsilon);
  values[i] = saved;
  return (8 * near - far) / (12 * epsilon);
}

/** Checks every parameter entry and every entry of h0. The model must be float64. */
export function gradcheck(model: RnnModel, batch: Batch, options: GradcheckOptions): GradcheckEntry[] {
  if (!(model.params instanceof Float64Array)) throw new Error('gradcheck needs a float64 model');
  const epsilon = options.epsilon ?? 1e-3;
  const h0 = options.h0 ?? new Float64Array(batch.rows * model.stateSize);
  const loss = () => model.forward(batch, h0, options.dropoutSeed) * options.scale;

  loss();
  model.backward({ scale: options.scale, clip: Infinity });
  const analytic = Float64Array.from(model.grads);
  const analyticH0 = Float64Array.from(model.initialStateGradient());

  const compare = (name: string, values: Float64Array, expected: Float64Array): GradcheckEntry => {
    let maxRelativeError = 0;
    let maxAbsoluteError = 0;
    for (let i = 0; i < values.length; i++) {
      const numeric = numericalDerivative(loss, values, i, epsilon);
      const error = Math.abs(expected[i] - numeric);
      const magnitude = Math.max(Math.abs(expected[i]), Math.abs(numeric));
      maxAbsoluteError = Math.max(maxAbsoluteError, magnitude < SMALL_GRADIENT ? error : 0);
      if (magnitude >= SMALL_GRADIENT) maxRelativeError = Math.max(maxRelativeError, error / magnitude);
    }
    return { name, entries: values.length, maxRelativeError, maxAbsoluteError };
  };

  const results: GradcheckEntry[] = [];
  for (const slot of model.layout.slots) {
    const values = model.params.subarray(slot.offset, slot.offset + slot.size) as Float64Array;
    results.push(compare(slot.name, values, analytic.subarray(slot.offset, slot.offset + slot.size)));
  }
  results.push(compare('h0', h0, analyticH0));
  return results;
}
