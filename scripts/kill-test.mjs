#!/usr/bin/env node
/**
 * kill -9 at random moments of `bptt train --checkpoint`, over and over, and
 * check that nothing is ever lost:
 *
 * - after every kill, the checkpoint is absent only if the run had not yet
 *   written its first one, and otherwise loads completely (never torn), at a
 *   step no earlier than before; the model file (--out), when present, loads;
 * - a temporary file left by a kill mid-write is harmless (hidden, named by the
 *   dead pid) and removed by the next run, which also takes over the dead run's
 *   stale lock;
 * - resuming after each kill, each chain of runs ends with a model file equal,
 *   byte for byte, to the one an uninterrupted run writes.
 *
 * Half the kills come at a uniformly random time of a run; the other half the
 * moment a temporary checkpoint or model file appears (fs.watch), to land
 * inside the write window. No test-only code path: the CLI runs as shipped,
 * bundled with esbuild so each start costs ~0.3 s instead of ~1 s with tsx.
 *
 *   node scripts/kill-test.mjs [--kills 50] [--seed 1] [--json]
 *
 * Prints the counts (and, with --json, one JSON object last); exits 1 on any
 * failure. test/cli/kill.test.ts runs it as part of npm test.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: options } = parseArgs({
  options: { kills: { type: 'string', default: '50' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } },
});
const targetKills = Number(options.kills);
const log = (line) => process.stderr.write(`${line}\n`);

// A seeded PRNG (mulberry32), so a failing sequence of kills can be replayed with --seed.
let state = Number(options.seed) >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// 1. The CLI and the library, bundled.
const work = mkdtempSync(join(tmpdir(), 'bptt-kill-'));
const bundle = join(work, 'bundle');
await build({
  entryPoints: { bptt: join(root, 'src/cli/main.ts'), library: join(root, 'src/index.ts') },
  outdir: bundle,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
  // The CLI finds the built-in corpus with require.resolve; an ES module bundle needs its own require.
  banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
});
const cli = join(bundle, 'bptt.mjs');
const { decodeCheckpoint, decodeModelFile } = await import(pathToFileURL(join(bundle, 'library.mjs')).href);

// 2. A small run that checkpoints often: 200 names, about 12 steps and one checkpoint per epoch.
const data = join(work, 'names.txt');
writeFileSync(data, readFileSync(join(root, 'test/fixtures/dinos.txt'), 'utf8').split('\n').slice(0, 200).join('\n') + '\n');
const recipe = ['--data', data, '--hidden', '48', '--embed', '8', '--epochs', '40', '--seed', '3'];
const common = ['--print', '0', '--threads', '1', '--out', 'm.safetensors', '--checkpoint', 'ck.safetensors'];

/** Starts bptt in `cwd`; `onStart(child)` may arrange its kill. Resolves with the exit code (null if killed), stderr and seconds. */
function run(cwd, args, onStart = () => {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    const cleanup = onStart(child) ?? (() => {});
    child.on('close', (status, signal) => {
      cleanup();
      resolve({ status, signal, stderr, pid: child.pid, seconds: (performance.now() - started) / 1000 });
    });
  });
}

// 3. The uninterrupted run: the bytes every chain must end with.
const reference = join(work, 'reference');
mkdirSync(reference);
const straight = await run(reference, ['train', ...recipe, ...common]);
if (straight.status !== 0) throw new Error(`the uninterrupted run failed:\n${straight.stderr}`);
const expected = readFileSync(join(reference, 'm.safetensors'));
log(`uninterrupted run: ${straight.seconds.toFixed(2)} s`);

// 4. Chains of killed and resumed runs.
const counts = {
  kills: 0,
  killsAtRandomTime: 0,
  killsOnWrite: 0,
  killsMidWrite: 0,
  checkpointsVerified: 0,
  checkpointAbsentBeforeFirstWrite: 0,
  modelFilesVerified: 0,
  staleLocksTakenOver: 0,
  temporaryFilesLeft: 0,
  chains: 0,
  chainsBitwiseEqual: 0,
};
const failures = [];
const hidden = (dir) => readdirSync(dir).filter((name) => name.startsWith('.'));
const locks = (dir) => readdirSync(dir).filter((name) => name.endsWith('.lock'));

