/**
 * Turning the model's logits θ into a choice of the next token. Pure
 * functions: the random number is an argument, so sampling is testable and
 * reproducible.
 */
import type { FloatArray } from '../core/arrays.js';

/**
 * probs = softmax(θ / temperature), written into probs (length V).
 * Lower temperatures sharpen the distribution; 1 is the model's own.
 */
export function softmaxWithTemperature(probs: Float64Array, logits: FloatArray, temperature: number): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp((logits[i] - max) / temperature);
    sum += probs[i];
  }
  for (let i = 0; i < logits.length; i++) probs[i] /= sum;
}

/** The index i at which the cumulative probability first exceeds coin ∈ [0, 1). */
export function sampleIndex(probs: ArrayLike<number>, coin: number): number {
  let cumulative = 0;
  for (let i = 0; i < probs.length; i++) {
    cumulative += probs[i];
    if (coin < cumulative) return i;
  }
  // Rounding can leave the total a hair under 1: fall back to the last token with any mass.
  for (let i = probs.length - 1; i >= 0; i--) if (probs[i] > 0) return i;
  return probs.length - 1;
}

/** The index of the largest value (the first, on ties). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * Top-k: keeps the k most likely tokens and renormalises, in place. Ties at
 * the k-th probability are kept together.
 */
export function keepTopK(probs: Float64Array, k: number): void {
  if (k >= probs.length) return;
  const threshold = Float64Array.from(probs).sort().reverse()[k - 1];
  let kept = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i] < threshold) probs[i] = 0;
    kept += probs[i];
  }
  for (let i = 0; i < probs.length; i++) probs[i] /= kept;
}

/**
 * Top-p (nucleus): keeps the most likely tokens until their total reaches p,
 * and renormalises, in place.
 */
export function keepTopP(probs: Float64Array, p: number): void {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
  let total = 0;
  let cut = order.length;
  for (let rank = 0; rank < order.length; rank++) {
    total += probs[order[rank]];
    if (total >= p) {
      cut = rank + 1;
      break;
    }
  }
  let kept = 0;
  for (let rank = 0; rank < order.length; rank++) {
    if (rank >= cut) probs[order[rank]] = 0;
    kept += probs[order[rank]];
  }
  for (let i = 0; i < probs.length; i++) probs[i] /= kept;
}
