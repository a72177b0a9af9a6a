/**
 * A hand-made reader and writer for safetensors files, the tensor format of
 * Hugging Face (https://github.com/huggingface/safetensors). PyTorch, JAX and
 * many other tools read and write it.
 *
 * The whole format fits in a few lines:
 *
 *     bytes 0..8        N, the header length, an unsigned 64-bit little-endian integer
 *     bytes 8..8+N      the header: UTF-8 JSON text, maybe padded with trailing spaces
 *     bytes 8+N..end    the byte buffer: every tensor's raw little-endian data
 *
 * The header is one JSON object. Each key is a tensor name and its value says
 * how to read that tensor from the byte buffer:
 *
 *     { "w": { "dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24] }, ... }
 *
 * `data_offsets` is [BEGIN, END): byte positions relative to the start of the
 * byte buffer (not of the file), END exclusive. Tensors are stored row-major
 * ("C order") with no strides. One key is special: `__metadata__`, an optional
 * map of free-form strings to strings (e.g. {"format": "pt"}).
 *
 * The spec adds rules that make the format safe to open even when it comes
 * from a stranger, and this reader enforces all of them:
 * - the header is at most 100,000,000 bytes, so parsing it cannot eat memory;
 * - a key may appear only once (JSON.parse would silently keep the last one);
 * - each tensor's byte range holds exactly product(shape) elements of its dtype;
 * - the ranges cover the byte buffer exactly, with no holes and no overlaps.
 *   That last rule is why loading a file never needs more memory than the file
 *   itself: each byte belongs to exactly one tensor.
 *
 * This module works on bytes only (no `node:` imports), so it runs in browsers
 * too; reading and writing the actual files is the caller's job.
 */
import { BpttError } from '../core/errors.js';

/**
 * Element types defined by the safetensors spec. The names are the exact
 * strings used in the header. F4 and F6_* pack elements in fewer than 8 bits.
 */
export type SafetensorsDType =
  | 'BOOL'
  | 'U8'
  | 'I8'
  | 'F4'
  | 'F6_E2M3'
  | 'F6_E3M2'
  | 'F8_E5M2'
  | 'F8_E4M3'
  | 'F8_E4M3FNUZ'
  | 'F8_E5M2FNUZ'
  | 'F8_E8M0'
  | 'I16'
  | 'U16'
  | 'F16'
  | 'BF16'
  | 'I32'
  | 'U32'
  | 'F32'
  | 'C64'
  | 'F64'
  | 'I64'
  | 'U64';

/** Size of one element of each dtype, in bits (C64 is a pair of F32s). */
export const DTYPE_BITS: Readonly<Record<SafetensorsDType, number>> = Object.freeze({
  BOOL: 8,
  U8: 8,
  I8: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
});

/** The largest header the reference implementation accepts, in bytes. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor as stored in a file: its type, its shape and its raw little-endian bytes. */
export interface Tensor {
  dtype: SafetensorsDType;
  shape: number[];
  /** Raw little-endian element bytes, row-major. The parser returns a copy (byteOffset 0). */
  bytes: Uint8Array;
}

/** Everything a safetensors file holds. */
export interface SafetensorsFile {
  /** Tensors by name, in the order their data appears in the file. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` map, or {} when the file has none. */
  metadata: Record<string, string>;
}

/** A float tensor given as numbers; the writer encodes it as `dtype`. */
export interface FloatTensorInput {
  dtype: 'F32' | 'F64';
  shape: number[];
  data: Float32Array | Float64Array;
}

const METADATA_KEY = '__metadata__';
const DTYPE_NAMES = Object.keys(DTYPE_BITS).join(', ');

// ---------------------------------------------------------------------------
// Small helpers for error messages
// ---------------------------------------------------------------------------

/** Throws a BpttError whose message starts with the file name (when known). */
function fail(source: string | undefined, problem: string, hint: string): never {
  throw new BpttError(`${source ?? 'safetensors data'}: ${problem}`, hint);
}

