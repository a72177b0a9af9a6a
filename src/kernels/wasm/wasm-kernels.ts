/**
 * The WebAssembly backend: the Kernels interface over the compiled
 * AssemblyScript kernels (./assembly/kernels.ts), for float32.
 *
 * Arrays that a model allocates through `allocate()` live inside the
 * module's memory, so a kernel call passes only their byte addresses: no
 * copying on the hot path. Arrays from elsewhere (a batch's token ids, a
 * test's inputs) are copied into a staging area for the call, and outputs
 * copied back. float64 work goes to the reference kernels, which are exact.
 *
 * The memory is a shared WebAssembly.Memory: growing it never invalidates
 * existing views, and worker threads can later work on the same arrays.
 */
import { allocate, type DType, type FloatArray } from '../../core/arrays.js';
import type { Kernels } from '../kernels.js';
import { referenceKernels } from '../reference.js';

export type WasmVariant = 'scalar' | 'simd' | 'relaxed';

interface KernelExports {
  heapBase(): number;
  matmulABt(out: number, a: number, b: number, m: number, k: number, n: number, accumulate: number): void;
  matmulAB(out: number, a: number, b: number, m: number, k: number, n: number, accumulate: number): void;
  matmulAtBAccumulate(out: number, a: number, b: number, m: number, k: number, n: number, scratch: number): void;
  atbScratchFloats(m: number, n: number): number;
  addBias(out: number, bias: number, rows: number, cols: number): void;
  sumRowsAccumulate(sums: number, a: number, rows: number, cols: number): void;
  addWeightColumns(out: number, weight: number, ids: number, rows: number, hidden: number, vocab: number): void;
  addToWeightColumns(gradWeight: number, dz: number, ids: number, rows: number, hidden: number, vocab: number): void;
  gatherRows(out: number, table: number, ids: number, rows: number, cols: number): void;
  scatterAddRows(gradTable: number, grad: number, ids: number, rows: number, cols: number): void;
  sigmoid(values: number, length: number): void;
  tanh(values: number, length: number): void;
  sigmoidBackward(dz: number, gamma: number, h: number, length: number): void;
  tanhBackward(dz: number, gamma: number, h: number, length: number): void;
  softmaxCrossEntropy(logits: number, targets: number, mask: number, rows: number, vocab: number): number;
  softmaxCrossEntropyBackward(probs: number, targets: number, mask: number, scale: number, rows: number, vocab: number): void;
  clip(values: number, length: number, limit: number): number;
  add(out: number, a: number, length: number): void;
  transpose(out: number, a: number, rows: number, cols: number): void;
  adagradStep(params: number, grads: number, memory: number, learningRate: number, epsilon: number, length: number): void;
}

const PAGE = 65536;
const MAXIMUM_PAGES = 16384; // 1 GiB; reserved address space, not memory in use

type Float32OrInt32 = Float32Array | Int32Array;

/**
 * A bump allocator over a shared WebAssembly.Memory. Its top pointer lives in
 * the memory itself (the first word above the module's static data), so
 * several threads on one memory allocate without overlapping.
 */
class WasmHeap {
  /** Every ArrayBuffer object the memory has had (a shared memory gives a new one after each grow). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly top: Int32Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    initialize: boolean,
  ) {
    this.top = new Int32Array(memory.buffer, align(base), 1);
    if (initialize) Atomics.store(this.top, 0, align(base) + 16);
    this.buffers.add(memory.buffer);
  }

  /** Reserves `bytes` (16-byte aligned) and returns the address. */
  reserve(bytes: number): number {
    const size = align(bytes);
    const address = Atomics.add(this.top, 0, size);
    const end = address + size;
    while (this.memory.buffer.byteLength < end) this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / PAGE));
    return address;
  }

  owns(array: ArrayBufferView): boolean {
    return this.buffers.has(array.buffer);
  }

  private currentBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return buffer;
  }

  float32(address: number, length: number): Float32Array {
    return new Float32Array(this.currentBuffer(), address, length);
  }

  int32(address: number, length: number): Int32Array {
    return new Int32Array(this.currentBuffer(), address, length);
  }
}

