/**
 * The safetensors format's element types and limits, the types the reader and writer share, and
 * the helpers for their one-line error messages (the format itself: safetensors.ts).
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

export const METADATA_KEY = '__metadata__';
export const DTYPE_NAMES = Object.keys(DTYPE_BITS).join(', ');

// ---------------------------------------------------------------------------
// Small helpers for error messages
// ---------------------------------------------------------------------------

/** Throws a BpttError whose message starts with the file name (when known). */
export function fail(source: string | undefined, problem: string, hint: string): never {
  throw new BpttError(`${source ?? 'safetensors data'}: ${problem}`, hint);
}

/** A JSON-quoted, length-limited version of `text`, safe to put in a one-line message. */
export function quote(text: string): string {
  const short = text.length > 60 ? `${text.slice(0, 60)}...` : text;
  return JSON.stringify(short); // escapes newlines and quotes
}

/**
 * A short description of any JSON value for a message. It never recurses into
 * arrays or objects, so a hostile, deeply nested header cannot blow the stack
 * or produce a megabyte-long message.
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isSafetensorsDType(value: string): value is SafetensorsDType {
  return Object.hasOwn(DTYPE_BITS, value); // hasOwn, so "toString" is not a dtype
}

/** True for a whole number from 0 to 2^53-1, the integers a JS number holds exactly. */
export function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Matches a UTF-16 surrogate that is not part of a pair (not valid Unicode, not valid UTF-8). */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
