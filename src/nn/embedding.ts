/**
 * A learned embedding: x(t) = E[token], with E (V×d). An alternative to the
 * seed's one-hot input that gives each token a dense vector of size d.
 */
import type { FloatArray } from '../core/arrays.js';
import type { Kernels } from '../kernels/kernels.js';

/** x (B×d) = rows ids of E. */
export function embeddingForward(k: Kernels, x: FloatArray, E: FloatArray, ids: Int32Array, rows: number, embed: number): void {
  k.gatherRows(x, E, ids, rows, embed);
}

/** dE[ids[r]] += dx[r]: a token seen twice in a batch accumulates both gradients. */
export function embeddingBackward(k: Kernels, gradE: FloatArray, dx: FloatArray, ids: Int32Array, rows: number, embed: number): void {
  k.scatterAddRows(gradE, dx, ids, rows, embed);
}
