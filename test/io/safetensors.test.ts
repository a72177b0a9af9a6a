import { describe, it, expect } from 'vitest';
import { BpttError } from '../../src/core/errors.js';
import {
  DTYPE_BITS,
  MAX_HEADER_BYTES,
  parseSafetensors,
  serializeSafetensors,
  tensorToFloat32,
  tensorToFloat64,
  type Tensor,
} from '../../src/io/safetensors.js';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const ascii = (text: string): number[] => Array.from(new TextEncoder().encode(text));

/** The 8 little-endian bytes of an unsigned 64-bit integer. */
function u64(value: bigint): number[] {
  const bytes: number[] = [];
  for (let i = 0n; i < 8n; i++) bytes.push(Number((value >> (8n * i)) & 0xffn));
  return bytes;
}

/** A file built by hand: header length, header text, data bytes. */
function fileOf(header: string | number[], data: number[] = [], declaredLength?: bigint): Uint8Array {
  const headerBytes = typeof header === 'string' ? ascii(header) : header;
  return new Uint8Array([...u64(declaredLength ?? BigInt(headerBytes.length)), ...headerBytes, ...data]);
}

/** A file whose header is JSON.stringify(header), with `dataLength` zero bytes of data. */
function fileWith(header: unknown, dataLength = 0): Uint8Array {
  return fileOf(JSON.stringify(header), new Array<number>(dataLength).fill(0));
}

function entry(dtype: string, shape: unknown, begin: unknown, end: unknown): Record<string, unknown> {
  return { dtype, shape, data_offsets: [begin, end] };
}

/** Runs `fn`, expecting a single-line BpttError whose message matches every pattern. */
function expectBpttError(fn: () => unknown, ...patterns: RegExp[]): BpttError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a BpttError to be thrown').toBeInstanceOf(BpttError);
  const error = caught as BpttError;
  expect(error.message).not.toMatch(/\n/);
  for (const pattern of patterns) expect(error.message).toMatch(pattern);
  return error;
}

/** Seeded PRNG (mulberry32): the same seed gives the same numbers on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads the header JSON of a file (no validation), to look at what a writer wrote. */
function rawHeader(file: Uint8Array): { length: number; text: string } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { length, text: new TextDecoder().decode(file.subarray(8, 8 + length)) };
}

// ---------------------------------------------------------------------------
// Round trips through our own writer and reader
// ---------------------------------------------------------------------------