/** A JSON-quoted, length-limited version of `text`, safe to put in a one-line message. */
function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return JSON.stringify(short); // escapes newlines and quotes
}

/**
 * A short description of any JSON value for a message. It never recurses into
 * arrays or objects, so a hostile, deeply nested header cannot blow the stack
 * or produce a megabyte-long message.
 */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSafetensorsDType(value: string): value is SafetensorsDType {
  return Object.hasOwn(DTYPE_BITS, value); // hasOwn, so "toString" is not a dtype
}

/** True for a whole number from 0 to 2^53-1, the integers a JS number holds exactly. */
function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Matches a UTF-16 surrogate that is not part of a pair (not valid Unicode, not valid UTF-8). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/** A header entry after validation, with its byte range inside the byte buffer. */
interface Entry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads a safetensors file from its bytes. Every problem with the file is
 * reported as a BpttError naming `source` (a file name, used only in messages).
 */
export function parseSafetensors(bytes: Uint8Array, source?: string): SafetensorsFile {
  // 1. The 8-byte header length.
  if (bytes.length < 8) {
    fail(
      source,
      `file is ${bytes.length} bytes long, shorter than the 8-byte header length`,
      'the file is not a safetensors file or is truncated',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A u64 can exceed 2^53, where JS numbers stop being exact, so read it as a BigInt.
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength > BigInt(bytes.length - 8)) {
    fail(
      source,
      `header length ${declaredLength} exceeds the file size ${bytes.length}`,
      'the file is not a safetensors file or is truncated',
    );
  }
  if (declaredLength > BigInt(MAX_HEADER_BYTES)) {
    fail(
      source,
      `header length ${declaredLength} exceeds the ${MAX_HEADER_BYTES}-byte limit of the safetensors format`,
      'the file is corrupt or not a safetensors file',
    );
  }
  const headerLength = Number(declaredLength); // now known to be small enough to be exact
  const dataStart = 8 + headerLength;
  const bufferLength = bytes.length - dataStart;

  // 2. The header text: UTF-8, then JSON, then an object.
  let text: string;
  try {
    // fatal: throw on invalid UTF-8 instead of inserting U+FFFD;
    // ignoreBOM: keep a byte-order mark so that JSON.parse rejects it, as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail(source, `the ${headerLength}-byte header is not valid UTF-8`, 'the file is corrupt or not a safetensors file');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 160) : String(error);
    fail(source, `the header is not valid JSON (${detail})`, 'the file is corrupt or not a safetensors file');
  }
  if (!isPlainObject(header)) {
    fail(source, `the header is ${describe(header)}, not a JSON object`, 'the file is corrupt or not a safetensors file');
  }
  rejectDuplicateKeys(text, source);

  // 3. Each entry: the metadata map, or a tensor description.
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(header)) {
    if (key === METADATA_KEY) metadata = readMetadata(value, source);
    else entries.push(readEntry(key, value, bufferLength, source));
  }

  // 4. The byte ranges must tile the buffer: sorted by position, each one starts
  //    where the previous one ended, and the last one ends at the end of the file.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const entry of entries) {
    if (entry.begin < cursor && previous) {
      fail(
        source,
        `tensor ${quote(entry.name)} data_offsets [${entry.begin}, ${entry.end}] overlap tensor ${quote(previous.name)} [${previous.begin}, ${previous.end}]`,
        'the file is corrupt: each byte of the data buffer must belong to exactly one tensor',
      );
    }
    if (entry.begin > cursor) {
      fail(
        source,
        `bytes [${cursor}, ${entry.begin}) of the data buffer belong to no tensor (a hole before tensor ${quote(entry.name)})`,
        'the file is corrupt: the tensors must cover the data buffer with no gaps',
      );
    }
    cursor = entry.end;
    previous = entry;
  }
  if (cursor !== bufferLength) {
    fail(
      source,
      `the last ${bufferLength - cursor} bytes of the ${bufferLength}-byte data buffer belong to no tensor`,
      'the file is corrupt or has trailing garbage: the tensors must cover the data buffer exactly',
    );
  }

  // 5. Copy each tensor's bytes out. Since ranges never overlap, the copies add up
  //    to at most the file size. A copy also starts at byteOffset 0, so it is
  //    aligned for typed arrays, and it stays valid if the caller reuses `bytes`.
  const tensors = new Map<string, Tensor>();
  for (const entry of entries) {
    tensors.set(entry.name, {
      dtype: entry.dtype,
      shape: entry.shape,
      bytes: bytes.slice(dataStart + entry.begin, dataStart + entry.end),
    });
  }
  return { tensors, metadata };
}

