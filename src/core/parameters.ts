/**
 * The flat parameter table.
 *
 * A model declares its parameters as a list of specs (name, shape, init). The
 * table lays them end to end in ONE typed array and hands out named views
 * (subarrays) into it. Gradients and every optimizer moment use the same
 * layout in arrays of the same length, so an optimizer, a clipping rule or a
 * checkpoint writer is a single loop over one array, and later a WASM kernel
 * or a worker thread can share the very same buffer.
 *
 *   flat:  [ Wh (H·H) | Wx (H·D) | b1 (H) | U (V·H) | b2 (V) ]
 *   views: { Wh: flat.subarray(0, H·H), Wx: ..., ... }
 */
import { allocate, elementCount, type DType, type FloatArray } from './arrays.js';
import type { Random } from './random.js';

/** How a parameter is initialised. */
export type Init =
  | { kind: 'zeros' }
  | { kind: 'normal'; std: number } // N(0, std²)
  | { kind: 'uniform'; limit: number }; // U(-limit, limit)

/** One named parameter tensor of a model: its shape and how it is initialized. */
export interface ParameterSpec {
  name: string;
  /** Row-major (out, in) for matrices, as in the seed: z = Wh·h means Wh has shape (H, H). */
  shape: number[];
  init: Init;
}

/** A parameter's place in the flat array: `size` scalars from `offset` on. */
export interface ParameterSlot extends ParameterSpec {
  offset: number;
  size: number;
}

/** Every parameter of a model laid out in one flat array, so optimizers and files loop over one array; named views give each tensor. */
export class ParameterLayout {
  readonly slots: readonly ParameterSlot[];
  /** Total number of scalars across all parameters. */
  readonly size: number;
  private readonly byName = new Map<string, ParameterSlot>();

  constructor(specs: readonly ParameterSpec[]) {
    let offset = 0;
    const slots: ParameterSlot[] = [];
    for (const spec of specs) {
      const size = elementCount(spec.shape);
      const slot = { ...spec, shape: [...spec.shape], offset, size };
      slots.push(slot);
      this.byName.set(spec.name, slot);
      offset += size;
    }
    this.slots = slots;
    this.size = offset;
  }

  /** Whether the layout has a parameter `name`. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Named subarray views into a flat array laid out by this table (no copy). */
  views<A extends FloatArray>(flat: A): Record<string, A> {
    if (flat.length !== this.size) throw new Error(`flat array has ${flat.length} elements, layout needs ${this.size}`);
    const views: Record<string, A> = {};
    for (const slot of this.slots) views[slot.name] = flat.subarray(slot.offset, slot.offset + slot.size) as A;
    return views;
  }

  /** A new zeroed flat array with this layout (for parameters, gradients or optimizer moments). */
  allocate(dtype: DType): FloatArray {
    return allocate(dtype, this.size);
  }

  /** Fills a flat parameter array according to each spec's init, in spec order. */
  initialize(flat: FloatArray, random: Random): void {
    for (const slot of this.slots) {
      const view = flat.subarray(slot.offset, slot.offset + slot.size);
      const init = slot.init;
      for (let i = 0; i < view.length; i++) {
        if (init.kind === 'zeros') view[i] = 0;
        else if (init.kind === 'normal') view[i] = init.std * random.normal();
        else view[i] = init.limit * (2 * random.uniform() - 1);
      }
    }
  }
}
