/**
 * Property-based fuzzing (fast-check) of the two readers a stranger's file
 * reaches: parseSafetensors (the format) and decodeModelFile (a bptt model or
 * checkpoint on top of it).
 *
 * The contract, for ANY input bytes:
 * - the reader returns a result or throws a BpttError with a one-line message
 *   naming the file, never anything else (no TypeError, RangeError, stack overflow);
 * - it allocates nothing larger than the file: every typed array the model
 *   asks its kernels for is checked against the file size, so a few hundred
 *   bytes can never make it allocate gigabytes (see decodeModelFile);
 * - it finishes: each property has a vitest time limit (no hang).
 *
 * Run counts are fixed (FUZZ_RUNS scales them up for a long run) and printed,
 * so docs/robustness.md can quote them; the seed is printed on a failure.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BpttError } from '../../src/core/errors.js';
import type { DType } from '../../src/core/arrays.js';
import { decodeModelFile, encodeModelFile } from '../../src/io/model-file.js';
import { DTYPE_BITS, parseSafetensors, tensorToFloat64, type SafetensorsFile } from '../../src/io/safetensors.js';
import { referenceKernels } from '../../src/kernels/reference.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { RnnModel } from '../../src/model/rnn-model.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { Adagrad } from '../../src/optim/adagrad.js';

/** Multiplies every run count (e.g. FUZZ_RUNS=20 for a long run before a release). */
const scale = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1));
const runs = (n: number) => Math.round(n * scale);
const casesRun: Record<string, number> = {};
afterAll(() => {
  const total = Object.values(casesRun).reduce((a, b) => a + b, 0);
  console.log(
    `fuzz: ${total} cases run (${Object.entries(casesRun)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')})`,
  );
});

/** Runs `property` over `arbitrary` `numRuns` times, counting the cases for the report. */
function fuzz<T>(name: string, arbitrary: fc.Arbitrary<T>, numRuns: number, property: (value: T) => void): void {
  fc.assert(
    fc.property(arbitrary, (value) => {
      casesRun[name] = (casesRun[name] ?? 0) + 1;
      property(value);
    }),
    { numRuns },
  );
}

const SOURCE = 'fuzz.safetensors';

/** Calls `read`; a BpttError with a one-line message naming the file is fine, anything else fails the property. */
function acceptOrBpttError<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof BpttError)) throw new Error(`not a BpttError: ${String(error)}`, { cause: error });
    expect(error.message.startsWith(`${SOURCE}: `), error.message).toBe(true);
    expect(error.message).not.toMatch(/\n/);
    expect(error.message.length).toBeLessThan(1000);
    return undefined;
  }
}

/** What every successfully parsed file satisfies: each tensor's bytes fit its shape, and all fit in the file. */
function expectConsistent(parsed: SafetensorsFile, fileLength: number): void {
  let total = 0;
  for (const [name, t] of parsed.tensors) {
    total += t.bytes.length;
    const count = t.shape.reduce((a, b) => a * b, 1);
    expect(t.bytes.length * 8).toBe(count * DTYPE_BITS[t.dtype]);
    if (['F32', 'F64', 'F16', 'BF16'].includes(t.dtype)) expect(tensorToFloat64(t, name).length).toBe(count);
  }
  expect(total).toBeLessThanOrEqual(fileLength);
}

// ---------------------------------------------------------------------------
// Building blocks: the 8-byte length, a header from any JSON value
// ---------------------------------------------------------------------------

