import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpttError, decodeModelFile, fingerprint, loadModel, Model, train } from '../../src/index.js';
import { loadModel as loadForInference } from '../../src/inference.js';
import { dinosPath } from '../helpers.js';

// Every fourth name: 384 from the whole alphabet (the file is sorted).
const names = readFileSync(dinosPath, 'utf8')
  .split('\n')
  .filter((name, i) => name && i % 4 === 0);

describe('train / sample / score / toBytes / loadModel', () => {
  let model: Model;
  beforeAll(async () => {
    model = await train(names, { epochs: 3, hidden: 32, embed: 16 });
  }, 60_000);

  it('trains on the fastest kernels with the defaults and says how it went', () => {
    expect(model.rnn.kernels.name).not.toBe('reference');
    expect(model.rnn.config).toMatchObject({ cell: 'lstm', hidden: 32, embed: 16 });
    expect(model.training).toMatchObject({ epochs: 3, stoppedEarly: false });
    expect(model.training!.validationLoss).toBeLessThan(Math.log(model.tokenizer.size));
    expect(model.trainingLines).toHaveLength(names.length);
  });

  it('samples count lines; a seed repeats them, successive calls differ; novel ones are not training lines', () => {
    const samples = model.sample({ count: 20, temperature: 0.8, topK: 10 });
    expect(samples).toHaveLength(20);
    for (const sample of samples) expect(sample).not.toContain('\n');
    expect(model.sample({ count: 5, seed: 7 })).toEqual(model.sample({ count: 5, seed: 7 }));
    expect(model.sample({ count: 5 })).not.toEqual(model.sample({ count: 5 }));
    const known = new Set(names);
    const novel = model.sample({ count: 30, temperature: 0.5, novel: true });
    expect(novel.length).toBeGreaterThan(0);
    for (const sample of novel) expect(known.has(sample), sample).toBe(false);
    const others = model.sample({ count: 5, prime: 'Ty', novel: ['Tyrannosaurus'] });
    for (const sample of others) expect(sample.startsWith('Ty') && sample !== 'Tyrannosaurus').toBe(true);
  });

  it('scores a line as the CLI does (start, characters, end), and counts what the vocabulary lacks', () => {
    const score = model.score('Tyrannosaurus');
    expect(score.tokens).toBe('Tyrannosaurus'.length + 1);
    expect(score.unknown).toBe(0);
    expect(score.logProbability).toBeLessThan(0);
    expect(score.natsPerToken).toBeCloseTo(-score.logProbability / score.tokens, 12);
    // A training name is likelier than the same letters shuffled.
    expect(model.score(names[10]).natsPerToken).toBeLessThan(model.score([...names[10]].reverse().join('')).natsPerToken);
    const withUnknown = model.score('Tyranno€saurus☃');
    expect(withUnknown.unknown).toBe(2);
    expect(withUnknown).toMatchObject({ tokens: score.tokens, logProbability: score.logProbability });
  });

  it('writes a model file the lower-level API reads, and loadModel reads it back from bytes, a path and a file URL', async () => {
    const bytes = model.toBytes();
    const decoded = decodeModelFile(bytes, 'bytes');
    expect(Array.from(decoded.model.params)).toEqual(Array.from(model.rnn.params));
    expect(decoded.metadata.data).toEqual({ source: 'the training text', lines: names.length, fingerprint: fingerprint(names.join('\n')) });
    const folder = mkdtempSync(join(tmpdir(), 'bptt-api-'));
    const path = join(folder, 'names.safetensors');
    writeFileSync(path, bytes);
    for (const source of [
      bytes,
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      path,
      pathToFileURL(path),
      pathToFileURL(path).href,
    ]) {
      const again = await loadModel(source);
      expect(again.rnn.kernels.name).not.toBe('reference');
      expect(again.score('Tyrannosaurus')).toEqual(model.score('Tyrannosaurus'));
      expect(again.sample({ count: 3, seed: 5 })).toEqual(model.sample({ count: 3, seed: 5 }));
    }
  });

  it('bptt/inference loads the same file on the pure-TypeScript kernels and scores alike', async () => {
    const light = await loadForInference(model.toBytes());
    expect(light.rnn.kernels.name).toBe('reference');
    const [a, b] = [light.score('Stegosaurus'), model.score('Stegosaurus')];
    expect(a.logProbability).toBeCloseTo(b.logProbability, 3);
    expect(light.sample({ count: 3 })).toHaveLength(3);
  });

  it('refuses what it cannot do with one line naming the problem', async () => {
    const loaded = await loadModel(model.toBytes());
    expect(() => loaded.sample({ novel: true })).toThrow(BpttError);
    expect(() => loaded.sample({ novel: true })).toThrow(/only a model from train\(\) knows/);
    await expect(loadModel(join(tmpdir(), 'no-such-model.safetensors'))).rejects.toThrow(/does not exist/);
    await expect(loadModel(new Uint8Array([1, 2, 3]))).rejects.toThrow(BpttError);
  });

  it('a model of running text streams, keeps how it read the text in its file, and samples passages', async () => {
    const prose = 'The rain in the valley fell all night, and by morning the river had risen over the old stone bridge.\n\n'.repeat(90); // 9,180 characters: long enough for the text recipe's streams (autoRecipe)
    const streamed = await train(prose, { steps: 4, hidden: 16, embed: 8, seqLength: 16, batch: 4 });
    expect(streamed.stream).toEqual({ streams: 4, steps: 16, documents: 'blank-line' });
    expect(streamed.trainingLines).toEqual([]);
    const again = await loadModel(streamed.toBytes());
    expect(again.stream).toEqual(streamed.stream);
    const [passage] = again.sample({ count: 1, length: 40 });
    expect([...passage].length).toBe(40);
  });
});
