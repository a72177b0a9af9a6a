/**
 * Bad input through the CLI: every mistake a user can make gets exit code 2,
 * exactly one line on stderr naming the problem and a fix, and leaves every
 * file already on disk as it was.
 */
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { describeRun, dinosPath, expectUserError, freshDir, hiddenFiles, runCli, runCliAsync, Sentinels } from './cli-helpers.js';

const isRoot = process.getuid?.() === 0;

/** A tiny trained model and checkpoint on the dinosaur names, shared by the tests below (read-only). */
let modelPath: string;
let checkpointPath: string;

beforeAll(() => {
  const dir = freshDir();
  const result = runCli(dir, [
    'train',
    '--data',
    dinosPath,
    '--hidden',
    '8',
    '--batch',
    '64',
    '--steps',
    '3',
    '--print',
    '0',
    '--out',
    'm.safetensors',
    '--checkpoint',
    'c.safetensors',
  ]);
  expect(result.status, describeRun(result)).toBe(0);
  modelPath = join(dir, 'm.safetensors');
  checkpointPath = join(dir, 'c.safetensors');
});

/**
 * A fresh folder with --out and --checkpoint targets holding known bytes, so a
 * test can check a failed run did not touch them.
 */
function trainTargets(): { dir: string; sentinels: Sentinels; outputArgs: string[] } {
  const dir = freshDir();
  const sentinels = new Sentinels();
  sentinels.add(join(dir, 'out.safetensors'), 'previous model file: must survive a failed run\n');
  sentinels.add(join(dir, 'ck.safetensors'), 'previous checkpoint: must survive a failed run\n');
  return { dir, sentinels, outputArgs: ['--out', 'out.safetensors', '--checkpoint', 'ck.safetensors'] };
}

describe.concurrent('bptt train: bad data files', () => {
  const cases: { name: string; make: (dir: string) => string; mentions: string[] }[] = [
    { name: 'a missing data file', make: () => 'no-such-file.txt', mentions: ['no-such-file.txt', 'does not exist'] },
    {
      name: 'an empty data file',
      make: (dir) => {
        writeFileSync(join(dir, 'empty.txt'), '');
        return 'empty.txt';
      },
      mentions: ['empty.txt', 'empty'],
    },
    {
      name: 'a data file of blank lines only',
      make: (dir) => {
        writeFileSync(join(dir, 'blank.txt'), '\n\n\r\n\n');
        return 'blank.txt';
      },
      mentions: ['blank.txt', 'empty'],
    },
    {
      name: 'a directory given as data file',
      make: (dir) => {
        mkdirSync(join(dir, 'names'));
        return 'names';
      },
      mentions: ['names', 'directory'],
    },
    {
      name: 'an invalid UTF-8 data file (names the line)',
      make: (dir) => {
        writeFileSync(join(dir, 'latin1.txt'), Buffer.from('Aardonyx\nAbelisaurus\nAchel\xf6usaurus\nZuul\n', 'latin1'));
        return 'latin1.txt';
      },
      mentions: ['latin1.txt', 'UTF-8', 'line 3'],
    },
    {
      name: 'an invalid UTF-8 last line without a final newline',
      make: (dir) => {
        writeFileSync(join(dir, 'tail.txt'), Buffer.concat([Buffer.from('Aardonyx\nZuul\n'), Buffer.from([0x5a, 0xc3])]));
        return 'tail.txt';
      },
      mentions: ['tail.txt', 'UTF-8', 'line 3'],
    },
    {
      name: 'a data file with one distinct character',
      make: (dir) => {
        writeFileSync(join(dir, 'aaa.txt'), 'aaaa\naaa\n');
        return 'aaa.txt';
      },
      mentions: ['aaa.txt', 'one distinct character'],
    },
  ];

  it.each(cases)('rejects $name', async ({ make, mentions }) => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const data = make(dir);
    const result = await runCliAsync(dir, ['train', '--data', data, '--hidden', '8', '--steps', '1', ...outputArgs]);
    expectUserError(result, mentions);
    sentinels.expectUnchanged();
    expect(hiddenFiles(dir)).toEqual([]);
  });

  // Tests run as root in CI containers, and root reads a chmod 000 file anyway: the case cannot be produced there.
  it.skipIf(isRoot)('rejects an unreadable data file', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    writeFileSync(join(dir, 'secret.txt'), 'Aardonyx\nZuul\n');
    chmodSync(join(dir, 'secret.txt'), 0o000);
    try {
      const result = await runCliAsync(dir, ['train', '--data', 'secret.txt', '--hidden', '8', '--steps', '1', ...outputArgs]);
      expectUserError(result, ['secret.txt', 'permission denied']);
      sentinels.expectUnchanged();
    } finally {
      chmodSync(join(dir, 'secret.txt'), 0o644);
    }
  });

  it('rejects a bad data file in eval and sample --novel too', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'empty.txt'), '');
    expectUserError(await runCliAsync(dir, ['eval', '--model', modelPath, '--data', 'empty.txt']), ['empty.txt', 'empty']);
    expectUserError(await runCliAsync(dir, ['sample', '--model', modelPath, '--novel', '--data', 'missing.txt']), ['missing.txt', 'does not exist']);
  });

  it('eval --strict rejects data with characters the model does not know', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'digits.txt'), 'Aardonyx\nT-Rex 2\n');
    expectUserError(await runCliAsync(dir, ['eval', '--model', modelPath, '--data', 'digits.txt', '--strict']), ['digits.txt', 'line 2', '"-"', 'vocabulary']);
    expectUserError(await runCliAsync(dir, ['score', '--model', modelPath, '--strict', 'T-Rex']), ['T-Rex', '"-"', 'vocabulary']);
  });
});

