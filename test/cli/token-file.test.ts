/**
 * Mode stream's file reader (src/cli/token-file.ts): chunked reads give the
 * ids and fingerprint of the whole text, across UTF-8 sequences and '\r\n'
 * pairs split by a chunk boundary; bad files fail with one clear line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, readStreamCorpus } from '../../src/cli/token-file.js';
import { BpttError, CharTokenizer, fingerprint } from '../../src/index.js';
import { describeRun, expectSameTensors, freshDir, runCli } from './cli-helpers.js';

const folder = mkdtempSync(join(tmpdir(), 'bptt-token-file-'));
const CHUNK = CHUNK_BYTES;

function readAll(path: string, options = { lowercase: false }, tokenizer?: CharTokenizer) {
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
