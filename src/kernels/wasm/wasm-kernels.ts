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
import { WasmKernelCalls, type Staged } from './generated/calls.js';

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
    variant === 'relaxed'
      ? await import('./generated/relaxed.js')
      : variant === 'simd'
        ? await import('./generated/simd.js')
        : await import('./generated/scalar.js');
  return decodeBase64(module.bytesBase64);
}

/** Whether this engine can run a variant (SIMD, relaxed SIMD, shared memory). */
export async function wasmVariantSupported(variant: WasmVariant): Promise<boolean> {
  if (typeof WebAssembly === 'undefined' || typeof SharedArrayBuffer === 'undefined') return false;
  const bytes = await variantBytes(variant);
  return WebAssembly.validate(bytes as BufferSource);
}

/**
 * Most kernels' wrappers are generated from the signature table (../signatures.ts) into
 * WasmKernelCalls; this class gives them the module, its memory and the staging of arrays, and
 * writes the few by hand that are not a plain call.
 */
export class WasmKernels extends WasmKernelCalls implements Kernels {
  readonly name: string;
  private readonly staging: Staging;
  /** Where kernels keep intermediate copies (the matrix products' packed B, a transposed W), grown on demand; one per thread. */
  private scratchSpace = { address: 0, bytes: 0 };

  private constructor(
    readonly variant: WasmVariant,
    private readonly heap: WasmHeap,
    private readonly wasm: KernelExports,
  ) {
    super();
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
    for (const started = performance.now(); performance.now() - started < seconds * 1000;) {
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
  protected call(name: string, first: FloatArray, places: [Staged, number, boolean][], extra: number[]): number {
    // Small calls on small batches are many (a dozen per time step): no string building or array copies here.
    const kernel = (first instanceof Float64Array ? this.float64Kernels : this.float32Kernels)[name];
    const args = this.callArguments;
    args.length = 0;
    this.staging.begin();
    for (let i = 0; i < places.length; i++) args.push(this.staging.place(places[i][0], places[i][1], places[i][2]));
    for (let i = 0; i < extra.length; i++) args.push(extra[i]);
    // eslint-disable-next-line prefer-spread -- apply() on the one reused argument array
    const result = kernel.apply(undefined, args);
    this.staging.end();
    return result;
  }

  /** The kernels by name, once per float type (the exports name_f32 and name_f64). */
  private readonly float32Kernels: Record<string, KernelFunction> = {};
  private readonly float64Kernels: Record<string, KernelFunction> = {};
  private readonly callArguments: number[] = [];

  /** The address of scratch space for a product of these dimensions. */
  protected scratchFor(like: FloatArray, m: number, k: number, n: number): number {
    return this.scratch(this.wasm[`matmulScratchElements_${like instanceof Float64Array ? 'f64' : 'f32'}`](m, k, n) * like.BYTES_PER_ELEMENT);
  }

  /** The address of at least `bytes` of this thread's scratch space (kernels use it within one call). */
  protected scratch(bytes: number): number {
    if (bytes > this.scratchSpace.bytes) this.scratchSpace = { address: this.heap.reserve(bytes), bytes };
    return this.scratchSpace.address;
  }

  packedSize(dtype: DType, k: number, n: number): number {
    return this.wasm[`packedElements_${dtype === 'float64' ? 'f64' : 'f32'}`](k, n);
  }

  rmspropStep(
    params: FloatArray,
    grads: FloatArray,
    squareAverage: FloatArray,
    momentumBuffer: FloatArray | null,
    length: number,
    learningRate: number,
    alpha: number,
    epsilon: number,
    momentum: number,
  ): void {
    // Without momentum the buffer's address is never read: the squares' stands in for it.
    const withMomentum = momentumBuffer !== null && momentum > 0;
    const buffer = withMomentum ? momentumBuffer : squareAverage;
    this.call(
      'rmspropStep',
      params,
      [
        [params, length, true],
        [grads, length, false],
        [squareAverage, length, true],
        [buffer, length, withMomentum],
      ],
      [length, learningRate, alpha, epsilon, withMomentum ? momentum : 0],
    );
  }
}
