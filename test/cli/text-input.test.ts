/**
 * Text input, as `--data FILE` reads it (src/cli/corpus.ts, then prepareData):
 * every kind of awkward text is either handled correctly or refused with a
 * BpttError naming the file and the fix. docs/robustness.md lists each case.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BpttError } from '../../src/core/errors.js';
import { loadCorpus } from '../../src/cli/corpus.js';
import { DEFAULT_RECIPE, fingerprint, prepareData, type Recipe } from '../../src/train/recipe.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import { freshDir } from './cli-helpers.js';

const recipe: Recipe = { ...DEFAULT_RECIPE, validationFraction: 0 };
const chunks: Recipe = { ...recipe, mode: 'chunks', seqLength: 32 };

/** Writes `content` to a fresh file and reads it back as bptt does. */
function load(content: string | Uint8Array, name = 'data.txt') {
  const path = join(freshDir(), name);
  writeFileSync(path, content);
  return { path, corpus: () => loadCorpus(path) };
}

/** The tokens of every training line decode back to the line itself. */
function expectRoundTrip(text: string, lines: string[], tokenizer: Tokenizer): void {
  for (const line of lines) expect(tokenizer.decode(tokenizer.encode(line))).toBe(line);
  expect(lines.join('\n')).toBe(text.split('\n').filter(Boolean).join('\n'));
}

