/** Float tensors' bytes (F64, F32, F16, BF16) as numbers (the format: safetensors.ts). */
import { DTYPE_BITS, fail, formatShape, quote, type SafetensorsDType, type Tensor } from './safetensors-format.js';

// ---------------------------------------------------------------------------
// Decoding tensor bytes to numbers
// ---------------------------------------------------------------------------

/** Checks that `t` is a float tensor whose byte count matches its shape; returns the element count. */
function floatElementCount(t: Tensor, name: string): number {
  const what = `tensor ${quote(name)}`;
  if (t.dtype !== 'F64' && t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
    fail(undefined, `${what} has dtype ${String(t.dtype)}`, 'only F64, F32, F16 and BF16 tensors can be read as numbers; save the model with a float dtype');
  }
  let count = 1;
  for (const dim of t.shape) count *= dim;
  const expected = count * (DTYPE_BITS[t.dtype] / 8);
  if (!Number.isSafeInteger(count) || t.bytes.length !== expected) {
    fail(undefined, `${what} is ${t.dtype} with shape ${formatShape(t.shape)} but has ${t.bytes.length} bytes`, `it needs ${expected} bytes`);
  }
  return count;
}

/**
 * Decodes a float tensor (F64, F32, F16 or BF16) into a Float64Array, exactly.
 * Uses a DataView, so the bytes may sit at any offset and the platform's own
 * byte order does not matter. `name` is only used in error messages.
 */
export function tensorToFloat64(t: Tensor, name: string): Float64Array {
  return decodeFloats(t, name, (count) => new Float64Array(count));
}

/**
 * Decodes a float tensor into a Float32Array. F64 values are rounded to the
 * nearest float32; F32, F16 and BF16 values are exact.
 */
export function tensorToFloat32(t: Tensor, name: string): Float32Array {
  return decodeFloats(t, name, (count) => new Float32Array(count));
}

function decodeFloats<A extends Float32Array | Float64Array>(t: Tensor, name: string, allocate: (count: number) => A): A {
  const count = floatElementCount(t, name);
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const out = allocate(count);
  for (let i = 0; i < count; i++) out[i] = readFloat(view, t.dtype, i);
  return out;
}

function readFloat(view: DataView, dtype: SafetensorsDType, i: number): number {
  switch (dtype) {
    case 'F64':
      return view.getFloat64(i * 8, true);
    case 'F32':
      return view.getFloat32(i * 4, true);
    case 'F16':
      return halfToNumber(view.getUint16(i * 2, true));
    case 'BF16':
      return bfloat16ToNumber(view.getUint16(i * 2, true));
    default:
      throw new Error(`unreachable: ${dtype}`);
  }
}

/** IEEE 754 half precision: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 is the top half of a float32, so put the bits back and read a float32. */
const scratch = new DataView(new ArrayBuffer(4));
function bfloat16ToNumber(bits: number): number {
  scratch.setUint32(0, bits << 16); // same byte order for the write and the read below
  return scratch.getFloat32(0);
}