function fileFromHeader(header: string, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const DTYPE_NAMES = Object.keys(DTYPE_BITS);
/** Dimensions and offsets: mostly small, sometimes hostile (negative, fractional, 2^53, 2^64, strings). */
const hostileNumber = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom(-1, -0, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 - 1, 2 ** 64, 1e308, Number.MAX_SAFE_INTEGER) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean()) },
);
const tensorEntry = fc.record(
  {
    dtype: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...DTYPE_NAMES) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant('toString')) },
    ),
    shape: fc.oneof({ weight: 5, arbitrary: fc.array(hostileNumber, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    data_offsets: fc.oneof(
      { weight: 5, arbitrary: fc.tuple(hostileNumber, hostileNumber) },
      { weight: 1, arbitrary: fc.array(hostileNumber, { maxLength: 3 }) },
    ),
  },
  { requiredKeys: [] },
);
const metadataEntry = fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }), fc.jsonValue({ maxDepth: 2 }));
const headerObject = fc.dictionary(
  fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__metadata__', '__proto__', 'constructor', 'a', 'b')),
  fc.oneof({ weight: 4, arbitrary: tensorEntry }, { weight: 1, arbitrary: metadataEntry }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
  { maxKeys: 5 },
);

// ---------------------------------------------------------------------------
// parseSafetensors
// ---------------------------------------------------------------------------

describe('fuzz parseSafetensors', () => {
  it('random bytes: a BpttError or a consistent file', { timeout: 60_000 }, () => {
    fuzz('random bytes', fc.uint8Array({ maxLength: 300 }), runs(3000), (bytes) => {
      const parsed = acceptOrBpttError(() => parseSafetensors(bytes, SOURCE));
      if (parsed) expectConsistent(parsed, bytes.length);
    });
  });

  it('random headers: hostile dtypes, shapes, offsets and metadata', { timeout: 60_000 }, () => {
    fuzz('random headers', fc.tuple(headerObject, fc.uint8Array({ maxLength: 200 })), runs(5000), ([header, data]) => {
      const bytes = fileFromHeader(JSON.stringify(header), data);
      const parsed = acceptOrBpttError(() => parseSafetensors(bytes, SOURCE));
      if (parsed) expectConsistent(parsed, bytes.length);
    });
  });

  it('any 64-bit header length, including 2^53 and beyond, on a small file', { timeout: 60_000 }, () => {
    fuzz('header lengths', fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 64 })), runs(2000), ([length, data]) => {
      const bytes = fileFromHeader('{}', data, length);
      const parsed = acceptOrBpttError(() => parseSafetensors(bytes, SOURCE));
      if (parsed) expectConsistent(parsed, bytes.length);
    });
  });

  it('a header claiming 2^53 bytes is refused before anything is read', () => {
    const bytes = fileFromHeader('{}', new Uint8Array(0), 2n ** 53n);
    expect(() => parseSafetensors(bytes, SOURCE)).toThrowError(/header length 9007199254740992 exceeds the file size 10/);
  });
});

// ---------------------------------------------------------------------------
// decodeModelFile: mutations of real model files and checkpoints
// ---------------------------------------------------------------------------

/**
 * Kernels that record every allocation the model makes, so a property can
 * assert that no single allocation exceeds the file it was read from.
 */
function recordingKernels(): { kernels: Kernels; largestBytes: () => number } {
  let largest = 0;
  const kernels: Kernels = {
    ...referenceKernels,
    allocate: (dtype: DType, length: number) => {
      largest = Math.max(largest, length * (dtype === 'float64' ? 8 : 4));
      return referenceKernels.allocate(dtype, length);
    },
  };
  return { kernels, largestBytes: () => largest };
}

const tokenizer = CharTokenizer.fromText('abcxyz');
function modelFile(cell: 'rnn' | 'lstm' | 'gru', embed: number, layers: number, dtype: DType, checkpoint: boolean): Uint8Array {
  const model = RnnModel.initialized({ cell, activation: 'tanh', vocabSize: tokenizer.size, hidden: 3, embed, layers, dtype, init: 'scaled' }, 1);
  if (!checkpoint) return encodeModelFile(model, tokenizer);
  const optimizer = new Adagrad(model.params.length, dtype);
  optimizer.state.memory.fill(0.25);
  return encodeModelFile(model, tokenizer, { checkpoint: { optimizerState: { ...optimizer.state }, training: { recipe: {}, position: { step: 1 } } } });
}
const validFiles = [
  modelFile('rnn', 0, 1, 'float32', false),
  modelFile('lstm', 2, 2, 'float64', false),
  modelFile('gru', 0, 1, 'float32', true),
  modelFile('rnn', 2, 1, 'float64', true),
];

