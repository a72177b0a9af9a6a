/**
 * The CLI's happy path: train a tiny model on the dinosaur names, then sample
 * from it, evaluate it, and run the gradient check; plus the atomic writes
 * (no temporary files left behind).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModelFile } from '../../src/io/model-file.js';
import { decodeCheckpoint } from '../../src/train/checkpoint.js';
import { DEFAULT_RECIPE } from '../../src/train/recipe.js';
import { type CliResult, describeRun, dinosPath, freshDir, hiddenFiles, outputLines, runCliAsync, textFileLines } from './cli-helpers.js';

const dinoLines = textFileLines(dinosPath);
const dinoSet = new Set(dinoLines);

describe.concurrent('bptt train → sample → eval on the dinosaur names', () => {
  let dir: string;
  let modelPath: string;
  let checkpointPath: string;
  let trained: CliResult;

  beforeAll(async () => {
    dir = freshDir();
    modelPath = join(dir, 'm.safetensors');
    checkpointPath = join(dir, 'c.safetensors');
    trained = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--batch',
      '64',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'c.safetensors',
      '--print',
      '3',
    ]);
  });

  it('train exits 0, prints 3 samples on stdout and writes the model and the checkpoint', async () => {
    expect(trained.status, describeRun(trained)).toBe(0);
    const samples = outputLines(trained.stdout);
    expect(samples).toHaveLength(3);
    // A sample copied from the data is marked with " *".
    for (const line of samples) {
      const isCopy = line.endsWith(' *');
      expect(dinoSet.has(isCopy ? line.slice(0, -2) : line), line).toBe(isCopy);
    }
    expect(existsSync(modelPath)).toBe(true);
    expect(existsSync(checkpointPath)).toBe(true);
    expect(trained.stderr).toContain('Model written to m.safetensors');
  });

  it('the model file is a bptt model with the requested architecture, the checkpoint a checkpoint after 1 epoch', async () => {
    const saved = decodeModelFile(readFileSync(modelPath), modelPath);
    // --hidden as given; the rest from bptt's defaults (which are tuned from time to time, so not hard-coded here).
    expect(saved.model.config).toMatchObject({ hidden: 8, embed: DEFAULT_RECIPE.embed, activation: DEFAULT_RECIPE.activation, dtype: DEFAULT_RECIPE.dtype });
    expect(saved.checkpoint).toBeUndefined();
    // Vocabulary: the 52 letters of the names plus the end-of-line token.
    expect(saved.tokenizer.size).toBe(new Set(Array.from(dinoLines.join(''))).size + 1);

    const checkpoint = decodeCheckpoint(readFileSync(checkpointPath), checkpointPath);
    const trainLines = dinoLines.length - Math.round(dinoLines.length * DEFAULT_RECIPE.validationFraction);
    expect(checkpoint.training.position).toMatchObject({ epoch: 1, batchInEpoch: 0, step: Math.ceil(trainLines / 64) });
    expect(checkpoint.training.dataSource).toBe(dinosPath);
    // The checkpoint holds the same weights as the model file.
    expect(Array.from(checkpoint.model.params)).toEqual(Array.from(saved.model.params));
  });

  it('leaves no temporary files (names starting with ".") in the output folder', async () => {
    expect(trained.status).toBe(0);
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it('sample --count 5 --seed 3 prints 5 lines, the same ones every time', async () => {
    const cwd = freshDir();
    const first = await runCliAsync(cwd, ['sample', '--model', modelPath, '--count', '5', '--seed', '3']);
    expect(first.status, describeRun(first)).toBe(0);
    expect(outputLines(first.stdout)).toHaveLength(5);
    expect(first.stderr).toBe('');
    const second = await runCliAsync(cwd, ['sample', '--model', modelPath, '--count', '5', '--seed', '3']);
    expect(second.status, describeRun(second)).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });

  it('sample with another --seed gives other samples', async () => {
    const cwd = freshDir();
    const a = await runCliAsync(cwd, ['sample', '--model', modelPath, '--count', '5', '--seed', '3']);
    const b = await runCliAsync(cwd, ['sample', '--model', modelPath, '--count', '5', '--seed', '4']);
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(b.stdout).not.toBe(a.stdout);
  });

  it('sample --temperature 0 is greedy: every sample is the same most likely name', async () => {
    const result = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--temperature', '0', '--count', '4', '--seed', '9']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    expect(lines).toHaveLength(4);
    expect(new Set(lines).size).toBe(1);
  });

  it('sample --prime starts every sample with the prime, --max-length bounds the rest', async () => {
    const result = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--prime', 'Tyr', '--count', '6', '--max-length', '3']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(line.startsWith('Tyr'), line).toBe(true);
      expect(Array.from(line).length, line).toBeLessThanOrEqual(6);
    }
  });

  it('sample --novel --data prints only samples that are not lines of the data', async () => {
    const result = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--novel', '--data', dinosPath, '--count', '30', '--seed', '2']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    expect(lines).toHaveLength(30);
    for (const line of lines) expect(dinoSet.has(line), `${line} is in the data`).toBe(false);
    // Compared case-insensitively too: the model is tiny and its seed fixed, so none of its names is a known one in any case.
    const lowerData = new Set(dinoLines.map((line) => line.toLowerCase()));
    for (const line of lines) expect(lowerData.has(line.toLowerCase()), `${line} is in the data`).toBe(false);
    expect(result.stderr).toMatch(/^\d+ of \d+ samples were in the training data and rejected \(novelty [\d.]+%\)\n$/);
  });

  it('eval --json prints one JSON object with nats, bits, perplexity, chars and lines', async () => {
    const result = await runCliAsync(freshDir(), ['eval', '--model', modelPath, '--data', dinosPath, '--json']);
    expect(result.status, describeRun(result)).toBe(0);
    const stdoutLines = outputLines(result.stdout);
    expect(stdoutLines).toHaveLength(1);
    const report = JSON.parse(stdoutLines[0]) as Record<string, number>;
    expect(report.mode).toBe('lines'); // the model was trained on lines: eval reads lines
    expect(Object.keys(report).sort()).toEqual(['bits_per_char', 'chars', 'lines', 'mode', 'nats_per_char', 'perplexity', 'unknown']);
    const nats = report.nats_per_char;
    expect(Number.isFinite(nats) && nats > 0).toBe(true);
    expect(report.bits_per_char).toBeCloseTo(nats / Math.LN2, 12);
    expect(report.perplexity / Math.exp(nats)).toBeCloseTo(1, 12);
    // dinos.txt has 1,536 names: `wc -l` says 1,535 because the last line has no final newline.
    expect(report.lines).toBe(dinoLines.length);
    expect(report.lines).toBe(1536);
    // One token per code point of every line, plus one end-of-line token per line.
    const codePoints = dinoLines.reduce((sum, line) => sum + Array.from(line).length, 0);
    expect(report.chars).toBe(codePoints + dinoLines.length);
  });

  it('eval without --json prints the same numbers as text', async () => {
    const result = await runCliAsync(freshDir(), ['eval', '--model', modelPath, '--data', dinosPath]);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout).toContain(`${dinoLines.length} lines`);
    expect(result.stdout).toMatch(/nats\/char .* bits\/char .*perplexity/);
  });

  it('train --init continues from the model file (same architecture, same vocabulary)', async () => {
    const cwd = freshDir();
    const result = await runCliAsync(cwd, [
      'train',
      '--init',
      modelPath,
      '--data',
      dinosPath,
      '--steps',
      '2',
      '--batch',
      '64',
      '--print',
      '0',
      '--out',
      'next.safetensors',
    ]);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout).toBe('');
    const next = decodeModelFile(readFileSync(join(cwd, 'next.safetensors')), 'next.safetensors');
    expect(next.model.config.hidden).toBe(8);
    expect(hiddenFiles(cwd)).toEqual([]);
  });
});

describe.concurrent('bptt train with the built-in data set', () => {
  it('trains on the npm package "dinosaurs" by default and names the model after it', async () => {
    const cwd = freshDir();
    const result = await runCliAsync(cwd, ['train', '--hidden', '8', '--steps', '2', '--print', '0']);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout).toBe('');
    // 1,318 distinct lower-case names (26 letters + the end token), split by the default validation fraction.
    const validation = Math.round(1318 * DEFAULT_RECIPE.validationFraction);
    expect(result.stderr).toContain(`on dinosaurs: ${1318 - validation} training and ${validation} validation lines, vocabulary 27`);
    expect(existsSync(join(cwd, 'dinosaurs.safetensors'))).toBe(true);
    expect(hiddenFiles(cwd)).toEqual([]);
  });
});

describe.concurrent('novelty on a data set the model has memorised', () => {
  /** Two names the model learns by heart, so that many samples are copies of the data. */
  async function memorise(cwd: string, text: string, extra: string[] = []): Promise<CliResult> {
    writeFileSync(join(cwd, 'names.txt'), text);
    return runCliAsync(cwd, [
      'train',
      '--data',
      'names.txt',
      ...extra,
      '--val',
      '0',
      '--batch',
      '2',
      '--epochs',
      '200',
      '--hidden',
      '8',
      '--cell',
      'rnn',
      '--activation',
      'tanh',
      '--lr',
      '0.3',
      '--print',
      '10',
      '--out',
      'names.safetensors',
    ]);
  }

  it('sample --novel rejects every copy of a training line', async () => {
    const cwd = freshDir();
    const trainedRun = await memorise(cwd, 'ab\nba\n');
    expect(trainedRun.status, describeRun(trainedRun)).toBe(0);
    // The model reproduces its training names: train marks them as copies.
    expect(outputLines(trainedRun.stdout).filter((line) => line.endsWith(' *')).length).toBeGreaterThan(0);
    const result = await runCliAsync(cwd, ['sample', '--model', 'names.safetensors', '--novel', '--data', 'names.txt', '--count', '5']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    for (const line of lines) expect(['ab', 'ba']).not.toContain(line);
    // "R of A samples were in the training data and rejected (novelty N%)": N% of the A drawn were new, and printed.
    const [, rejected, attempts, novelty] = (
      /^(\d+) of (\d+) samples were in the training data and rejected \(novelty ([\d.]+)%\)$/m.exec(result.stderr) ?? []
    ).map(Number);
    expect(rejected).toBeGreaterThan(0);
    expect(attempts - rejected).toBe(lines.length);
    expect(novelty).toBeCloseTo((100 * lines.length) / attempts, 1);
  });

  it('sample --novel rejects copies for a model trained with --lowercase', async () => {
    const cwd = freshDir();
    const trainedRun = await memorise(cwd, 'Ab\nBa\n', ['--lowercase']);
    expect(trainedRun.status, describeRun(trainedRun)).toBe(0);
    expect(outputLines(trainedRun.stdout).filter((line) => line.endsWith(' *')).length).toBeGreaterThan(0);
    const result = await runCliAsync(cwd, ['sample', '--model', 'names.safetensors', '--novel', '--data', 'names.txt', '--count', '5']);
    expect(result.status, describeRun(result)).toBe(0);
    for (const line of outputLines(result.stdout)) expect(['ab', 'ba']).not.toContain(line.toLowerCase());
  });
});

describe.concurrent('bptt gradcheck', () => {
  it('exits 0 and reports PASS', async () => {
    const result = await runCliAsync(freshDir(), ['gradcheck']);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stdout).toContain('PASS');
  });

  it('--activation tanh --embed 4 --json prints JSON with passed: true', async () => {
    const result = await runCliAsync(freshDir(), ['gradcheck', '--activation', 'tanh', '--embed', '4', '--json']);
    expect(result.status, describeRun(result)).toBe(0);
    const lines = outputLines(result.stdout);
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]) as { passed: boolean; parameters: { name: string }[] };
    expect(report.passed).toBe(true);
    expect(report.parameters.map((p) => p.name)).toContain('embedding');
  });
});
