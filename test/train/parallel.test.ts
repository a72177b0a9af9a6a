/**
 * Data-parallel training: splitting each batch's rows between replicas that
 * share the parameters gives the same training as one thread, up to the
 * order of float additions. Replicas run here in-process (the CLI runs them
 * on worker threads; test/cli covers that path).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataParallel,
  DEFAULT_RECIPE,
  loadKernels,
  loadNativeAddon,
  modelConfigOf,
  NativeKernels,
  prepareData,
  Replica,
  RnnModel,
  splitRows,
  Trainer,
  trainOptionsOf,
  WasmKernels,
  batchFromRows,
  type Backend,
  type ReplicaChannel,
  type WasmVariant,
} from '../../src/index.js';
import { repoRoot, dinosPath, sameThreadChannel } from '../helpers.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const dinos = readFileSync(dinosPath, 'utf8');
// Without dropout: its masks are drawn per thread, over that thread's rows (README, --dropout).
const recipe = { ...DEFAULT_RECIPE, hidden: 24, batchSize: 64, epochs: undefined, steps: 8, dropout: 0 };

async function train(replicas: number, backend: Backend) {
  const kernels = await loadKernels(backend);
  const data = prepareData(dinos, recipe, 'dinos.txt');
  const model = RnnModel.initialized(modelConfigOf(recipe, data.tokenizer.size), 3, kernels);
  let parallel: DataParallel | undefined;
  if (replicas > 0) {
    const shared = kernels as WasmKernels | NativeKernels;
    const variant = shared instanceof NativeKernels ? (shared.name as `native-${string}`) : shared.variant;
    const channels: ReplicaChannel[] = [];
    for (let i = 0; i < replicas; i++) {
      const replica = await Replica.create({ memory: shared.memory, variant, config: model.config, paramsAddress: model.params.byteOffset }, async (v, m) =>
        v.startsWith('native-') ? NativeKernels.create(v.slice('native-'.length), m) : WasmKernels.create(v as WasmVariant, m),
      );
      channels.push(sameThreadChannel(replica));
    }
    parallel = new DataParallel(model, shared, channels);
  }
  const losses: number[] = [];
  const trainer = new Trainer(model, data.train, data.validation, trainOptionsOf(recipe), { parallel });
  trainer.on('step', (e) => losses.push(e.loss));
  await trainer.run();
  return { losses, params: Float64Array.from(model.params) };
}

describe('data-parallel training', () => {
  it('splits rows into parts of about equal real tokens', () => {
    const batch = batchFromRows([[1, 1, 1, 1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1], [1]], [[1, 1, 1, 1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1], [1]]);
    expect(splitRows(batch, 2)).toEqual([0, 2, 5]); // 9 and 6 tokens
    expect(splitRows(batch, 3)).toEqual([0, 1, 3, 5]); // 6, 6 and 3 tokens
  });

  const sharing: Backend[] = ['wasm-simd', ...(loadNativeAddon().addon ? (['native'] as const) : [])];
  it.each(sharing.flatMap((backend) => [1, 2].map((replicas) => [backend, replicas] as const)))(
    '%s with %i replicas matches one thread within float32 rounding',
    async (backend, replicas) => {
      const single = await train(0, backend);
      const parallel = await train(replicas, backend);
      parallel.losses.forEach((loss, i) => expect(Math.abs(loss - single.losses[i])).toBeLessThan(1e-4));
      let worst = 0;
      parallel.params.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - single.params[i]))));
      expect(worst).toBeLessThan(1e-3);
    },
  );

  it.each(['wasm-scalar', 'wasm-simd', 'wasm-relaxed', ...(loadNativeAddon().addon ? (['native'] as const) : [])] as const)(
    '%s trains like the reference kernels (float32 losses within 1e-4)',
    async (backend) => {
      const fast = await train(0, backend);
      const slow = await train(0, 'reference');
      expect(fast.losses).toHaveLength(8);
      fast.losses.forEach((loss, i) => expect(Math.abs(loss - slow.losses[i])).toBeLessThan(1e-4));
    },
  );
});

describe('bptt train --threads and bptt bench', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: repoRoot, encoding: 'utf8' });

  it('2 worker threads give the same validation loss as 1 thread (to 1e-4)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'bptt-threads-'));
    const run = (threads: string) => {
      const result = cli([
        'train',
        '--hidden',
        '32',
        '--batch',
        '128',
        '--epochs',
        '2',
        '--dropout',
        '0',
        '--print',
        '0',
        '--threads',
        threads,
        '--out',
        join(folder, `threads-${threads}.safetensors`),
      ]);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain(`${threads} thread`);
      return Number(/validation loss ([\d.]+)/.exec(result.stderr)![1]);
    };
    expect(Math.abs(run('2') - run('1'))).toBeLessThan(1e-4);
  });

  it('bench --json prints tokens_per_s, backend and threads per measurement', () => {
    const result = cli(['bench', '--preset', 'small', '--backend', 'wasm-simd', '--threads', '2', '--seconds', '0.2', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.backend, l.threads])).toEqual([
      ['reference', 1],
      ['wasm-simd', 2],
    ]);
    for (const line of lines) expect(line.tokens_per_s).toBeGreaterThan(0);
    expect(lines[1].ratio_to_reference).toBeGreaterThan(1);
  });
});

describe('the worker-thread channel (src/cli/threads.ts)', () => {
  it('computes the same gradients as one thread, and a stopped worker fails the next step with a clear error instead of hanging', async () => {
    const { startDataParallel } = await import('../../src/cli/threads.js');
    const kernels = await loadKernels('wasm-relaxed');
    const config = { cell: 'rnn', activation: 'tanh', vocabSize: 9, hidden: 12, embed: 0, layers: 1, dtype: 'float32', init: 'scaled' } as const;
    const model = RnnModel.initialized(config, 4, kernels);
    const single = RnnModel.initialized(config, 4, kernels);
    const rows = [
      [1, 2, 3, 4, 5],
      [2, 3, 4],
      [5, 6, 7, 8],
      [0, 1],
    ];
    const batch = batchFromRows(
      rows,
      rows.map((row) => row.map((id) => (id + 1) % 9)),
    );
    const parallel = (await startDataParallel(model, 2))!;
    const { lossSum } = await parallel.computeGradients(batch, { scale: 1 / 4, clip: Infinity });
    const lossSingle = single.forward(batch);
    single.backward({ scale: 1 / 4, clip: Infinity });
    expect(Math.abs(lossSum - lossSingle)).toBeLessThan(1e-4);
    for (let i = 0; i < model.grads.length; i++) expect(Math.abs(model.grads[i] - single.grads[i])).toBeLessThan(1e-5);
    parallel.close();
    // The worker's exit arrives as an event; from then on a step is refused, not awaited forever.
    let error: Error | undefined;
    for (let attempt = 0; attempt < 100 && !error; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      error = await parallel.computeGradients(batch, { scale: 1 / 4, clip: Infinity }).then(
        () => undefined,
        (e: Error) => e,
      );
    }
    expect(error?.message).toMatch(/training thread stopped/);
  });
});
