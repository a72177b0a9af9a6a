/**
 * The PyTorch project of `bptt export pytorch`, run with Debian's PyTorch:
 *  - train.py takes the same steps as bptt's Trainer: from the same weights, on the same data (lines,
 *    chunks, streams with resets; bptt's validation split and epoch order), its loss at every step and
 *    the weights after them match bptt's to 1e-5 (float64 models, so any difference is a real one), for
 *    every cell, each optimizer and schedule;
 *  - under torchrun with 2 processes (DistributedDataParallel, gloo) it takes bptt's steps too, writes a
 *    model file `bptt eval` reads, and a run stopped at a checkpoint and resumed continues exactly;
 *  - bad input gets one line and exit 2.
 * Under CI=true a missing PyTorch fails the suite (.ci/run installs python3-torch); elsewhere it skips.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeModelFile,
  DEFAULT_RECIPE,
  encodeModelFile,
  modelConfigOf,
  modelMetadata,
  prepareData,
  prepareStreams,
  RnnModel,
  Trainer,
  trainOptionsOf,
  type Recipe,
  type SavedModel,
} from '../../src/index.js';
import { PYTORCH_RECIPE_FILE, PYTORCH_TEMPLATES, pytorchProjectFiles } from '../../src/export/pytorch.js';
import { runCli } from '../cli/cli-helpers.js';
import { dinosPath, expectClose, repoRoot } from '../helpers.js';

/** A Python 3 that imports torch: Debian's /usr/bin/python3 first (the python3 first on PATH may be another). */
function findTorchPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const result = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
    if (result.status === 0) return python;
  }
  return undefined;
}
const python = findTorchPython();
const inCi = process.env.CI === 'true';