/**
 * The header of a file as an object, and its data bytes; undefined once an
 * earlier mutation has made the header unreadable (the edit is then skipped).
 */
function split(file: Uint8Array): { header: Record<string, any>; data: Uint8Array } | undefined {
  if (file.length < 8) return undefined;
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  try {
    const header: unknown = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length)));
    const entries = typeof header === 'object' && header !== null ? Object.entries(header) : [];
    const wellFormed = entries.every(([key, value]) =>
      key === '__metadata__' ? typeof value === 'object' && value !== null : typeof value === 'object' && value !== null && Array.isArray(value.data_offsets),
    );
    return wellFormed && entries.length > 1 ? { header: header as Record<string, any>, data: file.slice(8 + length) } : undefined;
  } catch {
    return undefined;
  }
}

/** One way to damage a file. Each takes the file and returns a new one. */
type Mutation = (file: Uint8Array) => Uint8Array;

/** Edits the parsed header (a tensor entry or the bptt metadata) and re-assembles the file. */
const editHeader =
  (edit: (header: Record<string, any>, tensorNames: string[]) => void): Mutation =>
  (file) => {
    const parts = split(file);
    if (!parts || !parts.header.__metadata__) return file;
    const { header, data } = parts;
    edit(
      header,
      Object.keys(header).filter((k) => k !== '__metadata__'),
    );
    return fileFromHeader(JSON.stringify(header), data);
  };
/** Edits the "bptt" (architecture) or "bptt_training" JSON inside __metadata__. */
const editMetadata = (key: 'bptt' | 'bptt_training', field: string, value: unknown): Mutation =>
  editHeader((header) => {
    const meta = header.__metadata__;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(meta[key] ?? '{}');
    } catch {
      parsed = {};
    }
    meta[key] = JSON.stringify({ ...parsed, [field]: value });
  });

const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostileNumber, fc.constantFrom(1_000_000, 100_000, 16, 17, 0, -1));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // bit flips anywhere, and in the data (e.g. a weight becomes NaN or Infinity)
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([at, bit]): Mutation => (file) => {
    if (file.length === 0) return file;
    const out = file.slice();
    out[at % out.length] ^= 1 << bit;
    return out;
  }),
  // truncation
  fc.nat().map(
    (at): Mutation =>
      (file) =>
        file.slice(0, at % Math.max(file.length, 1)),
  ),
  // trailing garbage
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map(
    (extra): Mutation =>
      (file) =>
        new Uint8Array([...file, ...extra]),
  ),
  // a 64-bit header length, anything up to 2^64 − 1
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((length): Mutation => (file) => {
    if (file.length < 8) return file;
    const out = file.slice();
    new DataView(out.buffer).setBigUint64(0, length, true);
    return out;
  }),
  // a tensor's offsets: out of range, overlapping, reversed
  fc
    .tuple(fc.nat(), hostileNumber, hostileNumber)
    .map(([which, begin, end]) => editHeader((header, names) => (header[names[which % names.length]].data_offsets = [begin, end]))),
  // a tensor's dtype: another real one (wrong size), or an unknown one
  fc
    .tuple(fc.nat(), fc.oneof(fc.constantFrom(...DTYPE_NAMES), fc.string({ maxLength: 4 })))
    .map(([which, dtype]) => editHeader((header, names) => (header[names[which % names.length]].dtype = dtype))),
  // a tensor's shape: overflowing, empty, or off by one
  fc
    .tuple(fc.nat(), fc.array(hostileNumber, { maxLength: 4 }))
    .map(([which, shape]) => editHeader((header, names) => (header[names[which % names.length]].shape = shape))),
  // a tensor renamed or removed
  fc.tuple(fc.nat(), fc.string({ maxLength: 20 })).map(([which, name]) =>
    editHeader((header, names) => {
      const old = names[which % names.length];
      const entry = header[old];
      delete header[old];
      if (name) header[name] = entry;
    }),
  ),
  // NaN written into a float weight
  fc.nat().map((at): Mutation => (file) => {
    const parts = split(file);
    if (!parts) return file;
    const { header, data } = parts;
    const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, { dtype: string; data_offsets: number[] }][];
    const [, entry] = entries[at % entries.length];
    const [begin, end] = entry.data_offsets;
    if (Number.isSafeInteger(begin) && begin >= 0 && end - begin >= 8 && end <= data.length) {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (entry.dtype === 'F64') view.setFloat64(begin, NaN, true);
      else view.setFloat32(begin, NaN, true);
    }
    const out = file.slice();
    out.set(data, file.length - data.length);
    return out;
  }),
  // the architecture metadata: any field set to any JSON value (huge hidden, 17 layers, a wrong vocab, ...)
  fc
    .tuple(fc.constantFrom('version', 'cell', 'activation', 'hidden', 'layers', 'embed', 'tokenizer', 'vocab', 'lowercase', 'dtype', 'init', 'bogus'), anyJson)
    .map(([field, value]) => editMetadata('bptt', field, value)),
  // a vocabulary of random characters (duplicates, empty strings, astral characters, no "\n")
  fc
    .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 2 }), fc.constantFrom('\n', 'a', '')), { maxLength: 8 })
    .map((vocab) => editMetadata('bptt', 'vocab', vocab)),
  // the training metadata of a checkpoint
  fc.tuple(fc.constantFrom('position', 'recipe', 'dataSource'), anyJson).map(([field, value]) => editMetadata('bptt_training', field, value)),
  // metadata that is not JSON, or not a string
  fc
    .tuple(fc.constantFrom('bptt', 'bptt_training', 'format'), fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })))
    .map(([key, value]) => editHeader((header) => (header.__metadata__[key] = value))),
);

