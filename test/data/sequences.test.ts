import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  batches,
  BpttError,
  CharTokenizer,
  chunkSequences,
  lineSequences,
  prepareData,
  NOTEBOOK_PRESET,
  DEFAULT_RECIPE,
  splitValidation,
  textLines,
} from '../../src/index.js';
import { dinosPath } from '../helpers.js';

describe('mode lines', () => {
  it('feeds "\\n" + line and predicts line + "\\n"', () => {
    const tokenizer = CharTokenizer.fromText('ab\nba');
    const [first] = lineSequences(['ab'], tokenizer);
    expect(tokenizer.decode(first.input)).toBe('\nab');
    expect(tokenizer.decode(first.target)).toBe('ab\n');
  });

  it('splits lines on \\n, \\r\\n and \\r and drops empty ones', () => {
    expect(textLines('a\r\nbb\n\ncc\rd\n')).toEqual(['a', 'bb', 'cc', 'd']);
  });

  it('batches pad shorter rows and mask them', () => {
    const tokenizer = CharTokenizer.fromText('abc');
    const sequences = lineSequences(['abc', 'a'], tokenizer);
    const [batch] = [...batches(sequences, [0, 1], 8)];
    expect(batch.steps).toBe(4);
    expect(batch.rows).toBe(2);
    expect(batch.tokens).toBe(6);
    // time-major: column b of step t at t·B + b
    expect(Array.from(batch.mask)).toEqual([1, 1, 1, 1, 1, 0, 1, 0]);
    expect(batch.targets[1 * 2 + 1]).toBe(tokenizer.endId);
  });
});

describe('mode chunks', () => {
  const tokenizer = CharTokenizer.fromText('abcdefghij\n');

  it('cuts chunks of T + 1 characters: input the first T, target the last T', () => {
    const sequences = chunkSequences('abcdefghij', tokenizer, { steps: 3, dropWhitespaceEdges: false });
    expect(sequences.map((s) => tokenizer.decode(s.input))).toEqual(['abc', 'efg', 'ij'.slice(0, 1)]);
    expect(sequences.map((s) => tokenizer.decode(s.target))).toEqual(['bcd', 'fgh', 'j']);
  });

  it('the notebook quirk drops chunks that begin or end with whitespace, and a short last chunk', () => {
    const sequences = chunkSequences('abc\nefghij\nabcd', tokenizer, { steps: 3, dropWhitespaceEdges: true });
    // chunks: "abc\n" (ends with \n: dropped), "efgh" (kept), "ij\na" (kept), "bcd" (short: dropped)
    expect(sequences.map((s) => tokenizer.decode(s.input) + tokenizer.decode(s.target).slice(-1))).toEqual(['efgh', 'ij\na']);
  });

  it("the seed preset on the seed's data: lower-cased, 16-character chunks, the edge quirk", () => {
    const text = readFileSync(dinosPath, 'utf8');
    const data = prepareData(text, NOTEBOOK_PRESET, 'dinos.txt');
    expect(data.tokenizer.size).toBe(27);
    expect(data.validation).toHaveLength(0);
    const lower = text.toLowerCase();
    let expected = 0;
    for (let start = 0; start + 16 <= lower.length; start += 16) {
      const chunk = lower.slice(start, start + 16);
      if (chunk.trim().length === 16) expected++;
    }
    expect(data.train).toHaveLength(expected);
    expect(data.train.every((s) => s.input.length === 15 && s.target.length === 15)).toBe(true);
  });
});

describe('validation split', () => {
  it('is seeded, disjoint and covers everything', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const a = splitValidation(items, 0.1, 1);
    expect(a.validation).toHaveLength(10);
    expect([...a.train, ...a.validation].sort((x, y) => x - y)).toEqual(items);
    expect(splitValidation(items, 0.1, 1)).toEqual(a);
    expect(splitValidation(items, 0.1, 2).validation).not.toEqual(a.validation);
  });
});

describe('prepareData rejects unusable text', () => {
  it('one distinct character', () => {
    expect(() => prepareData('aaa\naa\n', DEFAULT_RECIPE, 'x.txt')).toThrowError(/x\.txt has only one distinct character/);
  });

  it('characters outside a given vocabulary', () => {
    expect(() => prepareData('abc\nabz\n', DEFAULT_RECIPE, 'y.txt', CharTokenizer.fromText('abc'))).toThrowError(BpttError);
  });

  it('a line too long for mode lines', () => {
    expect(() => prepareData('ab'.repeat(2000), DEFAULT_RECIPE, 'z.txt')).toThrowError(/use --mode chunks/);
  });
});