function align(address: number): number {
  return (address + 15) & ~15;
}

/** A reusable area for copies of arrays that live outside the module's memory. */
class Staging {
  private address = 0;
  private capacity = 0;
  private used = 0;
  private readonly pending: { array: Float32OrInt32; copy: Float32OrInt32 }[] = [];

  constructor(private readonly heap: WasmHeap) {}

  begin(): void {
    this.used = 0;
    this.pending.length = 0;
  }

  /** The address of `array` for a kernel call: its own, or a copy's (written back by end() if `output`). */
  place(array: Float32OrInt32, length: number, output: boolean): number {
    if (this.heap.owns(array)) return array.byteOffset;
    const bytes = align(length * 4);
    if (this.used + bytes > this.capacity) this.moveTo(Math.max(2 * this.capacity, bytes, 1 << 16));
    const address = this.address + this.used;
    this.used += bytes;
    const copy = array instanceof Int32Array ? this.heap.int32(address, length) : this.heap.float32(address, length);
    copy.set(array.subarray(0, length));
    if (output) this.pending.push({ array, copy });
    return address;
  }

  end(): void {
    for (const { array, copy } of this.pending) array.set(copy);
    this.pending.length = 0;
  }

  /** Continues in a new, larger area; copies already placed stay valid where they are. */
  private moveTo(bytes: number): void {
    this.address = this.heap.reserve(bytes);
    this.capacity = bytes;
    this.used = 0;
  }
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function variantBytes(variant: WasmVariant): Promise<Uint8Array> {
  const module =
    variant === 'relaxed' ? await import('./generated/relaxed.js') : variant === 'simd' ? await import('./generated/simd.js') : await import('./generated/scalar.js');
  return decodeBase64(module.bytesBase64);
}

/** Whether this engine can run a variant (SIMD, relaxed SIMD, shared memory). */
export async function wasmVariantSupported(variant: WasmVariant): Promise<boolean> {
  if (typeof WebAssembly === 'undefined' || typeof SharedArrayBuffer === 'undefined') return false;
  const bytes = await variantBytes(variant);
  return WebAssembly.validate(bytes as BufferSource);
}

export class WasmKernels implements Kernels {
  readonly name: string;
  private readonly staging: Staging;
  private transposeScratch = { address: 0, bytes: 0 };

  private constructor(
    readonly variant: WasmVariant,
    private readonly heap: WasmHeap,
    private readonly wasm: KernelExports,
  ) {
    this.name = `wasm-${variant}`;
    this.staging = new Staging(heap);
  }

  /**
   * Instantiates the kernels. Without `memory` they get a new shared memory;
   * with one (another thread's `memory`), they share its arrays and allocator.
   */
  static async create(variant: WasmVariant, memory?: WebAssembly.Memory): Promise<WasmKernels> {
    const shared = memory ?? new WebAssembly.Memory({ initial: 64, maximum: MAXIMUM_PAGES, shared: true });
    const { instance } = await WebAssembly.instantiate((await variantBytes(variant)) as BufferSource, { env: { memory: shared } });
    const wasm = instance.exports as unknown as KernelExports;
    return new WasmKernels(variant, new WasmHeap(shared, wasm.heapBase(), memory === undefined), wasm);
  }

  /** The memory all this backend's arrays live in; hand it to a worker to share them. */
  get memory(): WebAssembly.Memory {
    return this.heap.memory;
  }

  /** A view of float32 values at an address of this memory (e.g. a model's parameters, from another thread). */
  view(address: number, length: number): Float32Array {
    return this.heap.float32(address, length);
  }

  allocate(dtype: DType, length: number): FloatArray {
    if (dtype === 'float64') return allocate(dtype, length);
    return this.heap.float32(this.heap.reserve(length * 4), length); // shared memory starts zeroed and is never reused
  }

