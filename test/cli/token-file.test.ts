/**
 * Mode stream's file reader (src/cli/token-file.ts): chunked reads give the
 * ids and fingerprint of the whole text, across UTF-8 sequences and '\r\n'
 * pairs split by a chunk boundary; bad files fail with one clear line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, MAX_UNSPACED, readStreamCorpus, type StreamReadOptions } from '../../src/cli/token-file.js';
import { BpttError, CharTokenizer, fingerprint, WordTokenizer, type Tokenizer } from '../../src/index.js';
import { describeRun, expectSameTensors, freshDir, runCli } from './cli-helpers.js';

const folder = mkdtempSync(join(tmpdir(), 'bptt-token-file-'));
const CHUNK = CHUNK_BYTES;

function readAll(path: string, options: StreamReadOptions = { lowercase: false }, tokenizer?: Tokenizer) {
  const corpus = readStreamCorpus(path, options, tokenizer);
  const ids = new Int32Array(corpus.tokens.length);
  corpus.tokens.read(0, ids);
  return { corpus, ids };
}

describe('readStreamCorpus', () => {
  it('reads a file over several chunks as the whole text, split UTF-8 and "\\r\\n" included', () => {
    // A 4-byte 🦕 straddles the first chunk boundary, a "\r\n" the second.
    const head = 'a'.repeat(CHUNK - 2) + '🦕';
    const middle = 'b\nÉ'.repeat(Math.floor((CHUNK - 4 - 3) / 4)) + 'x'.repeat(((CHUNK - 4 - 3) % 4) + 3);
    const text = head + middle;
    const bytes = Buffer.concat([Buffer.from(text), Buffer.alloc(0)]);
    const pad = 2 * CHUNK - 1 - bytes.length; // so that "\r" is the last byte of chunk 2
    const raw = Buffer.concat([bytes, Buffer.from('c'.repeat(pad)), Buffer.from('\r\nend\rz\n')]);
    const path = join(folder, 'split.txt');
    writeFileSync(path, raw);
    const whole = raw.toString('utf8').replace(/\r\n?/g, '\n');
    expect(raw[2 * CHUNK - 1]).toBe(0x0d);

    const { corpus, ids } = readAll(path);
    const expected = CharTokenizer.fromText(whole);
    expect(corpus.tokenizer.tokens).toEqual(expected.tokens);
    expect(corpus.tokens.length).toBe([...whole].length);
    expect(Array.from(ids)).toEqual(expected.encode(whole));
    expect(corpus.fingerprint).toBe(fingerprint(whole));
    const window = new Int32Array(5);
    corpus.tokens.read(CHUNK - 4, window); // ids are fixed-width: any window reads directly
    expect(corpus.tokenizer.decode(window)).toBe([...whole].slice(CHUNK - 4, CHUNK + 1).join(''));
    corpus.close();
  });

  it('lower-cases when asked, and keeps a given vocabulary', () => {
    const path = join(folder, 'case.txt');
    writeFileSync(path, 'Abc\nCAB\n');
    const { corpus, ids } = readAll(path, { lowercase: true });
    expect(corpus.tokenizer.tokens).toEqual(['\n', 'a', 'b', 'c']);
    expect(corpus.tokenizer.decode(ids)).toBe('abc\ncab\n');
    corpus.close();
    const known = new CharTokenizer(['\n', 'A', 'B', 'C', 'a', 'b', 'c', 'z']);
    const kept = readAll(path, { lowercase: false }, known);
    expect(kept.corpus.tokenizer).toBe(known);
    expect(known.decode(kept.ids)).toBe('Abc\nCAB\n');
    kept.corpus.close();
  });

  it.each([
    ['invalid UTF-8', Buffer.from([0x61, 0x62, 0xff, 0x0a]), /is not valid UTF-8/],
    ['an empty file', Buffer.alloc(0), /is empty/],
    ['one distinct character', Buffer.from('aaaa\naa\n'), /only one distinct character/],
  ])('rejects %s with a BpttError', (_, bytes, message) => {
    const path = join(folder, 'bad.txt');
    writeFileSync(path, bytes);
    expect(() => readStreamCorpus(path, { lowercase: false })).toThrowError(BpttError);
    expect(() => readStreamCorpus(path, { lowercase: false })).toThrowError(message);
  });

  it('rejects characters a given vocabulary lacks', () => {
    const path = join(folder, 'unknown.txt');
    writeFileSync(path, 'abcq\n');
    expect(() => readStreamCorpus(path, { lowercase: false }, new CharTokenizer(['\n', 'a', 'b', 'c']))).toThrowError(
      /contains "q", which is not in the model's vocabulary/,
    );
  });
});

describe('readStreamCorpus with word tokens', () => {
  /** Words of every length (some straddle the chunk boundaries), marks, numbers, line ends and blank lines (seeded). */
  function wordText(characters: number): string {
    const words = ['The', 'river', 'ran', 'past', 'Ænid', 'café', 'über', "don't", 'well-known', '3.14', '1,000', '🦕', 'a', 'x'.repeat(300)];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let text = '';
    while (text.length < characters)
      text += `${words[Math.floor(next() * words.length)]}${next() < 0.1 ? ',' : ''}${next() < 0.05 ? '\n\n' : next() < 0.1 ? '\n' : ' '}`;
    return text;
  }

  it('counts and encodes a file over several chunks as WordTokenizer does the whole text', () => {
    const text = wordText(3 * CHUNK);
    const path = join(folder, 'words.txt');
    writeFileSync(path, text.replace(/\n/g, '\r\n'));
    for (const lowercase of [false, true]) {
      const { corpus, ids } = readAll(path, { tokens: 'word', lowercase, minCount: 2 });
      const expected = WordTokenizer.fromText(text, { lowercase, minCount: 2 });
      expect(corpus.tokenizer.tokens).toEqual(expected.tokens);
      expect(corpus.tokenizer.tokens).toContain(lowercase ? 'ænid' : 'Ænid');
      expect(Array.from(ids)).toEqual(expected.encode(text));
      expect(corpus.fingerprint).toBe(fingerprint(text));
      expect(corpus.unknown).toBe(0);
      corpus.close();
    }
  });

  it('keeps a given vocabulary: words outside it read as <unk>, and are counted', () => {
    const path = join(folder, 'known.txt');
    writeFileSync(path, 'the cat sat on the mat.\nthe dog sat.\n');
    const known = new WordTokenizer(['\n', '<unk>', 'the', 'sat', '.']);
    const { corpus, ids } = readAll(path, { lowercase: false }, known);
    expect(corpus.tokenizer).toBe(known);
    expect(known.decode(ids)).toBe('the <unk> sat <unk> the <unk>.\nthe <unk> sat.\n');
    expect(corpus.unknown).toBe(4);
    corpus.close();
  });

  it('keeps at most --max-vocab tokens, the most frequent', () => {
    const path = join(folder, 'capped.txt');
    writeFileSync(path, `${'a '.repeat(9)}${'b '.repeat(8)}${'c '.repeat(7)}${'d '.repeat(6)}\n`);
    const { corpus } = readAll(path, { tokens: 'word', lowercase: false, minCount: 1, maxVocab: 4 });
    expect(corpus.tokenizer.tokens).toEqual(['\n', '<unk>', 'a', 'b']);
    expect(corpus.unknown).toBe(13);
    corpus.close();
  });

  it('past the counting limit, forgets the rarest words and keeps the frequent ones', () => {
    const path = join(folder, 'many.txt');
    const rare = Array.from({ length: 3000 }, (_, i) => `w${i}`);
    // Frequent words throughout, one rare word among every three tokens.
    writeFileSync(path, rare.map((word, i) => `${i % 2 ? 'the' : 'a'} ${word} ${i % 3 ? 'sea' : 'ship'}`).join('\n'));
    const exact = readAll(path, { tokens: 'word', lowercase: false, minCount: 1 });
    expect(exact.corpus.tokenizer.size).toBe(2 + 4 + 3000);
    exact.corpus.close();
    const bounded = readAll(path, { tokens: 'word', lowercase: false, minCount: 1, countingLimit: 100 });
    expect(bounded.corpus.tokenizer.tokens.slice(2, 6).sort()).toEqual(['a', 'sea', 'ship', 'the']);
    expect(bounded.corpus.tokenizer.size).toBeLessThanOrEqual(2 + 100);
    expect(Array.from(bounded.ids)).toHaveLength(exact.ids.length);
    bounded.corpus.close();
  });

  it('refuses a text without spaces, and one without two words to tell apart', () => {
    const path = join(folder, 'unspaced.txt');
    writeFileSync(path, 'x'.repeat(MAX_UNSPACED + 10));
    expect(() => readStreamCorpus(path, { tokens: 'word', lowercase: false })).toThrowError(/characters without a space or line end.*; use --tokens char/);
    writeFileSync(path, 'one one one two\n');
    expect(() => readStreamCorpus(path, { tokens: 'word', lowercase: false })).toThrowError(/fewer than two different words seen at least 2 times/);
  });
});