describe.concurrent('bptt sample: a prime the model cannot read', () => {
  it('rejects --prime with characters not in the vocabulary', async () => {
    const dir = freshDir();
    const sentinels = new Sentinels();
    sentinels.add(modelPath);
    const result = await runCliAsync(dir, ['sample', '--model', modelPath, '--prime', 'Q9']);
    // "Q" is in the vocabulary (upper-case letters are), "9" is not.
    expectUserError(result, ['"Q9"', '"9"', 'vocabulary']);
    sentinels.expectUnchanged();
  });
});

describe.concurrent('bad model files', () => {
  const kinds: { name: string; make: (dir: string) => string; mentions: string[] }[] = [
    {
      name: 'random bytes',
      make: (dir) => {
        // A fixed pseudo-random pattern whose first 8 bytes announce an impossible header length.
        const bytes = Buffer.alloc(1000);
        let x = 12345;
        for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
        writeFileSync(join(dir, 'noise.safetensors'), bytes);
        return 'noise.safetensors';
      },
      mentions: ['noise.safetensors', 'not a safetensors file'],
    },
    {
      name: 'a text file',
      make: (dir) => {
        writeFileSync(join(dir, 'notes.txt'), 'this is not a model, just some notes\n');
        return 'notes.txt';
      },
      mentions: ['notes.txt', 'not a safetensors file'],
    },
    {
      name: 'a tiny file (shorter than the header length)',
      make: (dir) => {
        writeFileSync(join(dir, 'tiny.safetensors'), 'abc');
        return 'tiny.safetensors';
      },
      mentions: ['tiny.safetensors', 'truncated'],
    },
    {
      name: 'a truncated model file',
      make: (dir) => {
        const bytes = readFileSync(modelPath);
        writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, Math.floor(bytes.length * 0.7)));
        return 'cut.safetensors';
      },
      mentions: ['cut.safetensors', 'truncated'],
    },
    {
      name: 'a safetensors file that is not a bptt model',
      make: (dir) => {
        const bytes = serializeSafetensors({ 'fc.weight': { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) } }, { format: 'pt' });
        writeFileSync(join(dir, 'foreign.safetensors'), bytes);
        return 'foreign.safetensors';
      },
      mentions: ['foreign.safetensors', 'not a bptt model'],
    },
  ];

  // sample and train --resume get every kind of bad file; eval and train --init share sample's
  // loader (src/cli/model-input.ts / decodeModelFile), so two kinds each are enough there.
  const commands: { name: string; args: (file: string) => string[]; train: boolean; kinds?: string[] }[] = [
    { name: 'sample --model', args: (file) => ['sample', '--model', file], train: false },
    { name: 'train --resume', args: (file) => ['train', '--resume', file, '--steps', '1'], train: true },
    {
      name: 'eval --model',
      args: (file) => ['eval', '--model', file, '--data', dinosPath],
      train: false,
      kinds: ['a text file', 'a safetensors file that is not a bptt model'],
    },
    {
      name: 'train --init',
      args: (file) => ['train', '--init', file, '--data', dinosPath, '--steps', '1'],
      train: true,
      kinds: ['random bytes', 'a truncated model file'],
    },
  ];

  const table = commands.flatMap((command) =>
    kinds
      .filter((kind) => !command.kinds || command.kinds.includes(kind.name))
      .map((kind) => ({ ...kind, command: command.name, args: command.args, train: command.train })),
  );

  it.each(table)('$command rejects $name', async ({ make, mentions, args, train }) => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const file = make(dir);
    sentinels.add(join(dir, file));
    const result = await runCliAsync(dir, [...args(file), ...(train ? outputArgs : [])]);
    expectUserError(result, mentions);
    sentinels.expectUnchanged();
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it('train --resume rejects a model file (not a checkpoint)', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    copyFileSync(modelPath, join(dir, 'model.safetensors'));
    sentinels.add(join(dir, 'model.safetensors'));
    const result = await runCliAsync(dir, ['train', '--resume', 'model.safetensors', '--steps', '5', ...outputArgs]);
    expectUserError(result, ['model.safetensors', 'not a checkpoint', '--init']);
    sentinels.expectUnchanged();
  });

  it('train --resume rejects a checkpoint with different --data', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    copyFileSync(checkpointPath, join(dir, 'run.safetensors'));
    sentinels.add(join(dir, 'run.safetensors'));
    writeFileSync(join(dir, 'other.txt'), 'Aardonyx\nZuul\n');
    const result = await runCliAsync(dir, ['train', '--resume', 'run.safetensors', '--data', 'other.txt', '--steps', '5', ...outputArgs]);
    expectUserError(result, ['other.txt', 'differs', 'run.safetensors']);
    sentinels.expectUnchanged();
  });

  it('train rejects --resume together with --init', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    copyFileSync(checkpointPath, join(dir, 'run.safetensors'));
    copyFileSync(modelPath, join(dir, 'model.safetensors'));
    sentinels.add(join(dir, 'run.safetensors'));
    sentinels.add(join(dir, 'model.safetensors'));
    const result = await runCliAsync(dir, ['train', '--resume', 'run.safetensors', '--init', 'model.safetensors', '--steps', '5', ...outputArgs]);
    expectUserError(result, ['--resume', '--init']);
    sentinels.expectUnchanged();
  });

  it('train --init rejects an architecture flag that contradicts the file', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const result = await runCliAsync(dir, ['train', '--init', modelPath, '--hidden', '16', '--data', dinosPath, '--steps', '1', ...outputArgs]);
    expectUserError(result, ['--hidden', '16', '8']);
    sentinels.expectUnchanged();
  });
});