const casesRun: Record<string, number> = {};
afterAll(() =>
  console.log(
    `text fuzz: ${Object.entries(casesRun)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ),
);

describe('text input is handled correctly', () => {
  it('astral characters (🦕, 𝔘) are one token each, never half a surrogate pair', () => {
    const { corpus } = load('🦕rex\n𝔘𝔫𝔦\n');
    const data = prepareData(corpus().text, recipe, 'astral.txt');
    expect(data.tokenizer.tokens).toContain('🦕');
    expect(data.tokenizer.tokens).toContain('𝔘');
    expect(data.tokenizer.tokens.every((t) => [...t].length === 1)).toBe(true);
    expect(data.train.map((s) => s.input.length).sort()).toEqual([4, 5]); // "\n🦕rex" and "\n𝔘𝔫𝔦": code points, not UTF-16 units
    expectRoundTrip(corpus().text, data.lines, data.tokenizer);
  });

  it('combining marks are characters of their own, and the text is not normalised (NFD stays NFD)', () => {
    const nfd = 'Pe\u0301rez\nAn\u0303o\n';
    const { corpus } = load(nfd);
    const data = prepareData(corpus().text, recipe, 'nfd.txt');
    expect(data.tokenizer.tokens).toContain('\u0301');
    expect(data.tokenizer.tokens).toContain('\u0303');
    expect(data.tokenizer.tokens).not.toContain('é');
    expectRoundTrip(corpus().text, data.lines, data.tokenizer);
  });

  it('CRLF and lone CR line ends read as LF: the same lines, the same fingerprint', () => {
    const lf = load('Aardonyx\nZuul\nTroodon\n').corpus();
    const crlf = load('Aardonyx\r\nZuul\r\nTroodon\r\n').corpus();
    const cr = load('Aardonyx\rZuul\rTroodon\r').corpus();
    expect(crlf.text).toBe(lf.text);
    expect(cr.text).toBe(lf.text);
    expect(fingerprint(crlf.text)).toBe(fingerprint(lf.text));
    expect(prepareData(crlf.text, recipe, 'crlf.txt').tokenizer.tokens).not.toContain('\r');
  });

  it('a UTF-8 byte-order mark is dropped', () => {
    const { corpus } = load(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('Aardonyx\nZuul\n')]));
    expect(corpus().text).toBe('Aardonyx\nZuul\n');
  });

  it('NUL and other control characters are ordinary tokens, kept and given back', () => {
    const text = 'a\u0000b\nc\u0007d\tE\n';
    const { corpus } = load(text);
    const data = prepareData(corpus().text, recipe, 'nul.txt');
    expect(data.tokenizer.tokens).toContain('\u0000');
    expectRoundTrip(corpus().text, data.lines, data.tokenizer);
  });

  it('a 5 MB single line trains in mode chunks', () => {
    const line = 'abcdefghij '.repeat(500_000);
    const data = prepareData(`${line}\n`, chunks, 'long.txt');
    expect(data.train.length).toBe(Math.ceil((line.length + 1 - 1) / 33));
    expect(data.tokenizer.size).toBe(12);
  });
});

describe('text input is refused with one clear line', () => {
  const expectError = (run: () => unknown, ...patterns: RegExp[]) => {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BpttError);
    const message = (caught as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/; \S/); // names the fix
    for (const pattern of patterns) expect(message).toMatch(pattern);
  };

  it('a 50 MB single line in mode lines: refused at once, naming the line and --mode chunks', () => {
    const text = 'abcdefghij '.repeat((50 * 1024 * 1024) / 11 + 1);
    expectError(() => prepareData(text, recipe, 'huge.txt'), /huge\.txt: line 1 is 52428\d+ characters long/, /--mode chunks/);
  });

  it('an empty file, a file of line ends only, and a file holding only a byte-order mark', () => {
    for (const content of ['', '\n\r\n\r', new Uint8Array([0xef, 0xbb, 0xbf])]) {
      const { path, corpus } = load(content);
      expectError(corpus, new RegExp(`${path}.* is empty`));
    }
  });

  it('invalid UTF-8: overlong forms, lone continuation bytes, encoded surrogates, truncated sequences', () => {
    const bad = [[0xc0, 0xaf], [0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff]];
    for (const bytes of bad) {
      const { corpus } = load(new Uint8Array([...new TextEncoder().encode('Aardonyx\nZu'), ...bytes, 0x0a]));
      expectError(corpus, /is not valid UTF-8 text \(line 2\)/, /save it as UTF-8/);
    }
  });

  it('one distinct character', () => {
    expectError(() => prepareData('🦕🦕\n🦕\n', recipe, 'dino.txt'), /dino\.txt has only one distinct character/);
  });
});

describe('fuzzed text', () => {
  it('random bytes: decoded exactly (no U+FFFD inserted) or refused as invalid UTF-8', { timeout: 60_000 }, () => {
    const dir = freshDir();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        casesRun['random bytes'] = (casesRun['random bytes'] ?? 0) + 1;
        const path = join(dir, 'bytes.txt');
        writeFileSync(path, bytes);
        let text: string;
        try {
          text = loadCorpus(path).text;
        } catch (error) {
          expect(error).toBeInstanceOf(BpttError);
          expect((error as Error).message).toMatch(/is not valid UTF-8 text \(line \d+\)|is empty/);
          return;
        }
        // A valid file decodes to exactly its bytes, less a BOM, with \r\n and \r read as \n.
        const exact = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/\r\n?/g, '\n');
        expect(text).toBe(exact);
      }),
      { numRuns: 2000 },
    );
  });

  it('random Unicode text (astral, combining, controls, NUL, CR): trained on, or refused with a BpttError', { timeout: 60_000 }, () => {
    const awkward = fc.constantFrom('\u0000', '\r', '\r\n', '\n', '\u0301', '🦕', '\u200d', '\ufeff', 'é', '\t', ' ');
    const text = fc
      .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 }), awkward), { maxLength: 30 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, fc.constantFrom(recipe, chunks, { ...recipe, lowercase: true }), (raw, mode) => {
        casesRun['random text'] = (casesRun['random text'] ?? 0) + 1;
        const { corpus } = load(raw);
        try {
          const { text: loaded } = corpus();
          const data = prepareData(loaded, mode, 'fuzz.txt');
          if (mode.mode === 'lines') expectRoundTrip(data.tokenizer.normalize(loaded), data.lines, data.tokenizer);
          expect(data.train.length).toBeGreaterThan(0);
        } catch (error) {
          if (!(error instanceof BpttError)) throw error;
          expect(error.message).not.toContain('\n');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