  /** Runs `call` with staged addresses; `places` lists [array, length, isOutput]. */
  private run<R>(places: [Float32OrInt32, number, boolean][], call: (...addresses: number[]) => R): R {
    this.staging.begin();
    const addresses = places.map(([array, length, output]) => this.staging.place(array, length, output));
    const result = call(...addresses);
    this.staging.end();
    return result;
  }

  matmulABt(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
    if (!(out instanceof Float32Array)) return referenceKernels.matmulABt(out, a, b, m, k, n, accumulate);
    this.run([[out, m * n, true], [a as Float32Array, m * k, false], [b as Float32Array, n * k, false]], (o, x, y) => this.wasm.matmulABt(o, x, y, m, k, n, accumulate ? 1 : 0));
  }

  matmulAB(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
    if (!(out instanceof Float32Array)) return referenceKernels.matmulAB(out, a, b, m, k, n, accumulate);
    this.run([[out, m * n, true], [a as Float32Array, m * k, false], [b as Float32Array, k * n, false]], (o, x, y) => this.wasm.matmulAB(o, x, y, m, k, n, accumulate ? 1 : 0));
  }

  matmulAtBAccumulate(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number): void {
    if (!(out instanceof Float32Array)) return referenceKernels.matmulAtBAccumulate(out, a, b, m, k, n);
    const bytes = this.wasm.atbScratchFloats(m, n) * 4;
    if (bytes > this.transposeScratch.bytes) this.transposeScratch = { address: this.heap.reserve(bytes), bytes };
    const scratch = this.transposeScratch.address;
    this.run([[out, m * n, true], [a as Float32Array, k * m, false], [b as Float32Array, k * n, false]], (o, x, y) => this.wasm.matmulAtBAccumulate(o, x, y, m, k, n, scratch));
  }

  addBias(out: FloatArray, bias: FloatArray, rows: number, cols: number): void {
    if (!(out instanceof Float32Array)) return referenceKernels.addBias(out, bias, rows, cols);
    this.run([[out, rows * cols, true], [bias as Float32Array, cols, false]], (o, b) => this.wasm.addBias(o, b, rows, cols));
  }

  sumRowsAccumulate(sums: FloatArray, a: FloatArray, rows: number, cols: number): void {
    if (!(sums instanceof Float32Array)) return referenceKernels.sumRowsAccumulate(sums, a, rows, cols);
    this.run([[sums, cols, true], [a as Float32Array, rows * cols, false]], (s, x) => this.wasm.sumRowsAccumulate(s, x, rows, cols));
  }

  addWeightColumns(out: FloatArray, weight: FloatArray, ids: Int32Array, rows: number, hidden: number, vocab: number): void {
    if (!(out instanceof Float32Array)) return referenceKernels.addWeightColumns(out, weight, ids, rows, hidden, vocab);
    this.run([[out, rows * hidden, true], [weight as Float32Array, hidden * vocab, false], [ids, rows, false]], (o, w, i) => this.wasm.addWeightColumns(o, w, i, rows, hidden, vocab));
  }

  addToWeightColumns(gradWeight: FloatArray, dz: FloatArray, ids: Int32Array, rows: number, hidden: number, vocab: number): void {
    if (!(gradWeight instanceof Float32Array)) return referenceKernels.addToWeightColumns(gradWeight, dz, ids, rows, hidden, vocab);
    this.run([[gradWeight, hidden * vocab, true], [dz as Float32Array, rows * hidden, false], [ids, rows, false]], (g, d, i) => this.wasm.addToWeightColumns(g, d, i, rows, hidden, vocab));
  }

  gatherRows(out: FloatArray, table: FloatArray, ids: Int32Array, rows: number, cols: number): void {
    if (!(out instanceof Float32Array)) return referenceKernels.gatherRows(out, table, ids, rows, cols);
    this.run([[out, rows * cols, true], [table as Float32Array, table.length, false], [ids, rows, false]], (o, t, i) => this.wasm.gatherRows(o, t, i, rows, cols));
  }

