/**
 * The kernel interface: every loop over numbers that the model's hot path runs.
 *
 * Layers (src/nn) call these and never loop over matrices themselves, so a
 * faster backend (WebAssembly, threads) can replace the readable reference
 * implementation without touching the math code. All matrices are row-major
 * and passed as flat arrays with their dimensions; a backend must give the
 * same results as `referenceKernels` up to float rounding.
 *
 * Naming: A·Bᵀ means "rows of A dotted with rows of B", the shape of the
 * seed's z = Wh·h when a batch of h vectors is stored as rows.
 */
import type { KernelMethods } from './signatures.js';

/**
 * The numeric kernels every layer computes with: one implementation in pure TypeScript
 * (referenceKernels), one in WebAssembly (WasmKernels), one native (NativeKernels), tested against
 * each other. Its methods are the lines of the signature table (signatures.ts), each with its doc
 * comment there: a kernel is declared once.
 */
export interface Kernels extends KernelMethods {
  readonly name: string;
}
