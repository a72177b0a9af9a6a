/**
 * Resuming through the CLI: a run stopped after a few steps and continued
 * with --resume ends with exactly the weights (bit for bit) of the same run
 * done in one go.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../src/train/checkpoint.js';
import { describeRun, dinosPath, expectSameTensors, expectUserError, freshDir, hiddenFiles, readTensors, runCliAsync } from './cli-helpers.js';

interface Scenario {
  name: string;
  /** Flags shared by every run (besides --data, --steps, --out, --checkpoint). */
  flags: string[];
  total: number;
  stopAt: number;
  dtype: 'F32' | 'F64';
}

const scenarios: Scenario[] = [
  { name: 'float32, within the first epoch', flags: ['--hidden', '8', '--batch', '64', '--seed', '5'], total: 10, stopAt: 4, dtype: 'F32' },
  {
    name: 'float64, within the first epoch',
    flags: ['--hidden', '8', '--batch', '64', '--seed', '5', '--dtype', 'float64'],
    total: 10,
    stopAt: 4,
    dtype: 'F64',
  },
  // 1,382 training lines in batches of 512: 3 batches per epoch, so the run crosses two epoch
  // boundaries (validation, checkpoints, a reshuffle) and stops in the middle of the second epoch.
  {
    name: 'float32, across epochs with shuffling, embedding and sigmoid',
    flags: ['--hidden', '8', '--batch', '512', '--val', '0.1', '--shuffle', '--seed', '7', '--embed', '3', '--cell', 'rnn', '--activation', 'sigmoid'],
    total: 10,
    stopAt: 4,
    dtype: 'F32',
  },
  {
    name: 'float64, stopped exactly at an epoch boundary',
    flags: ['--hidden', '8', '--batch', '512', '--val', '0.1', '--seed', '7', '--cell', 'rnn', '--activation', 'tanh', '--dtype', 'float64'],
    total: 8,
    stopAt: 3,
    dtype: 'F64',
  },
  // Every optimizer's state (and Adam's step count) and the schedules survive the checkpoint. A cosine is
  // fixed when a run starts, so both runs give it the same length.
  {
    name: 'adamw, cosine with warmup, clipping by norm, across epochs',
    flags: [
      '--hidden',
      '8',
      '--batch',
      '512',
      '--val',
      '0.1',
      '--seed',
      '7',
      '--optimizer',
      'adamw',
      '--schedule',
      'cosine',
      '--schedule-steps',
      '10',
      '--warmup',
      '3',
      '--clip-norm',
      '1',
    ],
    total: 10,
    stopAt: 4,
    dtype: 'F32',
  },
  {
    name: 'adam with weight decay, float64',
    flags: ['--hidden', '8', '--batch', '64', '--seed', '5', '--dtype', 'float64', '--optimizer', 'adam', '--weight-decay', '0.01'],
    total: 10,
    stopAt: 4,
    dtype: 'F64',
  },
  {
    name: 'sgd with Nesterov momentum and a step schedule',
    flags: [
      '--hidden',
      '8',
      '--batch',
      '64',
      '--seed',
      '5',
      '--optimizer',
      'sgd',
      '--momentum',
      '0.9',
      '--nesterov',
      '--schedule',
      'step',
      '--decay-every',
      '3',
    ],
    total: 10,
    stopAt: 4,
    dtype: 'F32',
  },
  {
    name: 'rmsprop with momentum',
    flags: ['--hidden', '8', '--batch', '64', '--seed', '5', '--optimizer', 'rmsprop', '--momentum', '0.5'],
    total: 10,
    stopAt: 4,
    dtype: 'F32',
  },
];

