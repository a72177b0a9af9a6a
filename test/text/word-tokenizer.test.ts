import { describe, expect, it } from 'vitest';
import { BpttError, CharTokenizer, joinWords, splitWords, tokenizerForText, tokenizerFromSpec, UNKNOWN_TOKEN, WordTokenizer } from '../../src/index.js';

describe('splitWords', () => {
  it.each([
    ['Hello, world!', ['Hello', ',', 'world', '!']],
    ["don't stop", ["don't", 'stop']],
    ['well-known rock’n’roll', ['well-known', 'rock’n’roll']],
    ['pi is 3.14, not 1,000 or 10:30.', ['pi', 'is', '3.14', ',', 'not', '1,000', 'or', '10:30', '.']],
    ['a - b', ['a', '-', 'b']],
    ['end-', ['end', '-']],
    ["'quoted'", ["'", 'quoted', "'"]],
    ['two\nlines', ['two', '\n', 'lines']],
    ['  spaced \t out  ', ['spaced', 'out']],
    ['naïve café e\u0301t\u00e9', ['naïve', 'café', 'e\u0301t\u00e9']],
    ['Привет, мир!', ['Привет', ',', 'мир', '!']],
    ['我爱你。', ['我爱你', '。']],
    ['I ❤ 🦕s', ['I', '❤', '🦕', 's']],
    ['', []],
  ])('%j', (text, pieces) => {
    expect(splitWords(text)).toEqual(pieces);
  });
});

