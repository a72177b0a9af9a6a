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
import {
  describe,
  DTYPE_BITS,
  DTYPE_NAMES,
  fail,
  formatShape,
  isPlainObject,
  isSafetensorsDType,
  isSize,
  MAX_HEADER_BYTES,
  METADATA_KEY,
  quote,
  type SafetensorsDType,
  type SafetensorsFile,
  type Tensor,
} from './safetensors-format.js';

export { DTYPE_BITS, MAX_HEADER_BYTES, type FloatTensorInput, type SafetensorsDType, type SafetensorsFile, type Tensor } from './safetensors-format.js';
export { serializeSafetensors } from './safetensors-write.js';
export { tensorToFloat32, tensorToFloat64 } from './safetensors-floats.js';

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
    fail(source, `file is ${bytes.length} bytes long, shorter than the 8-byte header length`, 'the file is not a safetensors file or is truncated');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A u64 can exceed 2^53, where JS numbers stop being exact, so read it as a BigInt.
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength > BigInt(bytes.length - 8)) {
    fail(source, `header length ${declaredLength} exceeds the file size ${bytes.length}`, 'the file is not a safetensors file or is truncated');
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
      fail(source, `"__metadata__" value for key ${quote(key)} is ${describe(item)}, not a string`, 'safetensors metadata may only map strings to strings');
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
      fail(source, `${what} shape dimension ${i} is ${describe(dim)}`, 'dimensions must be whole numbers from 0 to 2^53-1; the file is corrupt');
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
    fail(source, `${what} has "data_offsets" [${describe(begin)}, ${describe(end)}], not whole numbers from 0 to 2^53-1`, corrupt);
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