  scatterAddRows(gradTable: FloatArray, grad: FloatArray, ids: Int32Array, rows: number, cols: number): void {
    if (!(gradTable instanceof Float32Array)) return referenceKernels.scatterAddRows(gradTable, grad, ids, rows, cols);
    this.run([[gradTable, gradTable.length, true], [grad as Float32Array, rows * cols, false], [ids, rows, false]], (t, g, i) => this.wasm.scatterAddRows(t, g, i, rows, cols));
  }

  sigmoid(values: FloatArray, length: number): void {
    if (!(values instanceof Float32Array)) return referenceKernels.sigmoid(values, length);
    this.run([[values, length, true]], (v) => this.wasm.sigmoid(v, length));
  }

  tanh(values: FloatArray, length: number): void {
    if (!(values instanceof Float32Array)) return referenceKernels.tanh(values, length);
    this.run([[values, length, true]], (v) => this.wasm.tanh(v, length));
  }

  sigmoidBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
    if (!(dz instanceof Float32Array)) return referenceKernels.sigmoidBackward(dz, gamma, h, length);
    this.run([[dz, length, true], [gamma as Float32Array, length, false], [h as Float32Array, length, false]], (d, g, y) => this.wasm.sigmoidBackward(d, g, y, length));
  }

  tanhBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
    if (!(dz instanceof Float32Array)) return referenceKernels.tanhBackward(dz, gamma, h, length);
    this.run([[dz, length, true], [gamma as Float32Array, length, false], [h as Float32Array, length, false]], (d, g, y) => this.wasm.tanhBackward(d, g, y, length));
  }

  softmaxCrossEntropy(logits: FloatArray, targets: Int32Array, mask: Float32Array, rows: number, vocab: number): number {
    if (!(logits instanceof Float32Array)) return referenceKernels.softmaxCrossEntropy(logits, targets, mask, rows, vocab);
    return this.run([[logits, rows * vocab, true], [targets, rows, false], [mask, rows, false]], (l, t, m) => this.wasm.softmaxCrossEntropy(l, t, m, rows, vocab));
  }

  softmaxCrossEntropyBackward(probs: FloatArray, targets: Int32Array, mask: Float32Array, scale: number, rows: number, vocab: number): void {
    if (!(probs instanceof Float32Array)) return referenceKernels.softmaxCrossEntropyBackward(probs, targets, mask, scale, rows, vocab);
    this.run([[probs, rows * vocab, true], [targets, rows, false], [mask, rows, false]], (p, t, m) => this.wasm.softmaxCrossEntropyBackward(p, t, m, scale, rows, vocab));
  }

  clip(values: FloatArray, length: number, limit: number): number {
    if (!(values instanceof Float32Array)) return referenceKernels.clip(values, length, limit);
    return this.run([[values, length, true]], (v) => this.wasm.clip(v, length, limit));
  }

  add(out: FloatArray, a: FloatArray, length: number): void {
    if (!(out instanceof Float32Array)) return referenceKernels.add(out, a, length);
    this.run([[out, length, true], [a as Float32Array, length, false]], (o, x) => this.wasm.add(o, x, length));
  }

  adagradStep(params: FloatArray, grads: FloatArray, memory: FloatArray, learningRate: number, epsilon: number, length: number): void {
    if (!(params instanceof Float32Array)) return referenceKernels.adagradStep(params, grads, memory, learningRate, epsilon, length);
    this.run([[params, length, true], [grads as Float32Array, length, false], [memory as Float32Array, length, true]], (p, g, m) => this.wasm.adagradStep(p, g, m, learningRate, epsilon, length));
  }

  transpose(out: FloatArray, a: FloatArray, rows: number, cols: number): void {
    if (!(out instanceof Float32Array)) return referenceKernels.transpose(out, a, rows, cols);
    this.run([[out, rows * cols, true], [a as Float32Array, rows * cols, false]], (o, x) => this.wasm.transpose(o, x, rows, cols));
  }
}