describe.concurrent('bad flags', () => {
  const trainFlags: [flag: string, value: string][] = [
    ['--hidden', '-3'],
    ['--hidden', '0'],
    ['--hidden', '1e9'],
    ['--hidden', 'abc'],
    ['--lr', '0'],
    ['--lr', '-1'],
    ['--lr', 'nan'],
    ['--lr', 'Infinity'],
    ['--clip', '0'],
    ['--epochs', '0'],
    ['--epochs', '2.5'],
    ['--batch', '0'],
    ['--val', '1.5'],
    ['--val', '-0.1'],
    ['--seq-length', '0'],
    ['--dtype', 'float16'],
    ['--activation', 'gelu'],
    ['--mode', 'words'],
    ['--preset', 'nope'],
    ['--time', '-5'],
    ['--seed', '-1'],
    ['--seed', '4294967296'],
    ['--optimizer', 'lion'],
    ['--momentum', '1'],
    ['--beta2', '1'],
    ['--eps', '0'],
    ['--weight-decay', '-0.1'],
    ['--clip', 'never'],
    ['--clip-norm', '0'],
    ['--schedule', 'linear'],
    ['--warmup', '0'],
    ['--decay-factor', '1.5'],
  ];

  // Optimization flags that do not fit together: one line naming what to give or drop.
  it.each([
    [
      ['--beta1', '0.8'],
      ['--beta1', 'adagrad', '--optimizer adam'],
    ],
    [
      ['--optimizer', 'sgd', '--nesterov'],
      ['Nesterov', '--momentum'],
    ],
    [
      ['--optimizer', 'adam', '--momentum', '0.9'],
      ['--momentum', 'adam', 'sgd or rmsprop'],
    ],
    [
      ['--decay-every', '10'],
      ['--decay-every', '--schedule step'],
    ],
    [['--schedule', 'step'], ['--decay-every']],
    [
      ['--schedule', 'cosine', '--lr', '0.01', '--min-lr', '0.1'],
      ['--min-lr', '0.1', '--lr'],
    ],
  ])('train %j: exit 2, one line', async (args, mentions) => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const result = await runCliAsync(dir, ['train', '--data', dinosPath, ...outputArgs, ...args, ...(args.includes('--time') ? [] : ['--steps', '1'])]);
    expectUserError(result, mentions);
    sentinels.expectUnchanged();
  });

  it.each(trainFlags)('train %s %s: exit 2, one line naming the flag', async (flag, value) => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const result = await runCliAsync(dir, ['train', '--data', dinosPath, '--steps', '1', ...outputArgs, flag, value]);
    expectUserError(result, [flag, value]);
    sentinels.expectUnchanged();
    expect(hiddenFiles(dir)).toEqual([]);
  });

  const sampleFlags: [flag: string, value: string][] = [
    ['--temperature', '-1'],
    ['--temperature', 'hot'],
    ['--count', '0'],
    ['--max-length', '0'],
  ];

  it.each(sampleFlags)('sample %s %s: exit 2, one line naming the flag', async (flag, value) => {
    const dir = freshDir();
    const result = await runCliAsync(dir, ['sample', '--model', modelPath, flag, value]);
    expectUserError(result, [flag, value]);
  });

  it.each([
    ['--activation', 'gelu'],
    ['--embed', '65'],
  ])('gradcheck %s %s: exit 2, one line naming the flag', async (flag, value) => {
    const result = await runCliAsync(freshDir(), ['gradcheck', flag, value]);
    expectUserError(result, [flag, value]);
  });

  it('train --frobnicate (unknown flag): exit 2, one line naming the flag', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const result = await runCliAsync(dir, ['train', '--data', dinosPath, '--steps', '1', ...outputArgs, '--frobnicate']);
    expect(result.status, describeRun(result)).toBe(2);
    expect(result.stdout).toBe('');
    sentinels.expectUnchanged();
    expect(result.stderr).toContain('--frobnicate');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('sample --frobnicate (unknown flag): exit 2, one line naming the flag', async () => {
    const result = await runCliAsync(freshDir(), ['sample', '--model', modelPath, '--frobnicate']);
    expect(result.status, describeRun(result)).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--frobnicate');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('train --hidden without a value: exit 2, one line naming the flag', async () => {
    const { dir, sentinels, outputArgs } = trainTargets();
    const result = await runCliAsync(dir, ['train', '--data', dinosPath, ...outputArgs, '--hidden']);
    expect(result.status, describeRun(result)).toBe(2);
    sentinels.expectUnchanged();
    expect(result.stderr).toContain('--hidden');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('sample without --model: exit 2, one line naming the flag', async () => {
    const result = await runCliAsync(freshDir(), ['sample']);
    expect(result.status, describeRun(result)).toBe(2);
    expect(result.stderr).toContain('--model');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the unknown-flag error still exits 2 and names the flag (whatever the line count)', async () => {
    const result = await runCliAsync(freshDir(), ['train', '--frobnicate']);
    expect(result.status, describeRun(result)).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toContain("unknown option '--frobnicate'");
  });
});

describe.concurrent('bad output paths', () => {
  it('--out in a folder that does not exist: the message names the given path', async () => {
    const { dir, sentinels } = trainTargets();
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--steps',
      '1',
      '--print',
      '0',
      '--out',
      'nodir/m.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expectUserError(result, ['nodir/m.safetensors']);
    expect(result.stderr).not.toContain('.probe');
    sentinels.expectUnchanged();
  });

  it('--out in a folder that does not exist: exit 2 before training, one line', async () => {
    const { dir, sentinels } = trainTargets();
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--steps',
      '1',
      '--print',
      '0',
      '--out',
      'nodir/m.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expectUserError(result, ['nodir']);
    sentinels.expectUnchanged();
  });

  it('--out naming an existing directory is rejected before training (one line)', async () => {
    const { dir, sentinels } = trainTargets();
    mkdirSync(join(dir, 'models'));
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--steps',
      '1',
      '--print',
      '0',
      '--out',
      'models',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expectUserError(result, ['models', 'directory']);
    sentinels.expectUnchanged();
  });
});
