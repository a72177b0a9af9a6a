/**
 * The WebAssembly backend: the Kernels interface over the compiled
 * AssemblyScript kernels (./assembly/kernels.ts), for float32 and float64.
 *
 * Arrays that a model allocates through `allocate()` live inside the
 * module's memory, so a kernel call passes only their byte addresses: no
 * copying on the hot path. Arrays from elsewhere (a batch's token ids, a
 * test's inputs) are copied into a staging area for the call, and outputs
 * copied back.
 *
 * The memory is a shared WebAssembly.Memory: growing it never invalidates
 * existing views, and worker threads can later work on the same arrays.
 */
import type { DType, FloatArray } from '../../core/arrays.js';
import type { Kernels } from '../kernels.js';

/** A build of the WebAssembly kernels: scalar, SIMD, or relaxed SIMD (fused multiply-add). */
export type WasmVariant = 'scalar' | 'simd' | 'relaxed';

/** The module's exports: every kernel once per float type (see assembly/kernels.ts). */
type KernelFunction = (...args: number[]) => number;
interface KernelExports {
  heapBase(): number;
  multiplyAddPeak(rounds: number): number;
  multiplyAddPeakFlops(): number;
  [kernel: string]: KernelFunction;
}

const PAGE = 65536;
const MAXIMUM_PAGES = 16384; // 1 GiB; reserved address space, not memory in use
/** The most bytes the kernels' heap can hold (wasm32 could address 4 GiB; bptt reserves this much). */
export const WASM_HEAP_BYTES = MAXIMUM_PAGES * PAGE;