/** Checks `__metadata__`: a JSON object whose values are all strings. */
function readMetadata(value: unknown, source: string | undefined): Record<string, string> {
  if (!isPlainObject(value)) {
    fail(source, `"__metadata__" is ${describe(value)}, not an object of strings`, 'the file is corrupt or not a safetensors file');
  }
  const pairs: [string, string][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      fail(
        source,
        `"__metadata__" value for key ${quote(key)} is ${describe(item)}, not a string`,
        'safetensors metadata may only map strings to strings',
      );
    }
    pairs.push([key, item]);
  }
  // Object.fromEntries defines own properties, so even a key named "__proto__" stays data.
  return Object.fromEntries(pairs);
}

/** Checks one tensor description and returns it in a typed form. */
function readEntry(name: string, value: unknown, bufferLength: number, source: string | undefined): Entry {
  const corrupt = 'the file is corrupt or not a safetensors file';
  const what = `tensor ${quote(name)}`;
  if (!isPlainObject(value)) {
    fail(source, `${what} is described by ${describe(value)}, not an object`, corrupt);
  }

  // dtype
  const dtype = value.dtype;
  if (dtype === undefined) fail(source, `${what} has no "dtype"`, corrupt);
  if (typeof dtype !== 'string') fail(source, `${what} has "dtype" ${describe(dtype)}, not a string`, corrupt);
  if (!isSafetensorsDType(dtype)) {
    fail(source, `${what} has unknown dtype ${quote(dtype)}`, `the safetensors dtypes are ${DTYPE_NAMES}`);
  }

  // shape
  const rawShape = value.shape;
  if (rawShape === undefined) fail(source, `${what} has no "shape"`, corrupt);
  if (!Array.isArray(rawShape)) fail(source, `${what} has "shape" ${describe(rawShape)}, not an array`, corrupt);
  const shape: number[] = [];
  for (let i = 0; i < rawShape.length; i++) {
    const dim: unknown = rawShape[i];
    if (!isSize(dim)) {
      fail(
        source,
        `${what} shape dimension ${i} is ${describe(dim)}`,
        'dimensions must be whole numbers from 0 to 2^53-1; the file is corrupt',
      );
    }
    shape.push(dim === 0 ? 0 : dim); // turn a JSON -0 into 0
  }
  // Multiply in BigInt so that a hostile shape cannot overflow silently.
  let count = 1n;
  for (const dim of shape) count *= BigInt(dim);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail(source, `${what} shape ${formatShape(shape)} has ${count} elements, which overflows 2^53-1`, corrupt);
  }

  // data_offsets
  const offsets = value.data_offsets;
  if (offsets === undefined) fail(source, `${what} has no "data_offsets"`, corrupt);
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    fail(source, `${what} has "data_offsets" ${describe(offsets)}, not a pair [BEGIN, END]`, corrupt);
  }
  const [begin, end] = offsets as unknown[];
  if (!isSize(begin) || !isSize(end)) {
    fail(
      source,
      `${what} has "data_offsets" [${describe(begin)}, ${describe(end)}], not whole numbers from 0 to 2^53-1`,
      corrupt,
    );
  }
  if (begin > end) {
    fail(source, `${what} has "data_offsets" [${begin}, ${end}] whose begin is after its end`, corrupt);
  }
  if (end > bufferLength) {
    fail(
      source,
      `${what} has "data_offsets" [${begin}, ${end}] reaching past the end of the ${bufferLength}-byte data buffer`,
      'the file is truncated or corrupt',
    );
  }

  // The byte range must hold exactly the elements the shape asks for.
  const bits = count * BigInt(DTYPE_BITS[dtype]);
  if (bits % 8n !== 0n) {
    fail(source, `${what} has ${count} ${dtype} elements, which do not fill a whole number of bytes`, corrupt);
  }
  const expected = bits / 8n;
  if (expected !== BigInt(end - begin)) {
    fail(
      source,
      `${what} is ${dtype} with shape ${formatShape(shape)}, which needs ${expected} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin} bytes`,
      corrupt,
    );
  }
  return { name, dtype, shape, begin, end };
}