describe.concurrent('train --resume equals an uninterrupted run, bitwise', () => {
  it.each(scenarios)('$name', async ({ flags, total, stopAt, dtype }) => {
    const dir = freshDir();
    const run = async (args: string[]) => {
      const result = await runCliAsync(dir, args);
      expect(result.status, describeRun(result)).toBe(0);
      return result;
    };

    // Run A: in one go.
    const a = await run(['train', '--data', dinosPath, ...flags, '--steps', String(total), '--out', 'a.safetensors', '--checkpoint', 'ca.safetensors']);
    // Run B: stopped after `stopAt` steps, then resumed from its checkpoint up to the same total.
    await run(['train', '--data', dinosPath, ...flags, '--steps', String(stopAt), '--out', 'b4.safetensors', '--checkpoint', 'cb.safetensors']);
    const b = await run(['train', '--resume', 'cb.safetensors', '--steps', String(total), '--out', 'b.safetensors', '--checkpoint', 'cb.safetensors']);
    expect(b.stderr).toMatch(/^Resuming /);

    const path = (name: string) => join(dir, name);
    // The weights, tensor by tensor, in the requested precision ...
    expect(readTensors(path('a.safetensors')).tensors.get('rnn.weight_hh_l0')).toBeDefined();
    expect(readTensors(path('a.safetensors')).metadata.bptt).toContain(`"dtype":"${dtype === 'F64' ? 'float64' : 'float32'}"`);
    expectSameTensors(path('b.safetensors'), path('a.safetensors'));
    // ... and the model files themselves.
    expect(readFileSync(path('b.safetensors')).equals(readFileSync(path('a.safetensors'))), 'a.safetensors and b.safetensors differ').toBe(true);
    // The stop really was early: the intermediate model differs.
    expect(readFileSync(path('b4.safetensors')).equals(readFileSync(path('a.safetensors')))).toBe(false);

    // The final checkpoints hold the same weights and optimizer state, and the same position.
    // (The files differ: the position also records the seconds each run took.)
    expectSameTensors(path('cb.safetensors'), path('ca.safetensors'));
    const ca = decodeCheckpoint(readFileSync(path('ca.safetensors')), 'ca.safetensors');
    const cb = decodeCheckpoint(readFileSync(path('cb.safetensors')), 'cb.safetensors');
    const { elapsedSeconds: _a, ...positionA } = ca.training.position;
    const { elapsedSeconds: _b, ...positionB } = cb.training.position;
    expect(positionB).toEqual(positionA);
    expect(positionA.step).toBe(total);
    expect(cb.training.optimizerCounters).toEqual(ca.training.optimizerCounters);
    const optimizer = flags.includes('--optimizer') ? flags[flags.indexOf('--optimizer') + 1] : 'adagrad';
    const states: Record<string, string[]> = {
      adagrad: ['memory'],
      adam: ['firstMoment', 'secondMoment'],
      adamw: ['firstMoment', 'secondMoment'],
      sgd: ['momentumBuffer'],
      rmsprop: ['momentumBuffer', 'squareAverage'],
    };
    expect(Object.keys(ca.checkpoint!.optimizerState).sort()).toEqual(states[optimizer]);
    expect(cb.training.recipe).toEqual({ ...ca.training.recipe });

    // The samples printed at the end come from the same weights and seed.
    expect(b.stdout).toBe(a.stdout);
    expect(hiddenFiles(dir)).toEqual([]);
  });
});

describe("train --resume keeps the checkpoint's recipe", () => {
  it.each([['--hidden', '9'], ['--lr', '0.5'], ['--no-shuffle'], ['--optimizer', 'adam'], ['--clip-norm', '1'], ['--schedule', 'cosine'], ['--nesterov']])(
    '%s is refused with one line',
    async (...args) => {
      const dir = freshDir();
      const first = await runCliAsync(dir, [
        'train',
        '--data',
        dinosPath,
        '--hidden',
        '8',
        '--steps',
        '2',
        '--out',
        'm.safetensors',
        '--checkpoint',
        'ck.safetensors',
        '--print',
        '0',
      ]);
      expect(first.status, describeRun(first)).toBe(0);
      const before = readFileSync(join(dir, 'ck.safetensors'));
      const result = await runCliAsync(dir, ['train', '--resume', 'ck.safetensors', ...args.filter((a): a is string => a !== undefined)]);
      expectUserError(result, [args[0]!, 'resuming']);
      expect(readFileSync(join(dir, 'ck.safetensors')).equals(before)).toBe(true);
    },
  );
});
