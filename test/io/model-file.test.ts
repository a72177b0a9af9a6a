import { describe, expect, it } from 'vitest';
import {
  BpttError,
  CharTokenizer,
  decodeModelFile,
  encodeModelFile,
  parseSafetensors,
  RnnModel,
  serializeSafetensors,
  WordTokenizer,
  type Activation,
} from '../../src/index.js';

const tokenizer = CharTokenizer.fromText('abcde');
const makeModel = (activation: Activation, embed: number, dtype: 'float32' | 'float64') =>
  RnnModel.initialized({ cell: 'rnn', activation, vocabSize: tokenizer.size, hidden: 7, embed, layers: 1, dtype, init: 'scaled' }, 4);

describe('model file', () => {
  it.each([
    ['sigmoid', 0, 'float32'],
    ['tanh', 3, 'float64'],
  ] as const)('round-trips a %s model with embed %i in %s exactly', (activation, embed, dtype) => {
    const model = makeModel(activation, embed, dtype);
    const loaded = decodeModelFile(encodeModelFile(model, tokenizer), 'm.safetensors');
    expect(loaded.model.config).toEqual(model.config);
    expect(Array.from(loaded.model.params)).toEqual(Array.from(model.params));
    expect(loaded.tokenizer.tokens).toEqual(tokenizer.tokens);
    expect(loaded.checkpoint).toBeUndefined();
  });

  it('uses PyTorch names, dtypes and the metadata PyTorch users need', () => {
    const model = makeModel('tanh', 3, 'float32');
    const file = parseSafetensors(encodeModelFile(model, tokenizer));
    expect([...file.tensors.keys()].sort()).toEqual(
      ['embedding.weight', 'fc.bias', 'fc.weight', 'rnn.bias_hh_l0', 'rnn.bias_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l0'].sort(),
    );
    expect(file.tensors.get('rnn.weight_ih_l0')!.shape).toEqual([7, 3]);
    expect(file.tensors.get('fc.weight')!.shape).toEqual([6, 7]);
    expect(file.tensors.get('embedding.weight')!.shape).toEqual([6, 3]);
    expect([...file.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    expect(file.metadata.format).toBe('pt');
    const meta = JSON.parse(file.metadata.bptt);
    expect(meta).toMatchObject({
      version: 1,
      cell: 'rnn',
      activation: 'tanh',
      hidden: 7,
      layers: 1,
      embed: 3,
      tokenizer: 'char',
      vocab: ['\n', 'a', 'b', 'c', 'd', 'e'],
    });
  });

  it("adds PyTorch's two biases into the seed's one on import", () => {
    const model = makeModel('tanh', 0, 'float64');
    const file = parseSafetensors(encodeModelFile(model, tokenizer));
    const tensors = Object.fromEntries(file.tensors);
    const secondBias = new Float64Array(7).fill(0.5);
    tensors['rnn.bias_hh_l0'] = { dtype: 'F64', shape: [7], bytes: new Uint8Array(secondBias.buffer) };
    const loaded = decodeModelFile(serializeSafetensors(tensors, file.metadata), 'torch.safetensors');
    for (let i = 0; i < 7; i++) expect(loaded.model.weights.b1[i]).toBeCloseTo(model.weights.b1[i] + 0.5, 15);
  });

  describe('rejects, with an error naming the file', () => {
    const model = makeModel('sigmoid', 0, 'float32');
    const good = parseSafetensors(encodeModelFile(model, tokenizer));
    const rewrite = (edit: (tensors: Record<string, any>, metadata: Record<string, string>) => void) => {
      const tensors: Record<string, any> = Object.fromEntries(good.tensors);
      const metadata = { ...good.metadata };
      edit(tensors, metadata);
      return serializeSafetensors(tensors, metadata);
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ['random bytes', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), /bad\.safetensors/],
      ['a truncated file', encodeModelFile(model, tokenizer).subarray(0, 200), /bad\.safetensors/],
      ['safetensors without bptt metadata', rewrite((_, m) => delete m.bptt), /not a bptt model/],
      ['metadata that is not JSON', rewrite((_, m) => (m.bptt = '{oops')), /not valid JSON/],
      ['a newer format version', rewrite((_, m) => (m.bptt = JSON.stringify({ ...JSON.parse(m.bptt), version: 99 }))), /version 99/],
      ['an unknown cell', rewrite((_, m) => (m.bptt = JSON.stringify({ ...JSON.parse(m.bptt), cell: 'transformer' }))), /cell "transformer"/],
      ['a missing tensor', rewrite((t) => delete t['fc.bias']), /tensor fc\.bias is missing/],
      ['a wrong shape', rewrite((_, m) => (m.bptt = JSON.stringify({ ...JSON.parse(m.bptt), hidden: 8 }))), /shape/],
      ['an unexpected tensor', rewrite((t) => (t['rnn.weight_ih_l1'] = t['rnn.weight_ih_l0'])), /unexpected tensor rnn\.weight_ih_l1/],
      ['a wrong dtype', rewrite((t) => (t['fc.bias'] = { ...t['fc.bias'], dtype: 'I32' })), /dtype I32/],
      ['a NaN weight', rewrite((t) => (t['fc.bias'] = { dtype: 'F32', shape: [6], data: new Float32Array(6).fill(NaN) })), /non-finite/],
      ['a vocabulary that does not fit', rewrite((_, m) => (m.bptt = JSON.stringify({ ...JSON.parse(m.bptt), vocab: ['a', 'bc'] }))), /vocab/],
    ];
    it.each(cases)('%s', (_, bytes, message) => {
      expect(() => decodeModelFile(bytes, 'bad.safetensors')).toThrowError(BpttError);
      expect(() => decodeModelFile(bytes, 'bad.safetensors')).toThrowError(message);
    });
  });
});

describe('model file of a word model', () => {
  const words = WordTokenizer.fromText('The cat sat on the mat.\nThe dog sat, too!', { minCount: 1, lowercase: true });
  const model = RnnModel.initialized(
    { cell: 'gru', activation: 'tanh', vocabSize: words.size, hidden: 5, embed: 3, layers: 1, dtype: 'float32', init: 'scaled' },
    2,
  );
  const bytes = encodeModelFile(model, words);

  it('stores tokenizer "word", the tokens and the unknown token, and reads them back', () => {
    const meta = JSON.parse(parseSafetensors(bytes).metadata.bptt);
    expect(meta).toMatchObject({ tokenizer: 'word', vocab: [...words.tokens], unknown: '<unk>', lowercase: true });
    const loaded = decodeModelFile(bytes, 'words.safetensors');
    expect(loaded.tokenizer).toBeInstanceOf(WordTokenizer);
    expect(loaded.tokenizer.tokens).toEqual(words.tokens);
    expect(loaded.tokenizer.encode('The zebra sat.')).toEqual(words.encode('The zebra sat.'));
    expect(Array.from(loaded.model.params)).toEqual(Array.from(model.params));
  });

  it('keeps PyTorch names: the same tensors as a character model', () => {
    expect([...parseSafetensors(bytes).tensors.keys()].sort()).toEqual([
      'embedding.weight',
      'fc.bias',
      'fc.weight',
      'rnn.bias_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.weight_ih_l0',
    ]);
  });

  const withMetadata = (edit: (meta: Record<string, unknown>) => void) => {
    const file = parseSafetensors(bytes);
    const meta = JSON.parse(file.metadata.bptt);
    edit(meta);
    return serializeSafetensors(Object.fromEntries(file.tensors), { ...file.metadata, bptt: JSON.stringify(meta) });
  };
  it.each([
    ['no unknown token', (m: Record<string, unknown>) => delete m.unknown, /metadata "unknown"/],
    [
      'an unknown token missing from the vocabulary',
      (m: Record<string, unknown>) => (m.unknown = '<oov>'),
      /vocabulary is unusable \(the vocabulary has no unknown token "<oov>"\)/,
    ],
    [
      'a token of two words',
      (m: Record<string, unknown>) => ((m.vocab as string[])[3] = 'two words'),
      /vocabulary is unusable \(the vocabulary's token "two words" is not one word or mark\)/,
    ],
    ['a repeated token', (m: Record<string, unknown>) => ((m.vocab as string[])[3] = (m.vocab as string[])[2]), /lists a token twice/],
    ['an empty token', (m: Record<string, unknown>) => ((m.vocab as string[])[3] = ''), /not a list of at least two tokens/],
    ['an unknown tokenizer', (m: Record<string, unknown>) => (m.tokenizer = 'bpe'), /tokenizer "bpe" is not supported/],
  ])('rejects %s with a BpttError naming the file', (_, edit, message) => {
    const damaged = withMetadata(edit);
    expect(() => decodeModelFile(damaged, 'words.safetensors')).toThrowError(BpttError);
    expect(() => decodeModelFile(damaged, 'words.safetensors')).toThrowError(/^words\.safetensors: /);
    expect(() => decodeModelFile(damaged, 'words.safetensors')).toThrowError(message);
  });
});