/**
 * Throws if any JSON object in the header text repeats a key.
 *
 * JSON.parse keeps only the last of two equal keys, so duplicates must be found
 * in the text itself. `text` has already been accepted by JSON.parse, which lets
 * this scan stay small: outside of strings only the structural characters
 * { } [ ] , matter, and every string in key position is followed by ':'.
 * The scan is iterative (an explicit stack), so deep nesting cannot overflow.
 */
function rejectDuplicateKeys(text: string, source: string | undefined): void {
  interface Container {
    keys: Set<string> | null; // null for arrays
    expectingKey: boolean; // true right after '{' or ',' inside an object
    name: string | null; // the key this container is the value of (for messages)
  }
  const stack: Container[] = [];
  let lastKey: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      // Find the closing quote, skipping escaped characters such as \" and \\.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectingKey) {
        // Decode escapes, so that "a" and "\u0061" count as the same key.
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) {
          const where = stack.length === 1 ? 'in the header' : `inside ${quote(top.name ?? '')}`;
          fail(source, `key ${quote(key)} appears twice ${where}`, 'the file is corrupt: safetensors forbids duplicate keys');
        }
        top.keys.add(key);
        top.expectingKey = false;
        lastKey = key;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const name = top?.keys ? lastKey : (top?.name ?? null);
      stack.push({ keys: c === '{' ? new Set() : null, expectingKey: c === '{', name });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top?.keys) {
      top.expectingKey = true;
    }
  }
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

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
export function serializeSafetensors(
  tensors: Record<string, FloatTensorInput | Tensor>,
  metadata?: Record<string, string>,
): Uint8Array {
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
        fail(where, `${what} has dtype ${dtype} with "data"`, 'numbers can be written as F32 or F64 from a Float32Array or Float64Array; pass "bytes" for other dtypes');
      }
      if (data.length !== elements) {
        fail(where, `${what} has shape ${formatShape(shape)} (${elements} elements) but ${data.length} values`, 'make the data length the product of the shape');
      }
      bytes = encodeFloats(data, dtype);
    } else if ('bytes' in input && input.bytes instanceof Uint8Array) {
      const bits = count * BigInt(DTYPE_BITS[dtype]);
      if (bits % 8n !== 0n || input.bytes.length !== Number(bits / 8n)) {
        fail(where, `${what} is ${dtype} with shape ${formatShape(shape)} but has ${input.bytes.length} bytes`, `it needs ${bits}/8 bytes`);
      }
      bytes = input.bytes;
    } else {
      fail(where, `${what} has neither "data" (a Float32Array or Float64Array) nor "bytes" (a Uint8Array)`, 'pass {dtype, shape, data} or {dtype, shape, bytes}');
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
        fail(where, `metadata value for key ${quote(key)} is ${describe(value)}, not a string`, 'safetensors metadata may only map strings to strings; convert the value with String() or JSON.stringify()');
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
    parts.push(
      `${JSON.stringify(item.name)}:{"dtype":"${item.dtype}","shape":[${item.shape.join(',')}],"data_offsets":[${begin},${offset}]}`,
    );
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
    if (dtype === 'F32') view.setFloat32(i * 4, data[i], true); // rounds a float64 to nearest
    else view.setFloat64(i * 8, data[i], true);
  }
  return bytes;
}

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
