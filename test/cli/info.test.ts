import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });

describe('bptt info', () => {
  it('describes a model file: architecture, parameter count and tensors', () => {
    const result = cli(['info', 'test/fixtures/torch-tanh-embed.safetensors', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ cell: 'rnn', activation: 'tanh', hidden: 8, layers: 1, embed: 5, vocab_size: 7, dtype: 'float64', checkpoint: null });
    // embedding 7×5, W_ih 8×5, W_hh 8×8, b1 8, U 7×8, b2 7 (bias_hh is folded into b1)
    expect(report.parameters).toBe(35 + 40 + 64 + 8 + 56 + 7);
    expect(report.tensors.map((t: { name: string }) => t.name).sort()).toEqual([
      'embedding.weight',
      'fc.bias',
      'fc.weight',
      'rnn.bias_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.weight_ih_l0',
    ]);
    const text = cli(['info', 'test/fixtures/torch-tanh-embed.safetensors']);
    expect(text.stdout).toMatch(/tanh RNN, hidden 8, 1 layer, embedding 5/);
  });

  it('rejects a file that is not a model with one line and exit code 2', () => {
    const result = cli(['info', 'package.json']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('package.json');
  });
});

describe('an LSTM through the CLI', () => {
  it('trains, samples, evaluates and describes itself', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bptt-lstm-'));
    const model = join(folder, 'lstm.safetensors');
    const trained = cli(['train', '--cell', 'lstm', '--hidden', '12', '--steps', '5', '--print', '2', '--out', model]);
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stderr).toContain('Training an LSTM (hidden 12');
    expect(trained.stdout.trim().split('\n')).toHaveLength(2);
    const sampled = cli(['sample', '--model', model, '--count', '3', '--seed', '2']);
    expect(sampled.status, sampled.stderr).toBe(0);
    expect(sampled.stdout.trim().split('\n')).toHaveLength(3);
    const evaluated = JSON.parse(cli(['eval', '--model', model, '--json']).stdout);
    expect(evaluated.lines).toBe(1318);
    expect(evaluated.nats_per_char).toBeGreaterThan(0);
    const info = JSON.parse(cli(['info', model, '--json']).stdout);
    expect(info).toMatchObject({ cell: 'lstm', hidden: 12 });
    expect(info.tensors.find((t: { name: string }) => t.name === 'rnn.weight_hh_l0').shape).toEqual([48, 12]);
  });
});

describe('bptt score', () => {
  it('gives each string its log-probability and nats per character, end of line included', () => {
    const result = cli(['score', '--model', 'test/fixtures/torch-tanh-onehot.safetensors', '--json', 'abc', 'fed']);
    expect(result.status, result.stderr).toBe(0);
    const [abc, fed] = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(abc).toMatchObject({ text: 'abc', chars: 4 });
    expect(abc.log_prob).toBeCloseTo(-abc.nats_per_char * 4, 10);
    expect(abc.log_prob).toBeLessThan(0);
    expect(fed.text).toBe('fed');
  });

  it('with --strict, names a character the model does not know', () => {
    const result = cli(['score', '--model', 'test/fixtures/torch-tanh-onehot.safetensors', '--strict', 'abz']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"z" (U+007A)');
  });

  it('without --strict, skips it and says so', () => {
    const result = cli(['score', '--model', 'test/fixtures/torch-tanh-onehot.safetensors', '--json', 'abz']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).unknown).toBe(1);
    expect(result.stderr).toContain('skipped 1 character the model does not know (the first: "z")');
  });
});

describe('bptt train --log', () => {
  it('writes one JSON object per step and per epoch', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bptt-log-'));
    const log = join(folder, 'run.jsonl');
    const result = cli(['train', '--hidden', '8', '--batch', '256', '--epochs', '2', '--print', '0', '--out', join(folder, 'm.safetensors'), '--log', log]);
    expect(result.status, result.stderr).toBe(0);
    const records = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const steps = records.filter((r) => r.type === 'step');
    const epochs = records.filter((r) => r.type === 'epoch');
    expect(steps).toHaveLength(10); // 1,186 training names in batches of 256: 5 steps per epoch
    expect(steps.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2]);
    for (const r of steps) expect(r.loss).toBeGreaterThan(0);
    expect(epochs[1].validation_loss).toBeGreaterThan(0);
    for (const r of steps) expect(r.learning_rate).toBe(0.04); // the default: Adagrad's constant 0.04
    for (const r of steps) expect(r.gradient_norm).toBeGreaterThan(0);
  });

  it('records the learning rate of the schedule and the gradient norm before clipping by norm', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bptt-log-'));
    const log = join(folder, 'run.jsonl');
    const result = cli([
      'train',
      '--hidden',
      '8',
      '--batch',
      '256',
      '--epochs',
      '2',
      '--print',
      '0',
      '--out',
      join(folder, 'm.safetensors'),
      '--log',
      log,
      '--optimizer',
      'adam',
      '--schedule',
      'step',
      '--decay-every',
      '5',
      '--decay-factor',
      '0.5',
      '--warmup',
      '2',
      '--clip-norm',
      '0.001',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('Adam lr 0.005 (× 0.5 every 5 steps, warmup 2), clip-norm 0.001');
    const steps = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((r) => r.type === 'step');
    expect(steps.map((r) => r.learning_rate)).toEqual([0.0025, 0.005, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025, 0.0025, 0.0025]);
    for (const r of steps) {
      expect(r.gradient_norm).toBeGreaterThan(0.001); // reported before the clip, which scaled every step
      expect(r.clipped_fraction).toBe(1);
    }
  });
});