const work = mkdtempSync(join(tmpdir(), 'bptt-pytorch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const text = readFileSync(dinosPath, 'utf8');

/** Writes the project of `saved` into a new folder, as `bptt export pytorch` does. */
function writeProject(name: string, saved: SavedModel): string {
  const folder = join(work, name);
  mkdirSync(folder);
  for (const [file, bytes] of Object.entries(pytorchProjectFiles(saved))) writeFileSync(join(folder, file), bytes);
  for (const file of PYTORCH_TEMPLATES) copyFileSync(join(repoRoot, 'src', 'export', 'pytorch', file), join(folder, file));
  return folder;
}

/** A TCP port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, 'localhost', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command, failing the test with its stderr if it fails. The time limits are generous: a torchrun
 * launch starts three Python processes that each import torch, seconds on an idle machine, minutes on a
 * loaded 2-core one.
 */
function run(command: string, args: string[], timeout = 400_000): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  expect(result.status, `${command} ${args.join(' ')}\n${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The per-step losses train.py printed with --log-json (torchrun may prefix the lines with a process label). */
function loggedLosses(stdout: string): number[] {
  return stdout
    .split('\n')
    .map((line) => /\{"step".*\}/.exec(line)?.[0])
    .filter((json): json is string => json !== undefined)
    .map((json) => JSON.parse(json).loss);
}

describe('PyTorch is available where the tests must run', () => {
  it.runIf(inCi)('CI has python3-torch (see .ci/run)', () => {
    expect(python, 'no python3 with torch and numpy: .ci/run must apt-get install python3-torch python3-numpy').toBeDefined();
  });
});

describe.skipIf(!python)("bptt export pytorch: train.py takes bptt's steps", () => {
  const cases: { name: string; recipe: Partial<Recipe>; steps: number }[] = [
    {
      name: "the seed's sigmoid RNN, one-hot, Adagrad with step decay, lines, into a shuffled second epoch",
      recipe: {
        cell: 'rnn',
        activation: 'sigmoid',
        embed: 0,
        layers: 1,
        optimizer: 'adagrad',
        learningRate: 0.1,
        schedule: 'step',
        decayEvery: 2,
        decayFactor: 0.5,
        batchSize: 512,
      },
      steps: 4,
    },
    {
      name: 'LSTM, 2 layers, embedding, Adam with a global-norm clip, warmup and cosine, lines',
      recipe: {
        cell: 'lstm',
        embed: 4,
        layers: 2,
        optimizer: 'adam',
        learningRate: 0.01,
        clipNorm: 0.5,
        schedule: 'cosine',
        warmup: 2,
        scheduleSteps: 3,
        minLearningRate: 0.001,
        batchSize: 512,
      },
      steps: 4,
    },
    {
      name: 'GRU, embedding, SGD with momentum, streams with a reset at every line',
      recipe: {
        cell: 'gru',
        embed: 4,
        layers: 1,
        optimizer: 'sgd',
        momentum: 0.9,
        learningRate: 0.5,
        mode: 'stream',
        documents: 'line',
        seqLength: 16,
        batchSize: 8,
      },
      steps: 3,
    },
    {
      name: "tanh RNN, 2 layers, one-hot, RMSprop, the notebook's chunks",
      recipe: {
        cell: 'rnn',
        activation: 'tanh',
        embed: 0,
        layers: 2,
        optimizer: 'rmsprop',
        learningRate: 0.01,
        mode: 'chunks',
        seqLength: 15,
        dropWhitespaceChunks: true,
        lowercase: true,
        batchSize: 256,
      },
      steps: 2,
    },
    {
      name: 'relu RNN, 1 layer, embedding, AdamW, lines',
      recipe: { cell: 'rnn', activation: 'relu', embed: 4, layers: 1, optimizer: 'adamw', learningRate: 0.01, batchSize: 700 },
      steps: 2,
    },
  ];
  for (const { name, recipe: overrides, steps } of cases) {
    it(name, () => {
      const recipe: Recipe = { ...DEFAULT_RECIPE, hidden: 8, dtype: 'float64', dropout: 0, patience: undefined, ...overrides };
      const data = recipe.mode === 'stream' ? prepareStreams(text, recipe, 'dinos.txt') : prepareData(text, recipe, 'dinos.txt');
      const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), 5);
      const saved: SavedModel = {
        model,
        tokenizer: data.tokenizer,
        metadata: modelMetadata(model, data.tokenizer),
        checkpoint: { optimizerState: {}, training: { recipe } },
      };
      const folder = writeProject(name.split(',')[0].replaceAll(/\W/g, '-'), saved);

      const trainer = new Trainer(model, data.train, [], trainOptionsOf(recipe));
      const expected = Array.from({ length: steps }, () => trainer.trainStep().loss);

      const out = join(folder, 'trained.safetensors');
      const stdout = run(python!, [join(folder, 'train.py'), '--data', dinosPath, '--steps', String(steps), '--out', out, '--log-json']);
      expectClose('loss at every step', loggedLosses(stdout), expected, 1e-5);
      const trained = decodeModelFile(readFileSync(out), out);
      expect(trained.metadata).toEqual(saved.metadata);
      expectClose('the weights after the steps', trained.model.params, model.params, 1e-5);
    });
  }

  it('train.py answers bad input with one line and exit 2 (a missing text, a file that is no model, --out = --model)', () => {
    const recipe: Recipe = { ...DEFAULT_RECIPE, hidden: 4, embed: 0 };
    const data = prepareData(text, recipe, 'dinos.txt');
    const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), 1);
    const folder = writeProject('bad-input', { model, tokenizer: data.tokenizer, metadata: modelMetadata(model, data.tokenizer) });
    const train = join(folder, 'train.py');
    const notAModel = join(folder, 'recipe.json');
    for (const [args, mentions] of [
      [['--data', join(folder, 'missing.txt'), '--out', join(folder, 'o.safetensors')], 'missing.txt: No such file or directory'],
      [['--data', dinosPath, '--model', notAModel, '--out', join(folder, 'o.safetensors')], 'recipe.json is not a safetensors file'],
      [['--data', dinosPath, '--out', join(folder, 'model.safetensors')], 'is an input of this run'],
    ] as const) {
      const result = spawnSync(python!, [train, ...args], { encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(mentions);
      expect(result.stderr.trim()).toMatch(/^train\.py: .+; \S.+$/);
    }
  });

  /**
   * torchrun with 2 processes on CPU (gloo) running train.py with `args`; its stdout. Not --standalone:
   * that always takes port 29400 (where another run on this machine would meet this one) and a c10d
   * rendezvous whose heartbeats a starved CPU misses (it failed so on a machine at load 40); the static
   * rendezvous on a free port is torchrun's plainest single-machine launch.
   */
  async function torchrun(folder: string, data: string, args: string[]): Promise<string> {
    const launcher = spawnSync('torchrun', ['--help'], { encoding: 'utf8' }).status === 0 ? ['torchrun'] : [python!, '-m', 'torch.distributed.run'];
    const rendezvous = ['--nnodes', '1', '--master_addr', '127.0.0.1', '--master_port', String(await freePort())];
    // Debian's torchrun (PyTorch 1.13 on Python 3.11) fails on its default --redirects 0; 1 (stdout to a log, teed) works.
    return runGroup(launcher[0], [
      ...launcher.slice(1),
      ...rendezvous,
      '--nproc_per_node',
      '2',
      '--redirects',
      '1',
      '--tee',
      '1',
      join(folder, 'train.py'),
      '--data',
      data,
      ...args,
      '--log-json',
    ]);
  }

  /**
   * run() for torchrun, with a hard time limit on the whole process group. spawnSync's timeout signals
   * torchrun alone and then waits for the pipes to close, which a worker left behind (holding them)
   * never does: a hung rank hung vitest. Here torchrun leads a group of its own (detached), the limit
   * SIGKILLs the group (launcher and workers), and the test fails with everything they printed.
   */
  function runGroup(command: string, args: string[], timeout = 400_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { detached: true, env: { ...process.env, OMP_NUM_THREADS: '1' } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // the group has gone already
        }
      }, timeout);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (status, signal) => {
        clearTimeout(timer);
        const what = `${command} ${args.join(' ')}\n${timedOut ? `killed after ${timeout / 1000} s\n` : ''}stdout:\n${stdout}\nstderr:\n${stderr}`;
        try {
          expect(timedOut, what).toBe(false);
          expect({ status, signal }, what).toEqual({ status: 0, signal: null });
          resolve(stdout);
        } catch (failure) {
          reject(failure);
        }
      });
    });
  }

  it('torchrun --nproc_per_node 2: 30 steps as bptt takes them, a model file bptt eval reads', async () => {
    // Dropout off (its masks are random), float64 (so that the comparison is exact but for rounding).
    const recipe: Recipe = { ...DEFAULT_RECIPE, hidden: 16, embed: 8, batchSize: 16, dropout: 0, dtype: 'float64' };
    const data = prepareData(text, recipe, 'dinos.txt');
    const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), 1);
    const start = join(work, 'start.safetensors');
    writeFileSync(start, encodeModelFile(model, data.tokenizer));
    const folder = join(work, 'project');
    const exported = runCli(work, ['export', 'pytorch', '--model', start, '--out', folder]);
    expect(exported.status, exported.stderr).toBe(0);
    const settings = JSON.parse(readFileSync(join(folder, PYTORCH_RECIPE_FILE), 'utf8'));
    writeFileSync(join(folder, PYTORCH_RECIPE_FILE), JSON.stringify({ ...settings, dropout: 0 }));

    const trainer = new Trainer(model, data.train, [], trainOptionsOf(recipe));
    const expected = Array.from({ length: 30 }, () => trainer.trainStep().loss);
    const out = join(work, 'x.safetensors');
    const losses = loggedLosses(await torchrun(folder, dinosPath, ['--steps', '30', '--out', out]));
    expectClose('loss at every step', losses, expected, 1e-5);
    expectClose('the weights after 30 steps', decodeModelFile(readFileSync(out), out).model.params, model.params, 1e-5);

    const evaluated = runCli(work, ['eval', '--model', out, '--data', dinosPath, '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).nats_per_char).toBeLessThan(Math.log(data.tokenizer.size)); // it learned something
  }, 900_000);

  it("torchrun, streams: a run stopped at a checkpoint and resumed takes bptt's steps (carried states, Adam's moments)", async () => {
    const recipe: Recipe = {
      ...DEFAULT_RECIPE,
      cell: 'gru',
      hidden: 8,
      embed: 4,
      mode: 'stream',
      documents: 'blank-line',
      seqLength: 24,
      batchSize: 6,
      optimizer: 'adam',
      learningRate: 0.01,
      dropout: 0,
      dtype: 'float64',
    };
    const documentsText = text.replaceAll('\nM', '\n\nM'); // documents separated by blank lines, so rows reset mid-window
    const data = prepareStreams(documentsText, recipe, 'documents.txt');
    const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), 2);
    const saved: SavedModel = {
      model,
      tokenizer: data.tokenizer,
      metadata: modelMetadata(model, data.tokenizer),
      checkpoint: { optimizerState: {}, training: { recipe } },
    };
    const folder = writeProject('streams', saved);
    const documents = join(folder, 'documents.txt');
    writeFileSync(documents, documentsText);

    const trainer = new Trainer(model, data.train, [], trainOptionsOf(recipe));
    const expected = Array.from({ length: 4 }, () => trainer.trainStep().loss);
    const out = join(folder, 'trained.safetensors');
    const checkpoint = join(folder, 'run.pt');
    const first = loggedLosses(await torchrun(folder, documents, ['--steps', '2', '--out', out, '--checkpoint', checkpoint]));
    const second = loggedLosses(await torchrun(folder, documents, ['--steps', '4', '--out', out, '--checkpoint', checkpoint, '--resume', checkpoint]));
    expectClose('loss at every step', [...first, ...second], expected, 1e-5);
    expectClose('the weights after the steps', decodeModelFile(readFileSync(out), out).model.params, model.params, 1e-5);
  }, 900_000);
});
