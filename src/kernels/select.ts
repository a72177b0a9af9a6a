/**
 * Choosing a kernel backend. 'auto' takes the fastest one this engine runs:
 * the native kernels (Node, when built), then relaxed SIMD, SIMD and scalar
 * WebAssembly, then the pure-TypeScript reference.
 */
import { BpttError } from '../core/errors.js';
import type { Kernels } from './kernels.js';
import { NATIVE_HOWTO, NativeKernels, loadNativeAddon } from './native/native-kernels.js';
import { referenceKernels } from './reference.js';
import { WasmKernels, wasmVariantSupported, type WasmVariant } from './wasm/wasm-kernels.js';

/** A kernel backend: auto (the fastest available), the pure-TypeScript reference, a WebAssembly variant, or the native kernels. */
export type Backend = 'auto' | 'reference' | 'wasm-scalar' | 'wasm-simd' | 'wasm-relaxed' | 'native';
/** Every Backend, for option parsers. */
export const BACKENDS: readonly Backend[] = ['auto', 'reference', 'wasm-scalar', 'wasm-simd', 'wasm-relaxed', 'native'];

const VARIANTS: readonly WasmVariant[] = ['relaxed', 'simd', 'scalar'];

/** The backends this engine can run, fastest first ('reference' always). */
export async function availableBackends(): Promise<Backend[]> {
  const available: Backend[] = loadNativeAddon().addon ? ['native'] : [];
  for (const variant of VARIANTS) if (await wasmVariantSupported(variant)) available.push(`wasm-${variant}`);
  available.push('reference');
  return available;
}

/** The kernels of `backend` (default auto: the fastest this engine runs); a BpttError if this engine cannot run the one asked for. */
export async function loadKernels(backend: Backend = 'auto'): Promise<Kernels> {
  if (backend === 'reference') return referenceKernels;
  if (backend === 'auto') {
    const [best] = await availableBackends();
    return best === 'reference' ? referenceKernels : best === 'native' ? NativeKernels.create() : WasmKernels.create(best.slice('wasm-'.length) as WasmVariant);
  }
  if (backend === 'native') {
    const { reason } = loadNativeAddon();
    if (reason) throw new BpttError(`the native kernels are not available: ${reason}`, `${NATIVE_HOWTO}, or use --backend auto`);
    try {
      return NativeKernels.create();
    } catch (error) {
      throw new BpttError(`the native kernels are not available: ${(error as Error).message}`, 'use --backend auto, or unset BPTT_NATIVE_ISA');
    }
  }
  const variant = backend.slice('wasm-'.length) as WasmVariant;
  if (!(await wasmVariantSupported(variant))) {
    throw new BpttError(
      `this JavaScript engine cannot run the ${backend} kernels`,
      `use --backend auto (it picks the fastest one available)${variant === 'relaxed' ? ', or run Node with --experimental-wasm-relaxed-simd' : ''}`,
    );
  }
  return WasmKernels.create(variant);
}