describe('serializeSafetensors + parseSafetensors round trip', () => {
  it('keeps F32 values, shapes and metadata exactly', () => {
    const random = mulberry32(1);
    const data = Float32Array.from({ length: 12 }, () => random() * 200 - 100);
    const file = serializeSafetensors({ 'rnn.W_xh': { dtype: 'F32', shape: [3, 4], data } }, { format: 'pt', 'bptt.version': '0.1.0' });
    const parsed = parseSafetensors(file, 'model.safetensors');
    expect(parsed.metadata).toEqual({ format: 'pt', 'bptt.version': '0.1.0' });
    const t = parsed.tensors.get('rnn.W_xh')!;
    expect(t.dtype).toBe('F32');
    expect(t.shape).toEqual([3, 4]);
    expect(tensorToFloat32(t, 'rnn.W_xh')).toEqual(data);
    expect(Array.from(tensorToFloat64(t, 'rnn.W_xh'))).toEqual(Array.from(data));
  });

  it('keeps F64 values exactly, including -0, NaN, infinities and subnormals', () => {
    const data = Float64Array.from([Math.PI, -0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 1 / 3]);
    const file = serializeSafetensors({ v: { dtype: 'F64', shape: [2, 2, 2], data } });
    const parsed = parseSafetensors(file);
    expect(parsed.metadata).toEqual({});
    const t = parsed.tensors.get('v')!;
    expect(t.shape).toEqual([2, 2, 2]);
    const back = tensorToFloat64(t, 'v');
    for (let i = 0; i < data.length; i++) expect(Object.is(back[i], data[i])).toBe(true);
  });

  it('handles a scalar (shape []) and zero-size tensors', () => {
    const file = serializeSafetensors({
      scalar: { dtype: 'F64', shape: [], data: Float64Array.of(2.5) },
      empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
      alsoEmpty: { dtype: 'F64', shape: [4, 0], data: new Float64Array(0) },
    });
    const parsed = parseSafetensors(file);
    expect(parsed.tensors.get('scalar')!.shape).toEqual([]);
    expect(Array.from(tensorToFloat64(parsed.tensors.get('scalar')!, 'scalar'))).toEqual([2.5]);
    expect(parsed.tensors.get('empty')!.shape).toEqual([0, 3]);
    expect(parsed.tensors.get('empty')!.bytes.length).toBe(0);
    expect(tensorToFloat32(parsed.tensors.get('alsoEmpty')!, 'alsoEmpty').length).toBe(0);
    // The empty tensors get begin == end in the header.
    const header = JSON.parse(rawHeader(file).text);
    expect(header.empty.data_offsets[0]).toBe(header.empty.data_offsets[1]);
  });

  it('writes raw-byte tensors of other dtypes and keeps every tensor aligned to its element size', () => {
    const file = serializeSafetensors({
      a_byte: { dtype: 'U8', shape: [3], bytes: Uint8Array.of(1, 2, 3) },
      b_f32: { dtype: 'F32', shape: [1], data: Float32Array.of(1) },
      c_i16: { dtype: 'I16', shape: [1], bytes: Uint8Array.of(0xff, 0x7f) },
      d_f64: { dtype: 'F64', shape: [1], data: Float64Array.of(1) },
    });
    const { length, text } = rawHeader(file);
    expect((8 + length) % 8).toBe(0);
    const header = JSON.parse(text);
    // Reference order: larger elements first, then by name.
    expect(Object.keys(header)).toEqual(['d_f64', 'b_f32', 'c_i16', 'a_byte']);
    for (const name of Object.keys(header)) {
      const size = DTYPE_BITS[header[name].dtype as keyof typeof DTYPE_BITS] / 8;
      expect(header[name].data_offsets[0] % size).toBe(0);
    }
    const parsed = parseSafetensors(file);
    expect(Array.from(parsed.tensors.get('a_byte')!.bytes)).toEqual([1, 2, 3]);
    expect(Array.from(parsed.tensors.get('c_i16')!.bytes)).toEqual([0xff, 0x7f]);
    expect([...parsed.tensors.keys()]).toEqual(['d_f64', 'b_f32', 'c_i16', 'a_byte']);
  });

  it('rounds Float64Array data written as F32 to the nearest float32', () => {
    const file = serializeSafetensors({ w: { dtype: 'F32', shape: [2], data: Float64Array.of(0.1, 1 / 3) } });
    const back = tensorToFloat64(parseSafetensors(file).tensors.get('w')!, 'w');
    expect(Array.from(back)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
  });

  it('gives the same bytes whatever the key order, and pads the header with spaces', () => {
    const x = { dtype: 'F32' as const, shape: [1], data: Float32Array.of(1) };
    const y = { dtype: 'F32' as const, shape: [2], data: Float32Array.of(2, 3) };
    const one = serializeSafetensors({ x, y, '10': x, '2': y });
    const two = serializeSafetensors({ y, '2': y, x, '10': x });
    expect(one).toEqual(two);
    const { length, text } = rawHeader(one);
    expect(length % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    expect(text.indexOf('"10"')).toBeLessThan(text.indexOf('"2"')); // plain name order, not JS integer-key order
  });

  it('keeps awkward names: unicode, quotes, newlines, "__proto__", integers', () => {
    const names = ['héllo wörld ✓', 'a"b\\c', 'line\nbreak', '__proto__', '7', ''];
    const input: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    names.forEach((name, i) =>
      Object.defineProperty(input, name, {
        value: { dtype: 'F32', shape: [1], data: Float32Array.of(i) },
        enumerable: true,
      }),
    );
    const metadata = Object.fromEntries([
      ['__proto__', 'still data'],
      ['emoji', '🎉'],
    ]);
    const parsed = parseSafetensors(serializeSafetensors(input, metadata));
    expect([...parsed.tensors.keys()].sort()).toEqual([...names].sort());
    names.forEach((name, i) => expect(tensorToFloat64(parsed.tensors.get(name)!, name)[0]).toBe(i));
    expect(Object.keys(parsed.metadata).sort()).toEqual(['__proto__', 'emoji']);
    expect(Object.getOwnPropertyDescriptor(parsed.metadata, '__proto__')?.value).toBe('still data');
  });

  it('returns copies that do not change when the input buffer is reused', () => {
    const file = serializeSafetensors({ w: { dtype: 'F32', shape: [1], data: Float32Array.of(7) } });
    const t = parseSafetensors(file).tensors.get('w')!;
    file.fill(0);
    expect(tensorToFloat32(t, 'w')[0]).toBe(7);
  });
});

// ---------------------------------------------------------------------------
// Files built by hand from the spec, byte by byte
// ---------------------------------------------------------------------------

describe('hand-built files', () => {
  // One F32 tensor "attn.0" of shape [1, 2, 3] holding 0..5. Its header happens
  // to be exactly 64 bytes, so no padding; floats are IEEE 754 little-endian
  // (1.0 = 0x3F800000 -> 00 00 80 3F).
  const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
  const floats = [
    [0x00, 0x00, 0x00, 0x00], // 0
    [0x00, 0x00, 0x80, 0x3f], // 1
    [0x00, 0x00, 0x00, 0x40], // 2
    [0x00, 0x00, 0x40, 0x40], // 3
    [0x00, 0x00, 0x80, 0x40], // 4
    [0x00, 0x00, 0xa0, 0x40], // 5
  ].flat();
  const known = new Uint8Array([64, 0, 0, 0, 0, 0, 0, 0, ...ascii(header), ...floats]);

  it('parses a known file', () => {
    expect(header.length).toBe(64);
    const parsed = parseSafetensors(known);
    expect([...parsed.tensors.keys()]).toEqual(['attn.0']);
    const t = parsed.tensors.get('attn.0')!;
    expect(t.dtype).toBe('F32');
    expect(t.shape).toEqual([1, 2, 3]);
    expect(Array.from(tensorToFloat64(t, 'attn.0'))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('writes exactly the same bytes for the same tensor', () => {
    const out = serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) } });
    expect(out).toEqual(known);
  });

  it('writes an empty file as "{}" padded to 8 bytes, and metadata first', () => {
    expect(serializeSafetensors({})).toEqual(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]));
    const withMeta = '{"__metadata__":{"framework":"pt"}}'; // 35 bytes, padded to 40
    expect(serializeSafetensors({}, { framework: 'pt' })).toEqual(new Uint8Array([40, 0, 0, 0, 0, 0, 0, 0, ...ascii(withMeta), 32, 32, 32, 32, 32]));
    expect(parseSafetensors(fileOf('{}      '))).toEqual({ tensors: new Map(), metadata: {} });
  });

  it('reads an unpadded header with whitespace, any key order, several dtypes and unaligned offsets', () => {
    const text = `{
      "b16": {"data_offsets": [1, 5], "shape": [2], "dtype": "BF16"},
      "flag": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
      "__metadata__": {"format": "pt"},
      "h": {"dtype": "F16", "shape": [2, 2], "data_offsets": [5, 13]},
      "d": {"shape": [], "dtype": "F64", "data_offsets": [13, 21]}
    }`;
    const data = [
      0x01, // flag: U8 1
      0x80,
      0x3f,
      0x40,
      0xc0, // b16: BF16 0x3F80 = 1, 0xC040 = -3
      0x00,
      0x3c,
      0x00,
      0xc0,
      0xff,
      0x7b,
      0x01,
      0x00, // h: F16 1, -2, 65504 (max), 2^-24 (smallest subnormal)
      0,
      0,
      0,
      0,
      0,
      0,
      0xe0,
      0xbf, // d: F64 0xBFE0000000000000 = -0.5
    ];
    const file = fileOf(text, data);
    // Put the file at an odd offset inside a bigger buffer, so no typed-array alignment holds.
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    const parsed = parseSafetensors(big.subarray(3), 'hand.safetensors');
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect([...parsed.tensors.keys()]).toEqual(['flag', 'b16', 'h', 'd']); // data order
    expect(Array.from(parsed.tensors.get('flag')!.bytes)).toEqual([1]);
    expect(Array.from(tensorToFloat64(parsed.tensors.get('b16')!, 'b16'))).toEqual([1, -3]);
    expect(Array.from(tensorToFloat64(parsed.tensors.get('h')!, 'h'))).toEqual([1, -2, 65504, 2 ** -24]);
    expect(parsed.tensors.get('h')!.shape).toEqual([2, 2]);
    expect(Array.from(tensorToFloat64(parsed.tensors.get('d')!, 'd'))).toEqual([-0.5]);
  });

  it('decodes F32 and F64 at unaligned offsets in the data buffer', () => {
    // Header of 61 bytes: the data starts at byte 69, and "f" starts 1 byte later.
    const text =
      '{"u":{"dtype":"I8","shape":[1],"data_offsets":[0,1]},"f":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"g":{"dtype":"F64","shape":[1],"data_offsets":[9,17]}}';
    const f = new Uint8Array(8);
    new DataView(f.buffer).setFloat32(0, 1.5, true);
    new DataView(f.buffer).setFloat32(4, -7.25, true);
    const g = new Uint8Array(8);
    new DataView(g.buffer).setFloat64(0, Math.E, true);
    const parsed = parseSafetensors(fileOf(text, [0x80, ...f, ...g]));
    expect(Array.from(tensorToFloat32(parsed.tensors.get('f')!, 'f'))).toEqual([1.5, -7.25]);
    expect(Array.from(tensorToFloat64(parsed.tensors.get('g')!, 'g'))).toEqual([Math.E]);
    // A Tensor whose bytes are an unaligned view (not a copy) decodes too.
    const view = new Uint8Array(9);
    view.set(f, 1);
    expect(Array.from(tensorToFloat64({ dtype: 'F32', shape: [2], bytes: view.subarray(1) }, 'view'))).toEqual([1.5, -7.25]);
  });

  it('decodes F16 specials: -0, infinities, NaN', () => {
    const bytes = new Uint8Array([0x00, 0x80, 0x00, 0x7c, 0x00, 0xfc, 0x00, 0x7e]);
    const out = tensorToFloat64({ dtype: 'F16', shape: [4], bytes }, 'specials');
    expect(Object.is(out[0], -0)).toBe(true);
    expect(out[1]).toBe(Infinity);
    expect(out[2]).toBe(-Infinity);
    expect(out[3]).toBeNaN();
  });

  it('accepts sub-byte dtypes when the elements fill whole bytes', () => {
    const parsed = parseSafetensors(fileWith({ q: entry('F4', [4], 0, 2), s: entry('F6_E2M3', [4], 2, 5) }, 5));
    expect(parsed.tensors.get('q')!.bytes.length).toBe(2);
    expect(parsed.tensors.get('s')!.bytes.length).toBe(3);
  });

  it('accepts a zero-size tensor between two others and ignores unknown entry fields', () => {
    const file = fileWith(
      {
        a: entry('U8', [2], 0, 2),
        z: { ...entry('F32', [3, 0], 2, 2), extra: 'ignored' },
        b: entry('U8', [1], 2, 3),
      },
      3,
    );
    const parsed = parseSafetensors(file);
    expect(parsed.tensors.get('z')!.shape).toEqual([3, 0]);
    expect(parsed.tensors.size).toBe(3);
  });

  it('is not fooled by braces, commas and escaped quotes inside names', () => {
    const parsed = parseSafetensors(fileWith({ 'a{,}"[': entry('U8', [1], 0, 1), 'a{,}"': entry('U8', [1], 1, 2) }, 2));
    expect([...parsed.tensors.keys()]).toEqual(['a{,}"[', 'a{,}"']);
  });
});

