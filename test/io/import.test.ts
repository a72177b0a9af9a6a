/**
 * Importing a PyTorch state dict that has no bptt metadata: the cell and
 * sizes come from the tensor shapes, the vocabulary from the caller; the
 * result equals the model the metadata-carrying file describes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpttError, decodeModelFile, importStateDict, parseSafetensors, serializeSafetensors } from '../../src/index.js';
import { repoRoot } from '../helpers.js';

const vocab = ['\n', 'a', 'b', 'c', 'd', 'e', 'f'];

describe.each(['tanh-embed', 'lstm-onehot', 'gru-embed', 'lstm-2layers', 'relu-2layers'])('importStateDict, %s', (name) => {
  const original = readFileSync(join(repoRoot, 'test', 'fixtures', `torch-${name}.safetensors`));
  const file = parseSafetensors(original);
  const bare = serializeSafetensors(Object.fromEntries(file.tensors), { format: 'pt' }); // as PyTorch saves it

  it('recovers the cell, the sizes and every weight', () => {
    const expected = decodeModelFile(original, 'with-metadata');
    // A state dict does not record nn.RNN's nonlinearity: the caller says it.
    const activation = name.startsWith('relu') ? 'relu' : 'tanh';
    const imported = decodeModelFile(importStateDict(bare, 'state.safetensors', { vocab, activation, lowercase: false }), 'imported');
    expect(imported.model.config).toEqual(expected.model.config);
    expect(Array.from(imported.model.params)).toEqual(Array.from(expected.model.params));
  });

  it('rejects a vocabulary of the wrong size', () => {
    expect(() => importStateDict(bare, 'state.safetensors', { vocab: vocab.slice(0, 5), activation: 'tanh', lowercase: false })).toThrowError(BpttError);
    expect(() => importStateDict(bare, 'state.safetensors', { vocab: vocab.slice(0, 5), activation: 'tanh', lowercase: false })).toThrowError(
      /fc\.weight has 7 rows/,
    );
  });
});

it('rejects a file that is no recurrent model', () => {
  const bytes = serializeSafetensors({ 'fc.weight': { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) } });
  expect(() => importStateDict(bytes, 'x.safetensors', { vocab, activation: 'tanh', lowercase: false })).toThrowError(/no 2-D tensor rnn\.weight_hh_l0/);
});
