/**
 * The signature table (src/kernels/signatures.ts) is the one declaration of every kernel: the
 * Kernels interface's function types (named parameters) and the WebAssembly wrappers are generated
 * from it, and every backend's functions take its parameters.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DType, FloatArray } from '../../src/core/arrays.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import {
  generatedCallsPath,
  generatedFunctionsPath,
  generatedNativeCallsPath,
  kernelCallsSource,
  kernelFunctionsSource,
  nativeCallsSource,
} from '../../scripts/generate-kernel-calls.js';
import { referenceKernels } from '../../src/index.js';
import { KERNEL_SIGNATURES, kernelParams, type KernelName } from '../../src/kernels/signatures.js';
import { bytesBase64 } from '../../src/kernels/wasm/generated/scalar.js';
import { WasmKernels } from '../../src/kernels/wasm/wasm-kernels.js';
import { NativeKernels } from '../../src/kernels/native/native-kernels.js';

const names = Object.keys(KERNEL_SIGNATURES) as KernelName[];

describe('the kernel signature table', () => {
  it('generated the committed WebAssembly wrappers (npm run gen:kernels)', () => {
    expect(readFileSync(generatedCallsPath, 'utf8')).toBe(kernelCallsSource());
  });

  it('generated the committed native wrappers (npm run gen:kernels)', () => {
    expect(readFileSync(generatedNativeCallsPath, 'utf8')).toBe(nativeCallsSource());
  });

  it('generated the committed function types of the Kernels interface (npm run gen:kernels)', () => {
    expect(readFileSync(generatedFunctionsPath, 'utf8')).toBe(kernelFunctionsSource());
  });

  it('reads every line, and refuses text that is no parameter or a type it does not know', () => {
    for (const name of names) expect(() => kernelParams(KERNEL_SIGNATURES[name]), name).not.toThrow();
    expect(() => kernelParams({ params: 'out:F[n]! n:int, scale:float', returns: 'void' })).toThrow(/cannot read ','/);
    expect(() => kernelParams({ params: 'out:F[n]! n:integer', returns: 'void' })).toThrow(/n has the unknown type 'integer'/);
    expect(() => kernelParams({ params: 'out:F[n! n:int', returns: 'void' })).toThrow(/cannot read/);
  });

  it('lists every kernel the reference backend has, with its parameter count', () => {
    const implemented = Object.keys(referenceKernels).filter((name) => name !== 'name');
    expect(implemented.sort()).toEqual([...names].sort());
    for (const name of names) expect(referenceKernels[name].length, name).toBe(kernelParams(KERNEL_SIGNATURES[name]).length);
  });

  it.each([
    ['WebAssembly', WasmKernels],
    ['native', NativeKernels],
  ] as const)('the %s backend has every kernel with the same parameters', (_, backend) => {
    for (const name of names)
      expect((backend.prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[name]?.length, name).toBe(
        kernelParams(KERNEL_SIGNATURES[name]).length,
      );
  });

  it('the compiled module exports name_f32 and name_f64 taking the arrays, the scalars and the declared extras', async () => {
    const bytes = Uint8Array.from(atob(bytesBase64), (c) => c.charCodeAt(0));
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 16384, shared: true });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const exports = instance.exports as Record<string, (...args: number[]) => number>;
    for (const name of names) {
      if (name === 'allocate' || name === 'packedSize') continue; // host-side: JavaScript memory and packedElements_*
      const params = kernelParams(KERNEL_SIGNATURES[name]).filter((p) => p.kind === 'array' || p.type !== 'dtype');
      const expected = params.length + (KERNEL_SIGNATURES[name].wasm?.extra?.length ?? 0);
      for (const suffix of ['_f32', '_f64']) expect(exports[name + suffix]?.length, name + suffix).toBe(expected);
    }
  });

  it('declares a length for every array and marks outputs', () => {
    for (const name of names) {
      for (const p of kernelParams(KERNEL_SIGNATURES[name])) if (p.kind === 'array') expect(p.length.trim(), `${name}.${p.name}`).not.toBe('');
    }
    expect(
      kernelParams(KERNEL_SIGNATURES.matmulABt)
        .filter((p) => p.kind === 'array' && p.output)
        .map((p) => p.name),
    ).toEqual(['out']);
  });
});

describe('the Kernels interface is the table (KernelMethods in signatures.ts)', () => {
  it('has a function type for every line (a typecheck: npx tsc fails otherwise)', () => {
    expectTypeOf<Extract<Kernels[KernelName], string>>().toEqualTypeOf<never>();
    expect(names.length).toBeGreaterThan(30);
  });

  it('gives each kernel the types its line declares', () => {
    expectTypeOf<Kernels['matmulABt']>().toEqualTypeOf<
      (out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean) => void
    >();
    expectTypeOf<Kernels['allocate']>().toEqualTypeOf<(dtype: DType, length: number) => FloatArray>();
    // A length with a ':' of its own (a conditional expression) is read as one length.
    expectTypeOf<Kernels['pack']>().toEqualTypeOf<(packed: FloatArray, b: FloatArray, k: number, n: number, transposed: boolean) => void>();
    expectTypeOf<Kernels['softmaxCrossEntropy']>().toEqualTypeOf<
      (logits: FloatArray, targets: Int32Array, mask: Float32Array, rows: number, vocab: number) => number
    >();
    expectTypeOf<Parameters<Kernels['rmspropStep']>[3]>().toEqualTypeOf<FloatArray | null>();
    expectTypeOf<Kernels>().toHaveProperty('name').toEqualTypeOf<string>();
  });
});
