/**
 * Choosing a kernel backend. 'auto' takes the fastest one this engine runs:
 * relaxed SIMD, then SIMD, then scalar WebAssembly, then the pure-TypeScript
 * reference (which is also what float64 models always use).
 */
import { BpttError } from '../core/errors.js';
import type { Kernels } from './kernels.js';
import { referenceKernels } from './reference.js';
import { WasmKernels, wasmVariantSupported, type WasmVariant } from './wasm/wasm-kernels.js';

/** A kernel backend: auto (the fastest available), the pure-TypeScript reference, or a WebAssembly variant. */
export type Backend = 'auto' | 'reference' | 'wasm-scalar' | 'wasm-simd' | 'wasm-relaxed';
/** Every Backend, for option parsers. */
export const BACKENDS: readonly Backend[] = ['auto', 'reference', 'wasm-scalar', 'wasm-simd', 'wasm-relaxed'];

const VARIANTS: readonly WasmVariant[] = ['relaxed', 'simd', 'scalar'];

/** The backends this engine can run, fastest first ('reference' always). */
export async function availableBackends(): Promise<Backend[]> {
  const available: Backend[] = [];
  for (const variant of VARIANTS) if (await wasmVariantSupported(variant)) available.push(`wasm-${variant}`);
  available.push('reference');
  return available;
}

/** The kernels of `backend` (default auto: the fastest this engine runs); a BpttError if this engine cannot run the one asked for. */
export async function loadKernels(backend: Backend = 'auto'): Promise<Kernels> {
  if (backend === 'reference') return referenceKernels;
  if (backend === 'auto') {
    const [best] = await availableBackends();
    return best === 'reference' ? referenceKernels : WasmKernels.create(best.slice('wasm-'.length) as WasmVariant);
  }
  const variant = backend.slice('wasm-'.length) as WasmVariant;
  if (!(await wasmVariantSupported(variant))) {
    throw new BpttError(`this JavaScript engine cannot run the ${backend} kernels`, `use --backend auto (it picks the fastest one available)${variant === 'relaxed' ? ', or run Node with --experimental-wasm-relaxed-simd' : ''}`);
  }
  return WasmKernels.create(variant);
}