describe('fuzz decodeModelFile', () => {
  it('mutated model files and checkpoints: a BpttError or a usable model, never an allocation larger than the file', { timeout: 120_000 }, () => {
    const arbitrary = fc.tuple(fc.constantFrom(...validFiles.keys()), fc.array(mutation, { minLength: 1, maxLength: 3 }));
    fuzz('mutated model files', arbitrary, runs(4000), ([which, mutations]) => {
      let file = validFiles[which];
      for (const mutate of mutations) file = mutate(file);
      const { kernels, largestBytes } = recordingKernels();
      const saved = acceptOrBpttError(() => decodeModelFile(file, SOURCE, kernels));
      expect(largestBytes(), `an allocation of ${largestBytes()} bytes for a ${file.length}-byte file`).toBeLessThanOrEqual(file.length);
      if (saved) {
        expect(saved.model.params.every(Number.isFinite)).toBe(true);
        expect(saved.model.params.length * (saved.model.config.dtype === 'float64' ? 8 : 4)).toBeLessThanOrEqual(file.length);
      }
    });
  });

  it('unmutated files decode (control: the mutations above start from valid files)', () => {
    for (const file of validFiles) expect(decodeModelFile(file, SOURCE).model.params.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------
// Regressions: bugs the fuzzing found, one test each
// ---------------------------------------------------------------------------

describe('fuzz regressions', () => {
  it('a tiny file whose metadata claims hidden = 100,000 is refused before the model is allocated (was a RangeError)', () => {
    for (const hidden of [20_000, 100_000, 1_000_000]) {
      const file = editMetadata('bptt', 'hidden', hidden)(validFiles[0]);
      const { kernels, largestBytes } = recordingKernels();
      expect(() => decodeModelFile(file, SOURCE, kernels)).toThrowError(BpttError);
      expect(() => decodeModelFile(file, SOURCE, kernels)).toThrowError(/tensor .* has shape \[[0-9, ]+\], the metadata implies/);
      expect(largestBytes()).toBe(0);
    }
  });

  it('a metadata embedding of 1,000,000 on a one-hot file is refused without allocating', () => {
    const file = editMetadata('bptt', 'embed', 1_000_000)(validFiles[0]);
    const { kernels, largestBytes } = recordingKernels();
    expect(() => decodeModelFile(file, SOURCE, kernels)).toThrowError(/embedding\.weight is missing/);
    expect(largestBytes()).toBe(0);
  });
});
