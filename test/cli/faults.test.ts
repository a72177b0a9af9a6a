/**
 * Faults around `bptt train`: Ctrl-C, a second training on the same files, a
 * stale lock left by a killed run, a full disk, a read-only folder, a device
 * as output, an exploding learning rate, and a resume that must not lose the
 * best model. Each either works or stops with one clear line, and loses
 * nothing already on disk. (kill -9 during checkpoint writes: kill.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BpttError } from '../../src/core/errors.js';
import { checkFreeSpace, writeFileAtomic } from '../../src/cli/files.js';
import { decodeModelFile, encodeModelFile, modelFileBytes } from '../../src/io/model-file.js';
import { RnnModel } from '../../src/model/rnn-model.js';
import { CharTokenizer } from '../../src/text/char-tokenizer.js';
import { decodeCheckpoint } from '../../src/train/checkpoint.js';
import { Trainer } from '../../src/train/trainer.js';
import { encodeCheckpoint } from '../../src/train/checkpoint.js';
import { DEFAULT_RECIPE, modelConfigOf } from '../../src/train/recipe.js';
import { lineSequences } from '../../src/data/sequences.js';
import { describeRun, dinosPath, expectUserError, freshDir, hiddenFiles, runCliAsync, Sentinels, startCli } from './cli-helpers.js';

const locks = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.lock'));
/** The first 100 dinosaur names: epochs of a few steps, so epochs (and checkpoints) come quickly. */
function smallData(dir: string): string {
  const path = join(dir, 'small.txt');
  writeFileSync(path, readFileSync(dinosPath, 'utf8').split('\n').slice(0, 100).join('\n') + '\n');
  return path;
}
/** A pid that certainly belongs to no running process: one that has just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('Ctrl-C and a second training on the same checkpoint', () => {
  it(
    'refuses the second run while the first trains; Ctrl-C then writes a checkpoint, exits 130 and releases the lock; the run resumes',
    { timeout: 120_000 },
    async () => {
      const dir = freshDir();
      const first = startCli(dir, [
        'train',
        '--data',
        dinosPath,
        '--hidden',
        '16',
        '--time',
        '60',
        '--print',
        '0',
        '--threads',
        '1',
        '--out',
        'm.safetensors',
        '--checkpoint',
        'ck.safetensors',
      ]);
      await first.stderrMatches(/^epoch 2 /m); // an epoch line: training is under way (and has written checkpoints)
      expect(readFileSync(join(dir, 'ck.safetensors.lock'), 'utf8').trim()).toBe(String(first.child.pid));

      const second = await runCliAsync(dir, [
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
        'other.safetensors',
        '--checkpoint',
        'ck.safetensors',
      ]);
      expectUserError(second, ['ck.safetensors', 'another bptt train', `pid ${first.child.pid}`]);
      expect(existsSync(join(dir, 'other.safetensors'))).toBe(false);

      first.child.kill('SIGINT');
      const interrupted = await first.result;
      expect(interrupted.status, describeRun(interrupted)).toBe(130);
      const step = Number(
        /Interrupted at step (\d+); checkpoint written to ck\.safetensors \(continue with --resume ck\.safetensors\)/.exec(interrupted.stderr)?.[1],
      );
      expect(step).toBeGreaterThan(0);
      const checkpoint = decodeCheckpoint(readFileSync(join(dir, 'ck.safetensors')), 'ck.safetensors');
      expect(checkpoint.training.position.step).toBe(step); // the checkpoint is the moment of the Ctrl-C, not the last epoch
      expect(locks(dir)).toEqual([]);
      expect(hiddenFiles(dir)).toEqual([]);

      const resumed = await runCliAsync(dir, [
        'train',
        '--resume',
        'ck.safetensors',
        '--steps',
        String(step + 3),
        '--print',
        '0',
        '--threads',
        '1',
        '--out',
        'm.safetensors',
        '--checkpoint',
        'ck.safetensors',
      ]);
      expect(resumed.status, describeRun(resumed)).toBe(0);
      expect(decodeCheckpoint(readFileSync(join(dir, 'ck.safetensors')), 'ck.safetensors').training.position.step).toBe(step + 3);
      expect(locks(dir)).toEqual([]);
    },
  );
});

describe.concurrent('locks', () => {
  it("a stale lock (its process is gone) is taken over with a notice, and the dead run's temporary files removed", async () => {
    const dir = freshDir();
    const pid = deadPid();
    writeFileSync(join(dir, 'ck.safetensors.lock'), `${pid}\n`);
    writeFileSync(join(dir, `.ck.safetensors.${pid}.tmp`), 'half a checkpoint');
    // Killed between writing its lock under a staging name and linking it (found by scripts/kill-test.mjs).
    writeFileSync(join(dir, `.m.safetensors.lock.${pid}`), `${pid}\n`);
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--steps',
      '2',
      '--print',
      '0',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stderr).toContain(`taking over the stale lock ck.safetensors.lock of a run that ended without releasing it (pid ${pid})`);
    expect(locks(dir)).toEqual([]);
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it('--out and --checkpoint naming the same file are refused', async () => {
    const dir = freshDir();
    const result = await runCliAsync(dir, ['train', '--data', dinosPath, '--steps', '1', '--out', 'x.safetensors', '--checkpoint', './x.safetensors']);
    expectUserError(result, ['--out', '--checkpoint', 'same file']);
  });

  it('a divergence releases the locks too (Ctrl-C: above; errors: the exit handler)', async () => {
    const dir = freshDir();
    const diverged = await runCliAsync(dir, [
      'train',
      '--data',
      smallData(dir),
      '--hidden',
      '16',
      '--lr',
      '100',
      '--epochs',
      '3',
      '--print',
      '0',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expect(diverged.status, describeRun(diverged)).toBe(1);
    expect(locks(dir)).toEqual([]);
  });
});

describe.concurrent('full disks, read-only folders and devices: refused before training', () => {
  it('a disk that is full (the write probe gets ENOSPC from /dev/full): one line, before training, nothing lost', async () => {
    const dir = freshDir();
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'ck.safetensors'), 'the previous checkpoint\n');
    // The probe checkWritable writes is .<name>.probe: aimed at /dev/full, every write to it fails with ENOSPC.
    symlinkSync('/dev/full', join(dir, '.ck.safetensors.probe'));
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--hidden',
      '8',
      '--steps',
      '1',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expectUserError(result, ['no space left', 'ck.safetensors']);
    expect(result.stderr).not.toContain('Training');
    sentinels.expectUnchanged();
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('a read-only folder (/sys): one line, before training', async () => {
    const result = await runCliAsync(freshDir(), ['train', '--data', dinosPath, '--hidden', '8', '--steps', '1', '--out', '/sys/m.safetensors']);
    expectUserError(result, ['/sys/m.safetensors', 'permission denied']);
  });

  it('a FIFO (like /dev/full or /dev/null, not a regular file) as --out or --checkpoint: refused, not renamed over', async () => {
    const dir = freshDir();
    expect(spawnSync('mkfifo', [join(dir, 'pipe')]).status).toBe(0);
    for (const flag of ['--out', '--checkpoint']) {
      const result = await runCliAsync(dir, [
        'train',
        '--data',
        dinosPath,
        '--hidden',
        '8',
        '--steps',
        '1',
        ...(flag === '--out' ? [] : ['--out', 'm.safetensors']),
        flag,
        'pipe',
      ]);
      expectUserError(result, ['pipe', 'not a regular file']);
      expect(statSync(join(dir, 'pipe')).isFIFO()).toBe(true);
    }
  });

  it('ENOSPC while writing: the previous file is kept, the message says so, no temporary file is left', () => {
    const dir = freshDir();
    const path = join(dir, 'ck.safetensors');
    writeFileSync(path, 'the previous checkpoint');
    // writeFileAtomic writes .<name>.<pid>.tmp first: pointed at /dev/full, the write itself fails with ENOSPC.
    symlinkSync('/dev/full', join(dir, `.ck.safetensors.${process.pid}.tmp`));
    let caught: unknown;
    try {
      writeFileAtomic(path, new Uint8Array(100_000), 'checkpoint');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BpttError);
    expect((caught as Error).message).toBe(
      `no space left on the device to write checkpoint ${path} (the previous checkpoint is kept); free some disk space or choose another path`,
    );
    expect(readFileSync(path, 'utf8')).toBe('the previous checkpoint');
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it("checkFreeSpace compares with the real free space of the folder's file system, summed per file system", () => {
    const dir = freshDir();
    const stats = statfsSync(dir);
    const free = stats.bavail * stats.bsize;
    const target = (name: string, bytes: number) => ({ path: join(dir, name), bytes, what: 'checkpoint' });
    expect(() => checkFreeSpace([target('a', 1_000_000)])).not.toThrow();
    expect(() => checkFreeSpace([target('a', free + 1e9)])).toThrowError(/not enough disk space for checkpoint .*\/a: about \d+ MB needed, \d+ MB free in /);
    // Each fits alone, not both: the model file and the checkpoint share the disk.
    expect(() => checkFreeSpace([target('a', free * 0.6), target('b', free * 0.6)])).toThrowError(/checkpoint .*\/a and checkpoint .*\/b/);
  });

  it('the size estimate of the free-space check covers the files actually written (within 64 KiB)', () => {
    const tokenizer = CharTokenizer.fromText(readFileSync(dinosPath, 'utf8'));
    for (const overrides of [{}, { cell: 'lstm', layers: 2, embed: 0 }, { cell: 'gru', dtype: 'float64' }] as const) {
      const config = modelConfigOf({ ...DEFAULT_RECIPE, hidden: 24, ...overrides }, tokenizer.size);
      const model = RnnModel.initialized(config, 1);
      const trainer = new Trainer(model, lineSequences(['abc'], tokenizer), [], { batchSize: 1, learningRate: 0.1, clip: 5, shuffle: false, seed: 1 });
      const modelBytes = encodeModelFile(model, tokenizer).length;
      const checkpointBytes = encodeCheckpoint(trainer, tokenizer, { recipe: DEFAULT_RECIPE, dataSource: 'x', dataFingerprint: '0' }).length;
      expect(modelFileBytes(config)).toBeGreaterThanOrEqual(modelBytes);
      expect(modelFileBytes(config)).toBeLessThanOrEqual(modelBytes + 64 * 1024);
      expect(modelFileBytes(config, 1)).toBeGreaterThanOrEqual(checkpointBytes);
      expect(modelFileBytes(config, 1)).toBeLessThanOrEqual(checkpointBytes + 64 * 1024);
    }
  });
});

describe.concurrent('an exploding learning rate', () => {
  it('stops with one line naming the loss, keeps the last good checkpoint, and suggests a lower --lr', async () => {
    const dir = freshDir();
    // One step per epoch (100 names, batches of 512): the loss explodes at step 2, after epoch 1's checkpoint.
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      smallData(dir),
      '--hidden',
      '64',
      '--batch',
      '512',
      '--lr',
      '10',
      '--epochs',
      '30',
      '--print',
      '0',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    const report = describeRun(result);
    expect(result.status, report).toBe(1);
    const last = result.stderr.trim().split('\n').pop()!;
    expect(last, report).toMatch(
      /^bptt: training diverged at step 2: the loss rose to \d+\.\d nats\/char, over 10 times where it started \(3\.\d\d\); nothing was written after that; the checkpoint ck\.safetensors keeps epoch 1, the last good one; lower the learning rate \(--lr 10: try 1\) or --clip and train again$/,
    );
    const checkpoint = decodeCheckpoint(readFileSync(join(dir, 'ck.safetensors')), 'ck.safetensors');
    expect(checkpoint.training.position).toMatchObject({ step: 1, epoch: 1 });
    expect(checkpoint.model.params.every(Number.isFinite)).toBe(true);
    expect(hiddenFiles(dir)).toEqual([]);
  });

  it.each(['100', '10'])('--lr %s with the default recipe stops at once instead of reporting success', async (lr) => {
    const dir = freshDir();
    const sentinels = new Sentinels();
    sentinels.add(join(dir, 'ck.safetensors'), 'a checkpoint from an earlier run\n');
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      smallData(dir),
      '--hidden',
      '64',
      '--lr',
      lr,
      '--epochs',
      '5',
      '--print',
      '0',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ]);
    expect(result.status, describeRun(result)).toBe(1);
    expect(result.stderr).toMatch(/training diverged at step \d+: the loss (rose to|became)/);
    expect(result.stderr).toContain('no checkpoint was written in this run (ck.safetensors is as it was)');
    expect(result.stderr).toContain(`--lr ${lr}: try ${Number(lr) / 10}`);
    sentinels.expectUnchanged();
  });
});

describe.concurrent('resuming keeps the best model', () => {
  it('a resume that finds no better epoch leaves --out (the best epoch) alone instead of writing the last weights over it', async () => {
    const dir = freshDir();
    // This recipe overfits 100 names fast: the best validation loss comes at an early epoch, long before the last.
    const flags = [
      '--hidden',
      '64',
      '--embed',
      '8',
      '--lr',
      '0.3',
      '--epochs',
      '40',
      '--print',
      '3',
      '--threads',
      '1',
      '--out',
      'm.safetensors',
      '--checkpoint',
      'ck.safetensors',
    ];
    const straight = await runCliAsync(dir, ['train', '--data', smallData(dir), ...flags]);
    expect(straight.status, describeRun(straight)).toBe(0);
    const bestEpoch = Number(/the best, [\d.]+ at epoch (\d+), is kept/.exec(straight.stderr)?.[1]);
    expect(bestEpoch).toBeLessThan(40);
    const best = readFileSync(join(dir, 'm.safetensors'));

    // A resume of the finished run (as after a kill -9 between its last checkpoint and its exit).
    const resumed = await runCliAsync(dir, [
      'train',
      '--resume',
      'ck.safetensors',
      ...flags.filter((f, i) => !['--hidden', '--embed', '--lr'].includes(f) && !['--hidden', '--embed', '--lr'].includes(flags[i - 1])),
    ]);
    expect(resumed.status, describeRun(resumed)).toBe(0);
    expect(readFileSync(join(dir, 'm.safetensors')).equals(best)).toBe(true);
    expect(resumed.stderr).toContain(`at epoch ${bestEpoch}, is kept`);
    expect(resumed.stdout).toBe(straight.stdout); // samples from the same (best) weights
    expect(decodeModelFile(best, 'm.safetensors').model.params.length).toBeGreaterThan(0);
  });
});

describe('a missing output folder', () => {
  it('is refused before any lock or probe file is made beside the other output', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'runs'));
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      dinosPath,
      '--steps',
      '1',
      '--out',
      'runs/m.safetensors',
      '--checkpoint',
      'nodir/ck.safetensors',
    ]);
    expectUserError(result, ['nodir', 'does not exist']);
    expect(readdirSync(join(dir, 'runs'))).toEqual([]);
  });
});