while (counts.kills < targetKills) {
  const dir = join(work, `chain-${counts.chains}`);
  mkdirSync(dir);
  counts.chains++;
  let lastStep = -1;
  let everWritten = false;
  // At most 6 kills per chain, then the run is left to finish.
  for (let killsInChain = 0; ; killsInChain++) {
    const resume = existsSync(join(dir, 'ck.safetensors'));
    const args = resume ? ['train', '--resume', 'ck.safetensors', '--epochs', '40', ...common] : ['train', ...recipe, ...common];
    const kill = killsInChain < 6 && counts.kills < targetKills;
    const onWrite = kill && counts.kills % 2 === 1;
    const result = await run(dir, args, (child) => {
      if (!kill) return;
      if (!onWrite) {
        const timer = setTimeout(() => child.kill('SIGKILL'), random() * straight.seconds * 1000);
        return () => clearTimeout(timer);
      }
      // The moment this process creates a temporary output file, kill it (after 0-2 ms).
      const watcher = watch(dir, (event, name) => {
        if (name && name.endsWith(`.${child.pid}.tmp`)) {
          watcher.close();
          setTimeout(() => child.kill('SIGKILL'), random() * 2);
        }
      });
      return () => watcher.close();
    });
    counts.staleLocksTakenOver += (result.stderr.match(/taking over the stale lock/g) ?? []).length;

    if (result.signal === 'SIGKILL') {
      counts.kills++;
      if (onWrite) counts.killsOnWrite++;
      else counts.killsAtRandomTime++;
      const left = hidden(dir);
      counts.temporaryFilesLeft += left.length;
      if (left.some((name) => name.endsWith(`.${result.pid}.tmp`))) counts.killsMidWrite++;
      // Harmless: temporary files and lock staging files named by a dead pid (this one's, or an earlier one's not
      // yet cleaned up because this run was killed before it took the stale locks over), and the write probe.
      const unexpected = left.filter((name) => !/\.\d+\.tmp$|\.lock\.\d+$/.test(name) && !name.endsWith('.probe'));
      if (unexpected.length > 0) failures.push(`${dir}: unexpected hidden files after a kill: ${unexpected.join(', ')}`);
      // The checkpoint: absent only before its first write, else complete, and never going back.
      const checkpointPath = join(dir, 'ck.safetensors');
      if (!existsSync(checkpointPath)) {
        if (everWritten) failures.push(`${dir}: the checkpoint disappeared after a kill`);
        else counts.checkpointAbsentBeforeFirstWrite++;
      } else {
        everWritten = true;
        try {
          const { step } = decodeCheckpoint(readFileSync(checkpointPath), checkpointPath).training.position;
          if (step < lastStep) failures.push(`${dir}: the checkpoint went back from step ${lastStep} to ${step}`);
          lastStep = step;
          counts.checkpointsVerified++;
        } catch (error) {
          failures.push(`${dir}: a torn checkpoint after a kill: ${error.message}`);
          copyFileSync(checkpointPath, join(work, `torn-${counts.kills}.safetensors`));
        }
      }
      const modelPath = join(dir, 'm.safetensors');
      if (existsSync(modelPath)) {
        try {
          decodeModelFile(readFileSync(modelPath), modelPath);
          counts.modelFilesVerified++;
        } catch (error) {
          failures.push(`${dir}: a torn model file after a kill: ${error.message}`);
        }
      }
      continue;
    }
    if (result.status !== 0) {
      failures.push(`${dir}: a run ended with exit ${result.status}:\n${result.stderr}`);
      break;
    }
    // The chain is done: the same bytes as the uninterrupted run, and nothing left behind.
    if (readFileSync(join(dir, 'm.safetensors')).equals(expected)) counts.chainsBitwiseEqual++;
    else failures.push(`${dir}: the final model differs from the uninterrupted run's`);
    if (hidden(dir).length > 0 || locks(dir).length > 0) failures.push(`${dir}: left behind ${[...hidden(dir), ...locks(dir)].join(', ')}`);
    break;
  }
  log(`chain ${counts.chains}: ${counts.kills} kills so far (${counts.killsMidWrite} mid-write), ${counts.chainsBitwiseEqual} chains equal`);
}

for (const failure of failures) log(`FAIL ${failure}`);
log(
  `${counts.kills} kill -9s (${counts.killsAtRandomTime} at a random time, ${counts.killsOnWrite} on a write; ${counts.killsMidWrite} left a temporary file, i.e. landed mid-write): ` +
    `${counts.checkpointsVerified} checkpoints loaded whole, ${counts.checkpointAbsentBeforeFirstWrite} absent before the first write, 0 torn expected (${failures.filter((f) => f.includes('torn')).length} found); ` +
    `${counts.staleLocksTakenOver} stale locks taken over; ${counts.chainsBitwiseEqual} of ${counts.chains} resumed chains equal the uninterrupted run bitwise`,
);
if (options.json) process.stdout.write(`${JSON.stringify({ ...counts, failures })}\n`);
if (failures.length === 0) rmSync(work, { recursive: true, force: true });
else log(`files kept in ${work}`);
process.exitCode = failures.length === 0 ? 0 : 1;