type Staged = Float32Array | Float64Array | Int32Array;

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
    const buffer = array.buffer;
    return buffer === this.latest || this.buffers.has(buffer); // the first test answers almost every call
  }

  /** The buffer the newest views were made on. */
  private latest: ArrayBufferLike | null = null;

  private currentBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    this.latest = buffer;
    return buffer;
  }

  float32(address: number, length: number): Float32Array {
    return new Float32Array(this.currentBuffer(), address, length);
  }

  float64(address: number, length: number): Float64Array {
    return new Float64Array(this.currentBuffer(), address, length);
  }

  /** A view of the same element type as `like`. */
  typed<A extends Staged>(like: A, address: number, length: number): A {
    if (like instanceof Float64Array) return this.float64(address, length) as A;
    if (like instanceof Int32Array) return new Int32Array(this.currentBuffer(), address, length) as A;
    return this.float32(address, length) as A;
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
  private readonly pending: { array: Staged; copy: Staged }[] = [];

  constructor(private readonly heap: WasmHeap) {}

  begin(): void {
    this.used = 0;
    this.pending.length = 0;
  }

  /** The address of `array` for a kernel call: its own, or a copy's (written back by end() if `output`). */
  place(array: Staged, length: number, output: boolean): number {
    if (this.heap.owns(array)) return array.byteOffset;
    const bytes = align(length * array.BYTES_PER_ELEMENT);
    if (this.used + bytes > this.capacity) this.moveTo(Math.max(2 * this.capacity, bytes, 1 << 16));
    const address = this.address + this.used;
    this.used += bytes;
    const copy = this.heap.typed(array, address, length);
    copy.set(array.subarray(0, length));
    if (output) this.pending.push({ array, copy });
    return address;
  }

  end(): void {
    if (this.pending.length === 0) return;
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

/** The Kernels in WebAssembly, on a shared memory that holds the model's arrays (see loadKernels). */
export class WasmKernels implements Kernels {
  readonly name: string;
  private readonly staging: Staging;
  /** Where kernels keep intermediate copies (the matrix products' packed B, a transposed W), grown on demand; one per thread. */
  private scratchSpace = { address: 0, bytes: 0 };

  private constructor(
    readonly variant: WasmVariant,
    private readonly heap: WasmHeap,
    private readonly wasm: KernelExports,
  ) {
    this.name = `wasm-${variant}`;
    this.staging = new Staging(heap);
    for (const [name, kernel] of Object.entries(wasm)) {
      if (name.endsWith('_f32')) this.float32Kernels[name.slice(0, -4)] = kernel;
      if (name.endsWith('_f64')) this.float64Kernels[name.slice(0, -4)] = kernel;
    }
  }

  /**
   * Instantiates the kernels. Without `memory` they get a new shared memory;
   * with one (another thread's `memory`), they share its arrays and allocator.
   */
  static async create(variant: WasmVariant, memory?: WebAssembly.Memory): Promise<WasmKernels> {
    return WasmKernels.fromBytes(variant, await variantBytes(variant), memory);
  }

  /** The same from a given build of the module (another commit's, for bench/kernels-ab.ts). */
  static async fromBytes(variant: WasmVariant, bytes: Uint8Array, memory?: WebAssembly.Memory): Promise<WasmKernels> {
    const shared = memory ?? new WebAssembly.Memory({ initial: 64, maximum: MAXIMUM_PAGES, shared: true });
    const { instance } = await WebAssembly.instantiate(bytes as BufferSource, { env: { memory: shared } });
    const wasm = instance.exports as unknown as KernelExports;
    return new WasmKernels(variant, new WasmHeap(shared, wasm.heapBase(), memory === undefined), wasm);
  }

  /**
   * The arithmetic ceiling of one core with these kernels, in GFLOP/s: independent multiply-adds
   * on registers, no memory (the best of a few timings of about `seconds` in all).
   */
  multiplyAddPeak(seconds = 0.3): number {
    const rounds = 1_000_000;
    this.wasm.multiplyAddPeak(rounds); // compiled and warm
    let best = 0;
    for (const started = performance.now(); performance.now() - started < seconds * 1000; ) {
      const t = performance.now();
      this.wasm.multiplyAddPeak(rounds);
      best = Math.max(best, (rounds * this.wasm.multiplyAddPeakFlops()) / ((performance.now() - t) * 1e6));
    }
    return best;
  }

  /** The memory all this backend's arrays live in; hand it to a worker to share them. */
  get memory(): WebAssembly.Memory {
    return this.heap.memory;
  }

  /** A view of values at an address of this memory (e.g. a model's parameters, from another thread). */
  view(dtype: DType, address: number, length: number): FloatArray {
    return dtype === 'float64' ? this.heap.float64(address, length) : this.heap.float32(address, length);
  }

  allocate(dtype: DType, length: number): FloatArray {
    const address = this.heap.reserve(length * (dtype === 'float64' ? 8 : 4)); // shared memory starts zeroed and is never reused
    return dtype === 'float64' ? this.heap.float64(address, length) : this.heap.float32(address, length);
  }

  /**
   * Calls the kernel `name` for the float type of `first` with the staged
   * addresses of `places` ([array, length, isOutput]) followed by `extra`.
   */
  private call(name: string, first: FloatArray, places: [Staged, number, boolean][], extra: number[]): number {
    // Small calls on small batches are many (a dozen per time step): no string building or array copies here.
    const kernel = (first instanceof Float64Array ? this.float64Kernels : this.float32Kernels)[name];
    const args = this.callArguments;
    args.length = 0;
    this.staging.begin();
    for (let i = 0; i < places.length; i++) args.push(this.staging.place(places[i][0], places[i][1], places[i][2]));
    for (let i = 0; i < extra.length; i++) args.push(extra[i]);
    const result = kernel.apply(undefined, args);
    this.staging.end();
    return result;
  }

  /** The kernels by name, once per float type (the exports name_f32 and name_f64). */
  private readonly float32Kernels: Record<string, KernelFunction> = {};
  private readonly float64Kernels: Record<string, KernelFunction> = {};
  private readonly callArguments: number[] = [];

  /** The address of scratch space for a product of these dimensions. */
  private scratchFor(dtype: FloatArray, m: number, k: number, n: number): number {
    return this.scratch(this.wasm[`matmulScratchElements_${dtype instanceof Float64Array ? 'f64' : 'f32'}`](m, k, n) * dtype.BYTES_PER_ELEMENT);
  }

  /** The address of at least `bytes` of this thread's scratch space (kernels use it within one call). */
  private scratch(bytes: number): number {
    if (bytes > this.scratchSpace.bytes) this.scratchSpace = { address: this.heap.reserve(bytes), bytes };
    return this.scratchSpace.address;
  }

  matmulABt(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
    this.call('matmulABt', out, [[out, m * n, true], [a, m * k, false], [b, n * k, false]], [m, k, n, accumulate ? 1 : 0, this.scratchFor(out, m, k, n)]);
  }

  matmulAB(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
    this.call('matmulAB', out, [[out, m * n, true], [a, m * k, false], [b, k * n, false]], [m, k, n, accumulate ? 1 : 0, this.scratchFor(out, m, k, n)]);
  }

  packedSize(dtype: DType, k: number, n: number): number {
    return this.wasm[`packedElements_${dtype === 'float64' ? 'f64' : 'f32'}`](k, n);
  }

  pack(packed: FloatArray, b: FloatArray, k: number, n: number, transposed: boolean): void {
    this.call('pack', packed, [[packed, this.packedSize(packed instanceof Float64Array ? 'float64' : 'float32', k, n), true], [b, k * n, false]], [k, n, transposed ? 1 : 0]);
  }

  matmulPacked(out: FloatArray, a: FloatArray, packed: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
    const spill = this.scratch(32 * out.BYTES_PER_ELEMENT); // two rows of a panel (16 columns at most)
    this.call('matmulPacked', out, [[out, m * n, true], [a, m * k, false], [packed, packed.length, false]], [m, k, n, accumulate ? 1 : 0, spill]);
  }

  matmulAtBAccumulate(out: FloatArray, a: FloatArray, b: FloatArray, m: number, k: number, n: number): void {
    this.call('matmulAtBAccumulate', out, [[out, m * n, true], [a, k * m, false], [b, k * n, false]], [m, k, n, this.scratchFor(out, m, k, n)]);
  }

  addBias(out: FloatArray, bias: FloatArray, rows: number, cols: number): void {
    this.call('addBias', out, [[out, rows * cols, true], [bias, cols, false]], [rows, cols]);
  }

  sumRowsAccumulate(sums: FloatArray, a: FloatArray, rows: number, cols: number): void {
    this.call('sumRowsAccumulate', sums, [[sums, cols, true], [a, rows * cols, false]], [rows, cols]);
  }

  addWeightColumns(out: FloatArray, weight: FloatArray, ids: Int32Array, rows: number, hidden: number, vocab: number): void {
    this.call('addWeightColumns', out, [[out, rows * hidden, true], [weight, hidden * vocab, false], [ids, rows, false]], [rows, hidden, vocab, this.scratch(hidden * vocab * out.BYTES_PER_ELEMENT)]);
  }

  addToWeightColumns(gradWeight: FloatArray, dz: FloatArray, ids: Int32Array, rows: number, hidden: number, vocab: number): void {
    this.call('addToWeightColumns', gradWeight, [[gradWeight, hidden * vocab, true], [dz, rows * hidden, false], [ids, rows, false]], [rows, hidden, vocab, this.scratch(hidden * vocab * gradWeight.BYTES_PER_ELEMENT)]);
  }

  gatherRows(out: FloatArray, table: FloatArray, ids: Int32Array, rows: number, cols: number): void {
    this.call('gatherRows', out, [[out, rows * cols, true], [table, table.length, false], [ids, rows, false]], [rows, cols]);
  }

  scatterAddRows(gradTable: FloatArray, grad: FloatArray, ids: Int32Array, rows: number, cols: number): void {
    this.call('scatterAddRows', gradTable, [[gradTable, gradTable.length, true], [grad, rows * cols, false], [ids, rows, false]], [rows, cols]);
  }

  sigmoid(values: FloatArray, length: number): void {
    this.call('sigmoid', values, [[values, length, true]], [length]);
  }

  tanh(values: FloatArray, length: number): void {
    this.call('tanh', values, [[values, length, true]], [length]);
  }

  relu(values: FloatArray, length: number): void {
    this.call('relu', values, [[values, length, true]], [length]);
  }

  reluBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
    this.call('reluBackward', dz, [[dz, length, true], [gamma, length, false], [h, length, false]], [length]);
  }

  sigmoidBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
    this.call('sigmoidBackward', dz, [[dz, length, true], [gamma, length, false], [h, length, false]], [length]);
  }

  tanhBackward(dz: FloatArray, gamma: FloatArray, h: FloatArray, length: number): void {
    this.call('tanhBackward', dz, [[dz, length, true], [gamma, length, false], [h, length, false]], [length]);
  }

  softmaxCrossEntropy(logits: FloatArray, targets: Int32Array, mask: Float32Array, rows: number, vocab: number): number {
    return this.call('softmaxCrossEntropy', logits, [[logits, rows * vocab, true], [targets, rows, false], [mask, rows, false]], [rows, vocab]);
  }

  softmaxCrossEntropyBackward(probs: FloatArray, targets: Int32Array, mask: Float32Array, scale: number, rows: number, vocab: number): void {
    this.call('softmaxCrossEntropyBackward', probs, [[probs, rows * vocab, true], [targets, rows, false], [mask, rows, false]], [scale, rows, vocab]);
  }

  lstmGates(gates: FloatArray, c: FloatArray, h: FloatArray, cPrev: FloatArray, rows: number, hidden: number): void {
    const H = rows * hidden;
    this.call('lstmGates', gates, [[gates, 4 * H, true], [c, H, true], [h, H, true], [cPrev, H, false]], [rows, hidden]);
  }

  lstmGatesBackward(dGates: FloatArray, kappa: FloatArray, gamma: FloatArray, gates: FloatArray, c: FloatArray, cPrev: FloatArray, rows: number, hidden: number): void {
    const H = rows * hidden;
    this.call('lstmGatesBackward', dGates, [[dGates, 4 * H, true], [kappa, H, true], [gamma, H, false], [gates, 4 * H, false], [c, H, false], [cPrev, H, false]], [rows, hidden]);
  }

  multiply(out: FloatArray, a: FloatArray, length: number): void {
    this.call('multiply', out, [[out, length, true], [a, length, false]], [length]);
  }

  gruGates(gates: FloatArray, p: FloatArray, qn: FloatArray, hPrev: FloatArray, h: FloatArray, rows: number, hidden: number): void {
    const H = rows * hidden;
    this.call('gruGates', gates, [[gates, 3 * H, true], [p, 3 * H, false], [qn, H, true], [hPrev, H, false], [h, H, true]], [rows, hidden]);
  }

  gruGatesBackward(dq: FloatArray, dp: FloatArray, gammaPrev: FloatArray, gamma: FloatArray, gates: FloatArray, qn: FloatArray, hPrev: FloatArray, rows: number, hidden: number): void {
    const H = rows * hidden;
    this.call('gruGatesBackward', dq, [[dq, 3 * H, true], [dp, 3 * H, true], [gammaPrev, H, true], [gamma, H, false], [gates, 3 * H, false], [qn, H, false], [hPrev, H, false]], [rows, hidden]);
  }

  sumOfSquares(values: FloatArray, length: number): number {
    return this.call('sumOfSquares', values, [[values, length, false]], [length]);
  }

  clip(values: FloatArray, length: number, limit: number): number {
    return this.call('clip', values, [[values, length, true]], [length, limit]);
  }

  add(out: FloatArray, a: FloatArray, length: number): void {
    this.call('add', out, [[out, length, true], [a, length, false]], [length]);
  }

  adagradStep(params: FloatArray, grads: FloatArray, memory: FloatArray, learningRate: number, epsilon: number, length: number): void {
    this.call('adagradStep', params, [[params, length, true], [grads, length, false], [memory, length, true]], [learningRate, epsilon, length]);
  }

  rmspropStep(params: FloatArray, grads: FloatArray, squareAverage: FloatArray, momentumBuffer: FloatArray | null, length: number, learningRate: number, alpha: number, epsilon: number, momentum: number): void {
    // Without momentum the buffer's address is never read: the squares' stands in for it.
    const withMomentum = momentumBuffer !== null && momentum > 0;
    const buffer = withMomentum ? momentumBuffer : squareAverage;
    this.call('rmspropStep', params, [[params, length, true], [grads, length, false], [squareAverage, length, true], [buffer, length, withMomentum]], [length, learningRate, alpha, epsilon, withMomentum ? momentum : 0]);
  }

  adamStep(params: FloatArray, grads: FloatArray, firstMoment: FloatArray, secondMoment: FloatArray, length: number, beta1: number, beta2: number, epsilon: number, stepSize: number, secondCorrection: number, keep: number): void {
    this.call('adamStep', params, [[params, length, true], [grads, length, false], [firstMoment, length, true], [secondMoment, length, true]], [length, beta1, beta2, epsilon, stepSize, secondCorrection, keep]);
  }

  transpose(out: FloatArray, a: FloatArray, rows: number, cols: number): void {
    this.call('transpose', out, [[out, rows * cols, true], [a, rows * cols, false]], [rows, cols]);
  }
}