// ---------------------------------------------------------------------------
// Rejections by the reader
// ---------------------------------------------------------------------------

describe('parseSafetensors rejects', () => {
  const ok = entry('F32', [2], 0, 8); // a valid entry for an 8-byte buffer

  it('a file shorter than 8 bytes', () => {
    expectBpttError(() => parseSafetensors(new Uint8Array(0), 'empty.safetensors'), /^empty\.safetensors: /, /0 bytes long/, /shorter than the 8-byte/);
    expectBpttError(() => parseSafetensors(new Uint8Array(7)), /7 bytes long/, /truncated/);
  });

  it('a header length beyond the file size, read as a full u64', () => {
    const file = fileOf('{}', [], 0xffffffffffffffffn);
    expectBpttError(
      () => parseSafetensors(file, 'model.safetensors'),
      /^model\.safetensors: header length 18446744073709551615 exceeds the file size 10; the file is not a safetensors file or is truncated$/,
    );
    // High 32 bits set, low bits small: must not be read as just the low word.
    expectBpttError(() => parseSafetensors(fileOf('{}', [], 2n + (1n << 32n))), /header length 4294967298 exceeds the file size/);
    expectBpttError(() => parseSafetensors(fileOf('{}', [], 3n)), /header length 3 exceeds the file size 10/);
  });

  it('a header length over the 100,000,000-byte limit', () => {
    const file = new Uint8Array(8 + MAX_HEADER_BYTES + 8);
    file.set(u64(BigInt(MAX_HEADER_BYTES + 1)));
    expectBpttError(() => parseSafetensors(file), /header length 100000001 exceeds the 100000000-byte limit/);
  });

  it('a header that is not UTF-8', () => {
    expectBpttError(() => parseSafetensors(fileOf([...ascii('{"'), 0xff, 0xfe, ...ascii('":1}')])), /not valid UTF-8/);
  });

  it('a header that is not JSON (including an empty header and a byte-order mark)', () => {
    expectBpttError(() => parseSafetensors(fileOf('{"a":')), /not valid JSON/);
    expectBpttError(() => parseSafetensors(fileOf('')), /not valid JSON/);
    expectBpttError(() => parseSafetensors(fileOf([0xef, 0xbb, 0xbf, ...ascii('{}')])), /not valid JSON/);
    expectBpttError(() => parseSafetensors(fileOf('{"a":x\n}')), /not valid JSON/); // the parser's detail is kept on one line
  });

  it('a header that is JSON but not an object', () => {
    expectBpttError(() => parseSafetensors(fileOf('[]')), /header is an array of 0 items, not a JSON object/);
    expectBpttError(() => parseSafetensors(fileOf('null')), /header is null, not a JSON object/);
    expectBpttError(() => parseSafetensors(fileOf('"hi"')), /header is the string "hi", not a JSON object/);
    expectBpttError(() => parseSafetensors(fileOf('42')), /header is 42, not a JSON object/);
  });

  it('a tensor entry that is not an object', () => {
    expectBpttError(() => parseSafetensors(fileWith({ w: 3 })), /tensor "w" is described by 3, not an object/);
    expectBpttError(() => parseSafetensors(fileWith({ w: ['F32', [1], [0, 4]] })), /tensor "w" is described by an array of 3 items/);
    expectBpttError(() => parseSafetensors(fileWith({ w: null })), /tensor "w" is described by null/);
  });

  it('a missing or wrong-typed dtype, and unknown dtypes', () => {
    expectBpttError(() => parseSafetensors(fileWith({ w: { shape: [2], data_offsets: [0, 8] } }, 8)), /tensor "w" has no "dtype"/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, dtype: 32 } }, 8)), /tensor "w" has "dtype" 32, not a string/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, dtype: 'F17' } }, 8)), /tensor "w" has unknown dtype "F17"/, /F32/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, dtype: 'f32' } }, 8)), /unknown dtype "f32"/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, dtype: 'toString' } }, 8)), /unknown dtype "toString"/);
  });

  it('a missing or wrong-typed shape', () => {
    expectBpttError(() => parseSafetensors(fileWith({ w: { dtype: 'F32', data_offsets: [0, 8] } }, 8)), /tensor "w" has no "shape"/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: 2 } }, 8)), /tensor "w" has "shape" 2, not an array/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: { 0: 2 } } }, 8)), /"shape" an object, not an array/);
  });

  it('negative, fractional, unsafe or non-number shape dimensions', () => {
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: [2, -1] } }, 8)), /tensor "w" shape dimension 1 is -1/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: [1.5] } }, 8)), /dimension 0 is 1\.5/);
    expectBpttError(
      () => parseSafetensors(fileOf('{"w":{"dtype":"F32","shape":[9007199254740993],"data_offsets":[0,8]}}', new Array(8).fill(0))),
      /dimension 0 is 9007199254740992/,
      /2\^53-1/,
    );
    expectBpttError(
      () => parseSafetensors(fileOf('{"w":{"dtype":"F32","shape":[1e400],"data_offsets":[0,8]}}', new Array(8).fill(0))),
      /dimension 0 is Infinity/,
    );
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: ['2'] } }, 8)), /dimension 0 is the string "2"/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: [null] } }, 8)), /dimension 0 is null/);
  });

  it('a shape whose element count overflows', () => {
    const huge = 2 ** 30;
    expectBpttError(
      () => parseSafetensors(fileWith({ w: { ...ok, shape: [huge, huge, huge] } }, 8)),
      /shape \[1073741824, 1073741824, 1073741824\] has 1237940039285380274899124224 elements, which overflows/,
    );
    // Each dimension is safe but the product is not, even before the dtype size.
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, shape: [2 ** 27, 2 ** 27] } }, 8)), /overflows/);
  });

  it('missing or malformed data_offsets', () => {
    expectBpttError(() => parseSafetensors(fileWith({ w: { dtype: 'F32', shape: [2] } }, 8)), /tensor "w" has no "data_offsets"/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, data_offsets: [0, 4, 8] } }, 8)), /"data_offsets" an array of 3 items, not a pair/);
    expectBpttError(() => parseSafetensors(fileWith({ w: { ...ok, data_offsets: '0-8' } }, 8)), /"data_offsets" the string "0-8", not a pair/);
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F32', [2], 0.5, 8) }, 8)), /"data_offsets" \[0\.5, 8\], not whole numbers/);
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F32', [2], -8, 0) }, 8)), /"data_offsets" \[-8, 0\], not whole numbers/);
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F32', [2], '0', 8) }, 8)), /\[the string "0", 8\]/);
  });

  it('begin after end', () => {
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F32', [0], 8, 0) }, 8)), /tensor "w" has "data_offsets" \[8, 0\] whose begin is after its end/);
  });

  it('an end beyond the data buffer', () => {
    expectBpttError(
      () => parseSafetensors(fileWith({ w: entry('F32', [2], 0, 8) }, 7), 'cut.safetensors'),
      /^cut\.safetensors: tensor "w" has "data_offsets" \[0, 8\] reaching past the end of the 7-byte data buffer/,
      /truncated/,
    );
  });

  it('a byte length that does not match shape and dtype', () => {
    expectBpttError(
      () => parseSafetensors(fileWith({ w: entry('F32', [3], 0, 8) }, 8)),
      /tensor "w" is F32 with shape \[3\], which needs 12 bytes, but its data_offsets \[0, 8\] span 8 bytes/,
    );
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F64', [], 0, 4) }, 4)), /F64 with shape \[\], which needs 8 bytes/);
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F32', [0], 0, 4) }, 4)), /needs 0 bytes/);
    expectBpttError(() => parseSafetensors(fileWith({ w: entry('F4', [3], 0, 2) }, 2)), /3 F4 elements, which do not fill a whole number of bytes/);
  });

  it('overlapping tensors', () => {
    expectBpttError(
      () => parseSafetensors(fileWith({ a: entry('F32', [2], 0, 8), b: entry('F32', [1], 4, 8) }, 8)),
      /tensor "b" data_offsets \[4, 8\] overlap tensor "a" \[0, 8\]/,
    );
    // Two tensors sharing the same bytes.
    expectBpttError(() => parseSafetensors(fileWith({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 0, 8) }, 8)), /overlap/);
    // Like the reference reader, an empty range strictly inside another tensor counts as overlap.
    expectBpttError(() => parseSafetensors(fileWith({ a: entry('F32', [2], 0, 8), e: entry('F32', [0], 4, 4) }, 8)), /tensor "e" .* overlap tensor "a"/);
  });

  it('holes in the data buffer, at the start, the middle or the end', () => {
    expectBpttError(
      () => parseSafetensors(fileWith({ a: entry('F32', [1], 4, 8) }, 8)),
      /bytes \[0, 4\) of the data buffer belong to no tensor \(a hole before tensor "a"\)/,
    );
    expectBpttError(
      () => parseSafetensors(fileWith({ a: entry('F32', [1], 0, 4), b: entry('F32', [1], 8, 12) }, 12)),
      /bytes \[4, 8\) .* hole before tensor "b"/,
    );
    expectBpttError(() => parseSafetensors(fileWith({ a: entry('F32', [1], 0, 4) }, 6)), /the last 2 bytes of the 6-byte data buffer belong to no tensor/);
    expectBpttError(() => parseSafetensors(fileWith({}, 1)), /the last 1 bytes of the 1-byte data buffer/);
  });

  it('a __metadata__ that is not a string-to-string map', () => {
    expectBpttError(() => parseSafetensors(fileWith({ __metadata__: 'pt' })), /"__metadata__" is the string "pt", not an object of strings/);
    expectBpttError(() => parseSafetensors(fileWith({ __metadata__: ['pt'] })), /"__metadata__" is an array of 1 items/);
    expectBpttError(() => parseSafetensors(fileWith({ __metadata__: null })), /"__metadata__" is null/);
    expectBpttError(() => parseSafetensors(fileWith({ __metadata__: { epochs: 3 } })), /"__metadata__" value for key "epochs" is 3, not a string/);
    expectBpttError(() => parseSafetensors(fileWith({ __metadata__: { nested: { a: 'b' } } })), /value for key "nested" is an object, not a string/);
  });

  it('duplicate tensor names, even when spelled with escapes', () => {
    const a = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    const b = '{"dtype":"F32","shape":[1],"data_offsets":[4,8]}';
    const data = new Array<number>(8).fill(0);
    // JSON.parse alone would keep only the second "w" and then report a misleading hole.
    expectBpttError(
      () => parseSafetensors(fileOf(`{"w":${a},"w":${b}}`, data), 'dup.safetensors'),
      /^dup\.safetensors: key "w" appears twice in the header/,
      /duplicate/,
    );
    expectBpttError(() => parseSafetensors(fileOf(`{"w":${a},"\\u0077":${b}}`, data)), /key "w" appears twice in the header/);
    expectBpttError(
      () => parseSafetensors(fileOf(`{"__metadata__":{},"w":${a},"x":${b},"__metadata__":{}}`, data)),
      /key "__metadata__" appears twice in the header/,
    );
  });

  it('duplicate keys inside a tensor entry or inside __metadata__', () => {
    expectBpttError(
      () => parseSafetensors(fileOf('{"w":{"dtype":"F64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0])),
      /key "dtype" appears twice inside "w"/,
    );
    expectBpttError(() => parseSafetensors(fileOf('{"__metadata__":{"a":"1","b":"2","a":"3"}}')), /key "a" appears twice inside "__metadata__"/);
  });

  it('with messages that stay on one line and short, whatever the tensor name', () => {
    const name = `evil\nname${'x'.repeat(1000)}`;
    const error = expectBpttError(() => parseSafetensors(fileWith({ [name]: 3 })), /tensor "evil\\nnamex+\.\.\."/);
    expect(error.message.length).toBeLessThan(300);
  });

  it('deeply nested JSON without overflowing the stack', () => {
    const deep = `{"w":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expectBpttError(() => parseSafetensors(fileOf(deep)), /tensor "w" is described by an array of 1 items/);
  });
});

// ---------------------------------------------------------------------------
// Rejections by the writer and the decoders
// ---------------------------------------------------------------------------

describe('serializeSafetensors rejects', () => {
  const w = { dtype: 'F32' as const, shape: [2], data: Float32Array.of(1, 2) };

  it('non-string metadata values', () => {
    const metadata = { epochs: 3 } as unknown as Record<string, string>;
    expectBpttError(() => serializeSafetensors({ w }, metadata), /^cannot write safetensors: metadata value for key "epochs" is 3, not a string/);
  });

  it('a tensor named __metadata__', () => {
    expectBpttError(() => serializeSafetensors({ __metadata__: w }), /"__metadata__" is reserved/);
  });

  it('data that does not match the shape', () => {
    expectBpttError(() => serializeSafetensors({ w: { ...w, shape: [3] } }), /tensor "w" has shape \[3\] \(3 elements\) but 2 values/);
    expectBpttError(
      () => serializeSafetensors({ w: { dtype: 'I8', shape: [3], bytes: Uint8Array.of(1, 2) } }),
      /tensor "w" is I8 with shape \[3\] but has 2 bytes/,
    );
  });

  it('bad shapes, dtypes and data', () => {
    expectBpttError(() => serializeSafetensors({ w: { ...w, shape: [-2] } }), /tensor "w" has shape an array of 1 items/);
    expectBpttError(() => serializeSafetensors({ w: { ...w, dtype: 'F128' } as unknown as Tensor }), /unknown dtype the string "F128"/);
    expectBpttError(() => serializeSafetensors({ w: { dtype: 'F32', shape: [2], data: [1, 2] } as unknown as Tensor }), /has dtype F32 with "data"/);
    expectBpttError(
      () => serializeSafetensors({ w: { dtype: 'I32', shape: [1], data: Float32Array.of(1) } as unknown as Tensor }),
      /has dtype I32 with "data"/,
    );
    expectBpttError(() => serializeSafetensors({ w: { dtype: 'F32', shape: [1] } as unknown as Tensor }), /neither "data"/);
  });

  it('names that are not valid Unicode', () => {
    expectBpttError(() => serializeSafetensors({ ['bad\uD800']: w }), /not valid Unicode/);
  });
});

describe('tensorToFloat64 / tensorToFloat32', () => {
  it('reject non-float dtypes, naming the tensor', () => {
    const t: Tensor = { dtype: 'I32', shape: [1], bytes: new Uint8Array(4) };
    expectBpttError(() => tensorToFloat64(t, 'rnn.b_h'), /tensor "rnn\.b_h" has dtype I32/, /F64, F32, F16 and BF16/);
    expectBpttError(() => tensorToFloat32(t, 'rnn.b_h'), /has dtype I32/);
  });

  it('reject a byte count that does not match the shape', () => {
    const t: Tensor = { dtype: 'F32', shape: [2, 2], bytes: new Uint8Array(12) };
    expectBpttError(() => tensorToFloat64(t, 'w'), /tensor "w" is F32 with shape \[2, 2\] but has 12 bytes/, /needs 16 bytes/);
  });

  it('round F64 to float32 in tensorToFloat32', () => {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, 0.1, true);
    expect(tensorToFloat32({ dtype: 'F64', shape: [], bytes }, 'x')[0]).toBe(Math.fround(0.1));
  });
});

// ---------------------------------------------------------------------------
// Fuzzing: damaged files give a BpttError or a valid result, nothing else
// ---------------------------------------------------------------------------

describe('random damage', () => {
  it('never throws anything but BpttError over thousands of seeded mutations', () => {
    const valid = serializeSafetensors(
      {
        'rnn.W_xh': { dtype: 'F32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
        'rnn.b_h': { dtype: 'F64', shape: [4], data: Float64Array.of(1, -2, 3, -4) },
        scalar: { dtype: 'F32', shape: [], data: Float32Array.of(9) },
        empty: { dtype: 'F64', shape: [0, 2], data: new Float64Array(0) },
        ids: { dtype: 'I32', shape: [3], bytes: new Uint8Array(12) },
        mask: { dtype: 'BOOL', shape: [5], bytes: Uint8Array.of(1, 0, 1, 1, 0) },
        half: { dtype: 'BF16', shape: [2], bytes: Uint8Array.of(0x80, 0x3f, 0x00, 0x40) },
      },
      { format: 'pt', note: 'fuzz {"nested": [1, 2]}' },
    );
    const headerEnd = 8 + rawHeader(valid).length;
    const random = mulberry32(20240611);
    const int = (n: number): number => Math.floor(random() * n);
    const structural = ascii('{}[],:"\\ 0123456789-.eE');

    let accepted = 0;
    let rejected = 0;
    const problems = new Set<string>();
    for (let round = 0; round < 4000; round++) {
      let file = valid.slice();
      switch (round % 7) {
        case 0: // flip a few bits anywhere
          for (let k = 1 + int(3); k > 0; k--) file[int(file.length)] ^= 1 << int(8);
          break;
        case 1: // flip a bit in the header
          file[8 + int(headerEnd - 8)] ^= 1 << int(8);
          break;
        case 2: // truncate
          file = file.slice(0, int(file.length));
          break;
        case 3: {
          // a random header length: anything, or close to the true one
          const value = random() < 0.5 ? (BigInt(int(2 ** 32)) << 32n) | BigInt(int(2 ** 32)) : BigInt(Math.max(0, headerEnd - 8 + int(33) - 16));
          file.set(u64(value));
          break;
        }
        case 4: {
          // change one digit of the header into another digit (keeps the JSON valid)
          const digits: number[] = [];
          for (let i = 8; i < headerEnd; i++) if (file[i] >= 0x30 && file[i] <= 0x39) digits.push(i);
          file[digits[int(digits.length)]] = 0x30 + int(10);
          break;
        }
        case 5: // put a JSON-significant character somewhere in the header
          file[8 + int(headerEnd - 8)] = structural[int(structural.length)];
          break;
        case 6: {
          // append or remove data bytes
          const extra = int(17) - 8;
          file = extra >= 0 ? new Uint8Array([...file, ...new Array<number>(extra).fill(int(256))]) : file.slice(0, file.length + extra);
          break;
        }
      }
      try {
        const parsed = parseSafetensors(file, 'fuzz.safetensors');
        accepted++;
        // A successful parse never hands out more bytes than the file holds.
        let total = 0;
        for (const [name, t] of parsed.tensors) {
          total += t.bytes.length;
          let count = 1;
          for (const dim of t.shape) count *= dim;
          expect(t.bytes.length * 8).toBe(count * DTYPE_BITS[t.dtype]);
          if (['F32', 'F64', 'F16', 'BF16'].includes(t.dtype)) expect(tensorToFloat64(t, name).length).toBe(count);
        }
        expect(total).toBeLessThanOrEqual(file.length);
      } catch (error) {
        if (!(error instanceof BpttError)) throw new Error(`round ${round}: ${String(error)}`, { cause: error });
        expect(error.message.startsWith('fuzz.safetensors: ')).toBe(true);
        expect(error.message).not.toMatch(/\n/);
        rejected++;
        problems.add(error.message.replace(/[0-9]+/g, 'N').slice(0, 50));
      }
    }
    expect(accepted + rejected).toBe(4000);
    expect(rejected).toBeGreaterThan(2000);
    expect(accepted).toBeGreaterThan(0); // e.g. a flipped bit inside float data is still a valid file
    expect(problems.size).toBeGreaterThan(10); // the damage reached many different checks
  });
});
