/** The safetensors writer (the format: safetensors.ts). */
import {
  describe,
  DTYPE_BITS,
  DTYPE_NAMES,
  fail,
  formatShape,
  isPlainObject,
  isSafetensorsDType,
  isSize,
  LONE_SURROGATE,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  quote,
  type FloatTensorInput,
  type SafetensorsDType,
  type Tensor,
} from './safetensors-format.js';

/**
 * Writes tensors and optional string metadata as a safetensors file.
 *
 * Each tensor is either numbers ({dtype: 'F32' | 'F64', shape, data}; a
 * Float64Array written as F32 is rounded to the nearest float32) or raw bytes
 * of any dtype ({dtype, shape, bytes}, as parseSafetensors returns them).
 *
 * Like the reference writer, tensors are ordered by element size (largest
 * first), then by name, and the header is padded with spaces to a multiple of
 * 8 bytes. Together these put every tensor at an offset that is a multiple of
 * its element size, so readers can view the data as typed arrays in place.
 * The output depends only on the contents, not on the order of the keys.
 */
export function serializeSafetensors(tensors: Record<string, FloatTensorInput | Tensor>, metadata?: Record<string, string>): Uint8Array {
  const where = 'cannot write safetensors';

  // 1. Check each tensor and turn it into little-endian bytes.
  const items: { name: string; dtype: SafetensorsDType; shape: number[]; bytes: Uint8Array }[] = [];
  for (const [name, input] of Object.entries(tensors)) {
    const what = `tensor ${quote(name)}`;
    if (name === METADATA_KEY) fail(where, `"${METADATA_KEY}" is reserved and cannot be a tensor name`, 'rename the tensor');
    if (LONE_SURROGATE.test(name)) fail(where, `${what} has a name that is not valid Unicode`, 'rename the tensor');
    if (!isPlainObject(input)) fail(where, `${what} is ${describe(input)}, not a tensor`, 'pass {dtype, shape, data} or {dtype, shape, bytes}');
    const dtype: unknown = input.dtype;
    if (typeof dtype !== 'string' || !isSafetensorsDType(dtype)) {
      fail(where, `${what} has unknown dtype ${describe(dtype)}`, `the safetensors dtypes are ${DTYPE_NAMES}`);
    }
    const shape: unknown = input.shape;
    if (!Array.isArray(shape) || !shape.every(isSize)) {
      fail(where, `${what} has shape ${describe(shape)}`, 'a shape is an array of whole numbers from 0 to 2^53-1');
    }
    let count = 1n;
    for (const dim of shape) count *= BigInt(dim);
    if (count > BigInt(Number.MAX_SAFE_INTEGER)) fail(where, `${what} shape ${formatShape(shape)} is too large`, 'use a smaller shape');
    const elements = Number(count);

    let bytes: Uint8Array;
    if ('data' in input) {
      const data: unknown = input.data;
      if ((dtype !== 'F32' && dtype !== 'F64') || !(data instanceof Float32Array || data instanceof Float64Array)) {
        fail(
          where,
          `${what} has dtype ${dtype} with "data"`,
          'numbers can be written as F32 or F64 from a Float32Array or Float64Array; pass "bytes" for other dtypes',
        );
      }
      if (data.length !== elements) {
        fail(
          where,
          `${what} has shape ${formatShape(shape)} (${elements} elements) but ${data.length} values`,
          'make the data length the product of the shape',
        );
      }
      bytes = encodeFloats(data, dtype);
    } else if ('bytes' in input && input.bytes instanceof Uint8Array) {
      const bits = count * BigInt(DTYPE_BITS[dtype]);
      if (bits % 8n !== 0n || input.bytes.length !== Number(bits / 8n)) {
        fail(where, `${what} is ${dtype} with shape ${formatShape(shape)} but has ${input.bytes.length} bytes`, `it needs ${bits}/8 bytes`);
      }
      bytes = input.bytes;
    } else {
      fail(
        where,
        `${what} has neither "data" (a Float32Array or Float64Array) nor "bytes" (a Uint8Array)`,
        'pass {dtype, shape, data} or {dtype, shape, bytes}',
      );
    }
    items.push({ name, dtype, shape: shape.slice(), bytes });
  }

  // 2. A stable order: larger elements first (keeps every tensor aligned), then by name.
  items.sort((a, b) => DTYPE_BITS[b.dtype] - DTYPE_BITS[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // 3. The header text, written by hand so the key order is exactly ours
  //    (a JS object would move keys like "10" in front of the others).
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (!isPlainObject(metadata)) fail(where, `metadata is ${describe(metadata)}, not an object`, 'pass metadata as an object of strings');
    const pairs: string[] = [];
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') {
        fail(
          where,
          `metadata value for key ${quote(key)} is ${describe(value)}, not a string`,
          'safetensors metadata may only map strings to strings; convert the value with String() or JSON.stringify()',
        );
      }
      if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) {
        fail(where, `metadata entry ${quote(key)} is not valid Unicode`, 'remove unpaired surrogate characters');
      }
      pairs.push(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${pairs.join(',')}}`);
  }
  let offset = 0;
  for (const item of items) {
    const begin = offset;
    offset += item.bytes.length;
    parts.push(`${JSON.stringify(item.name)}:{"dtype":"${item.dtype}","shape":[${item.shape.join(',')}],"data_offsets":[${begin},${offset}]}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  // Pad with spaces so that the data starts at a multiple of 8 (8 + header length).
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) {
    fail(where, `the header would be ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit`, 'write fewer tensors or shorter metadata');
  }

  // 4. Assemble: length, header, padding, data.
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const item of items) {
    out.set(item.bytes, position);
    position += item.bytes.length;
  }
  return out;
}

/** Numbers to little-endian F32 or F64 bytes, whatever the platform's byte order. */
function encodeFloats(data: Float32Array | Float64Array, dtype: 'F32' | 'F64'): Uint8Array {
  const size = dtype === 'F32' ? 4 : 8;
  const bytes = new Uint8Array(data.length * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'F32')
      view.setFloat32(i * 4, data[i], true); // rounds a float64 to nearest
    else view.setFloat64(i * 8, data[i], true);
  }
  return bytes;
}
