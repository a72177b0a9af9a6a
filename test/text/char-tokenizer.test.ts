import { describe, expect, it } from 'vitest';
import { BpttError, CharTokenizer } from '../../src/index.js';

describe('CharTokenizer', () => {
  it('uses sorted code points plus the end-of-sequence token', () => {
    const tokenizer = CharTokenizer.fromText('banana\ncab');
    expect(tokenizer.tokens).toEqual(['\n', 'a', 'b', 'c', 'n']);
    expect(tokenizer.endId).toBe(0);
    expect(CharTokenizer.fromText('ba').tokens).toEqual(['\n', 'a', 'b']);
  });

  it('treats an astral character as one token, never two UTF-16 halves', () => {
    const text = 'a🦕b🦖';
    const tokenizer = CharTokenizer.fromText(text);
    expect(tokenizer.size).toBe(5);
    expect(tokenizer.tokens).toContain('🦕');
    const ids = tokenizer.encode(text);
    expect(ids).toHaveLength(4);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  it('round-trips text and names unknown characters with their code point', () => {
    const tokenizer = CharTokenizer.fromText('abc');
    expect(tokenizer.decode(tokenizer.encode('cab\nba'))).toBe('cab\nba');
    expect(() => tokenizer.encode('abQ', 'the prime')).toThrowError(BpttError);
    expect(() => tokenizer.encode('abQ', 'the prime')).toThrowError(/the prime contains "Q" \(U\+0051\).*use only these characters/);
  });

  it('rejects a vocabulary with repeats or without an end token', () => {
    expect(() => new CharTokenizer(['\n', 'a', 'a'])).toThrowError(BpttError);
    expect(() => new CharTokenizer(['a', 'b'])).toThrowError(BpttError);
  });
});