describe('bptt train --mode stream', () => {
  it('trains on 2 threads, checkpoints every N steps, and resumes to the same model as a straight run', () => {
    const dir = freshDir();
    const book = join(dir, 'book.txt');
    writeFileSync(book, Array.from({ length: 400 }, (_, i) => `paragraph ${i}: the river ran past the old stone houses.\nAnd then it rained.\n`).join('\n'));
    const common = ['--mode', 'stream', '--seq-length', '20', '--batch', '8', '--hidden', '16', '--print', '0', '--threads', '2', '--eval-every', '4'];
    const straight = runCli(dir, ['train', '--data', book, ...common, '--steps', '10', '--checkpoint', 'straight.ckpt', '--out', 'straight.safetensors']);
    expect(straight.status, describeRun(straight)).toBe(0);
    expect(straight.stderr).toMatch(/training and [\d,]+ validation characters in 8 streams .*windows of 20, documents end at blank-line.*2 threads/);
    const first = runCli(dir, ['train', '--data', book, ...common, '--steps', '6', '--checkpoint', 'run.ckpt', '--out', 'first.safetensors']);
    expect(first.status, describeRun(first)).toBe(0);
    const resumed = runCli(dir, [
      'train',
      '--resume',
      'run.ckpt',
      '--steps',
      '10',
      '--print',
      '0',
      '--threads',
      '2',
      '--checkpoint',
      'run.ckpt',
      '--out',
      'resumed.safetensors',
    ]);
    expect(resumed.status, describeRun(resumed)).toBe(0);
    expectSameTensors(join(dir, 'run.ckpt'), join(dir, 'straight.ckpt')); // weights and Adagrad's memory
  });
});