describe('WordTokenizer', () => {
  const corpus = 'The cat sat.\nThe dog sat, too!\nA cat? "Yes," she said.\n';

  it('word tokenizer round trips normalised text, Unicode included', () => {
    const cases = [
      'The cat sat.',
      'Hello, world! How are you?',
      'She said "hi there" and left.',
      "It's a well-known rock'n'roll song (from 1,000.5 km away).",
      'Wait… what?!',
      "'Single' and ‘curly’ quotes, “double” too.",
      '¿Qué tal? ¡Muy bien!',
      '«Bonjour», dit-il; 50% oui.',
      'Привет, мир! Как дела?',
      'naïve café — déjà vu',
      'e\u0301te\u0301 [ok] {x}',
      '我爱你。 東京 は 大きい',
      'I ❤ 🦕 and 🦖.',
      'a - b / c + d = e',
      'line one.\nline two, "quoted."\n"A" "B"',
    ];
    for (const text of cases) {
      const tokenizer = WordTokenizer.fromText(text, { minCount: 1 });
      expect(tokenizer.decode(tokenizer.encode(text)), text).toBe(text);
    }
  });

  it('normalises other spacing on the way back', () => {
    const tokenizer = WordTokenizer.fromText('a ,b ( c )  d', { minCount: 1 });
    expect(tokenizer.decode(tokenizer.encode('a ,b ( c )  d'))).toBe('a, b (c) d');
  });

  it("has '\\n', the unknown token, then pieces by descending count", () => {
    const tokenizer = WordTokenizer.fromText(corpus, { minCount: 1 });
    expect(tokenizer.tokens.slice(0, 2)).toEqual(['\n', UNKNOWN_TOKEN]);
    expect(tokenizer.endId).toBe(0);
    expect(tokenizer.unknownId).toBe(1);
    // sat×2, The×2, cat×2, '.'×2, '"'×2, ','×2, then the rest once; ties in code-unit order.
    expect(tokenizer.tokens.slice(2, 8)).toEqual(['"', ',', '.', 'The', 'cat', 'sat']);
    expect(tokenizer.kind).toBe('word');
    expect(tokenizer.unit).toBe('token');
  });

  it('maps pieces seen fewer than minCount times, and unseen ones, to the unknown token', () => {
    const tokenizer = WordTokenizer.fromText(corpus); // default minCount 2
    expect(tokenizer.tokens).not.toContain('dog');
    expect(tokenizer.tokens).toContain('cat');
    const ids = tokenizer.encode('The dog sat.');
    expect(ids).toEqual([tokenizer.tokens.indexOf('The'), tokenizer.unknownId, tokenizer.tokens.indexOf('sat'), tokenizer.tokens.indexOf('.')]);
    expect(tokenizer.decode(ids)).toBe('The <unk> sat.');
    expect(tokenizer.encode('zebra 🦓')).toEqual([tokenizer.unknownId, tokenizer.unknownId]);
    expect(tokenizer.unknownCount('The zebra sat')).toBe(1);
    expect(tokenizer.unknownCharacter('zebra 🦓')).toBeUndefined();
  });

  it('lower-cases when asked, and the literal text "<unk>" is not the unknown token', () => {
    const tokenizer = WordTokenizer.fromText('The the THE <unk>', { lowercase: true, minCount: 1 });
    expect(tokenizer.tokens).toContain('the');
    expect(tokenizer.tokens).not.toContain('The');
    expect(tokenizer.encode('tHe')).toEqual([tokenizer.tokens.indexOf('the')]);
    expect(tokenizer.encode('<unk>')).not.toContain(tokenizer.unknownId);
  });

  it('continues a prime as typed, spaced by the rules', () => {
    const tokenizer = WordTokenizer.fromText('the cat sat . , on', { minCount: 1, lowercase: true });
    const ids = tokenizer.encode('sat on the cat.');
    expect(tokenizer.continueText('The Zebra', ids)).toBe('The Zebra sat on the cat.');
    expect(tokenizer.continueText('', ids)).toBe('sat on the cat.');
    const chars = CharTokenizer.fromText('abc');
    expect(chars.continueText('Ab', chars.encode('ca'))).toBe('Abca');
  });

  it('joins pieces without a space before closing and after opening marks', () => {
    expect(joinWords(['(', 'a', ')', ',', '¡', 'b', '!'])).toBe('(a), ¡b!');
    expect(joinWords(['"', 'a', '"', '"', 'b', '"', '\n', '"', 'c'])).toBe('"a" "b"\n"c');
  });

  it('round-trips through its spec, and rejects damaged vocabularies', () => {
    const tokenizer = WordTokenizer.fromText(corpus, { minCount: 1, lowercase: true });
    const restored = tokenizerFromSpec(JSON.parse(JSON.stringify(tokenizer.spec())));
    expect(restored).toBeInstanceOf(WordTokenizer);
    expect(restored.tokens).toEqual(tokenizer.tokens);
    expect(restored.lowercase).toBe(true);
    expect(restored.encode('The cat')).toEqual(tokenizer.encode('The cat'));

    const damaged: [string[], string | undefined, RegExp][] = [
      [['\n', '<unk>', 'a', 'a'], undefined, /twice/],
      [['<unk>', 'a'], undefined, /end-of-sequence/],
      [['\n', 'a', 'b'], undefined, /no unknown token/],
      [['\n', '<unk>', 'two words'], undefined, /"two words" is not one word or mark/],
      [['\n', '<unk>', ''], undefined, /"" is not one word/],
      [['\n', 'unk', 'a'], 'unk', /could be a word/],
    ];
    for (const [vocab, unknown, message] of damaged) {
      expect(() => tokenizerFromSpec({ tokenizer: 'word', vocab, lowercase: false, unknown }), vocab.join('|')).toThrowError(BpttError);
      expect(() => tokenizerFromSpec({ tokenizer: 'word', vocab, lowercase: false, unknown })).toThrowError(message);
    }
  });

  it('tokenizerForText picks the kind', () => {
    expect(tokenizerForText('ab ab', { kind: 'char', lowercase: false }).tokens).toEqual(['\n', ' ', 'a', 'b']);
    expect(tokenizerForText('ab ab', { kind: 'word', lowercase: false, minCount: 2 }).tokens).toEqual(['\n', '<unk>', 'ab']);
  });
});
