/**
 * `bptt export onnx|pytorch` on the command line: the files it writes, and the inputs it refuses
 * (one line, exit 2, nothing overwritten). What the files compute is tested in test/export/.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { CharTokenizer, encodeModelFile, RnnModel } from '../../src/index.js';
import { PYTORCH_MODEL_FILE, PYTORCH_RECIPE_FILE, PYTORCH_TEMPLATES } from '../../src/export/pytorch.js';
import { describeRun, expectUserError, freshDir, hiddenFiles, runCliAsync } from './cli-helpers.js';

function modelFile(dir: string): string {
  const tokenizer = CharTokenizer.fromText('abcdef\n');
  const model = RnnModel.initialized(
    { cell: 'gru', activation: 'tanh', vocabSize: tokenizer.size, hidden: 5, embed: 0, layers: 2, dtype: 'float32', init: 'scaled' },
    1,
  );
  const path = join(dir, 'm.safetensors');
  writeFileSync(path, encodeModelFile(model, tokenizer));
  return path;
}

describe.concurrent('bptt export', () => {
  it('onnx writes an ONNX model carrying the vocabulary, and no temporary file', async () => {
    const dir = freshDir();
    const model = modelFile(dir);
    const result = await runCliAsync(dir, ['export', 'onnx', '--model', model, '--out', 'm.onnx']);
    expect(result.status, describeRun(result)).toBe(0);
    const decoded = onnxProto.onnx.ModelProto.decode(readFileSync(join(dir, 'm.onnx')));
    expect(decoded.graph!.node!.filter((n) => n.opType === 'GRU')).toHaveLength(2);
    expect(JSON.parse(decoded.metadataProps[0].value!).vocab).toEqual(['\n', 'a', 'b', 'c', 'd', 'e', 'f']);
    expect(decoded.producerVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it('onnx refuses to write over its input', async () => {
    const dir = freshDir();
    const model = modelFile(dir);
    const before = readFileSync(model);
    expectUserError(await runCliAsync(dir, ['export', 'onnx', '--model', model, '--out', model]), ['--out', 'is the same file as --model']);
    expect(readFileSync(model).equals(before)).toBe(true);
  });

  it('onnx names a missing model file', async () => {
    expectUserError(await runCliAsync(freshDir(), ['export', 'onnx', '--model', 'nope.safetensors', '--out', 'm.onnx']), ['nope.safetensors does not exist']);
  });

  it('pytorch writes the project into a new folder', async () => {
    const dir = freshDir();
    const model = modelFile(dir);
    const result = await runCliAsync(dir, ['export', 'pytorch', '--model', model, '--out', 'project']);
    expect(result.status, describeRun(result)).toBe(0);
    expect(readdirSync(join(dir, 'project')).sort()).toEqual([...PYTORCH_TEMPLATES, PYTORCH_MODEL_FILE, PYTORCH_RECIPE_FILE].sort());
    expect(readFileSync(join(dir, 'project', PYTORCH_MODEL_FILE)).equals(readFileSync(model))).toBe(true);
  });

  it('pytorch refuses a folder that has files in it, and leaves them alone', async () => {
    const dir = freshDir();
    const model = modelFile(dir);
    mkdirSync(join(dir, 'project'));
    writeFileSync(join(dir, 'project', 'train.py'), 'mine');
    expectUserError(await runCliAsync(dir, ['export', 'pytorch', '--model', model, '--out', 'project']), ['the folder project is not empty']);
    expect(readdirSync(join(dir, 'project'))).toEqual(['train.py']);
    expect(readFileSync(join(dir, 'project', 'train.py'), 'utf8')).toBe('mine');
  });
});
