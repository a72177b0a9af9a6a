/**
 * Helpers for the end-to-end CLI tests: run `bptt` as a child process in a
 * fresh temporary folder, and check files before and after a run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect } from 'vitest';
import { Random } from '../../src/core/random.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { repoRoot } from '../helpers.js';

export const cliEntry = join(repoRoot, 'src', 'cli', 'main.ts');

/** The shared data set: 1,536 dinosaur names, mixed case (the last line has no final newline). */
export { dinosPath } from '../helpers.js';

/**
 * `node --import tsx` resolves "tsx" from the child's working directory, and
 * the tests run the CLI inside temporary folders where there is no
 * node_modules, so the loader is passed as an absolute file URL instead.
 */
const tsxLoader = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;

export interface CliResult {
  /** Exit code (null if killed by a signal). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bptt ...args` in `cwd` and waits for it. */
export function runCli(cwd: string, args: readonly string[]): CliResult {
  const result = spawnSync(process.execPath, ['--import', tsxLoader, cliEntry, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `bptt ...args` in `cwd` without blocking the test worker, so that
 * tests marked concurrent run several CLI processes at once (on 2 cores, the
 * startup of node + tsx dominates each short run).
 */
export function runCliAsync(cwd: string, args: readonly string[]): Promise<CliResult> {
  return startCli(cwd, args).result;
}

/** A running `bptt` process: signal it, wait for a line on its stderr, or for its end. */
export interface RunningCli {
  child: ChildProcess;
  result: Promise<CliResult>;
  /** Resolves once stderr matches `pattern` (rejects if the process ends first). */
  stderrMatches(pattern: RegExp): Promise<void>;
}

/** Starts `bptt ...args` in `cwd` without waiting for it. */
export function startCli(cwd: string, args: readonly string[]): RunningCli {
  const child = spawn(process.execPath, ['--import', tsxLoader, cliEntry, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  const watchers: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const check of watchers) check();
  });
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  const stderrMatches = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => pattern.test(stderr) && resolve();
      watchers.push(check);
      check();
      void result.then((r) => reject(new Error(`bptt ended before stderr matched ${pattern}\n${describeRun(r)}`)));
    });
  return { child, result, stderrMatches };
}

/** A human-readable dump of a run, for assertion messages. */
export function describeRun(result: CliResult): string {
  return `exit ${result.status}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

const createdDirs: string[] = [];
afterAll(() => {
  for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty temporary folder, removed after the test file. */
export function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bptt-cli-'));
  createdDirs.push(dir);
  return dir;
}

/** The lines of a command's stdout: one per '\n'-terminated line (empty lines kept). */
export function outputLines(stdout: string): string[] {
  if (stdout === '') return [];
  return (stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout).split('\n');
}

/** The non-empty lines of a text file, as bptt reads them. */
export function textFileLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r\n|\r|\n/)
    .filter((line) => line.length > 0);
}

/** Names of the hidden files (leftover temporaries such as `.m.safetensors.123.tmp`) in a folder. */
export function hiddenFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('.'));
}

/**
 * Asserts the contract for input a user can fix: exit code 2, nothing on
 * stdout, exactly one line on stderr that names the problem (every string in
 * `mentions`) and says how to fix it (the "; hint" part of a BpttError).
 */
export function expectUserError(result: CliResult, mentions: readonly string[]): void {
  const report = describeRun(result);
  expect(result.status, report).toBe(2);
  expect(result.stdout, report).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines.length, `expected exactly one line on stderr\n${report}`).toBe(1);
  const line = lines[0];
  for (const text of mentions) expect(line, report).toContain(text);
  // "bptt: <problem>; <how to fix it>"
  expect(line, `expected a "; <fix>" part\n${report}`).toMatch(/^bptt: .+; \S.+$/);
}

/** Files created with known content, to check that a failed run leaves them intact. */
export class Sentinels {
  private readonly contents = new Map<string, Buffer>();

  /** Creates `path` with recognisable content (or keeps an existing file) and remembers its bytes. */
  add(path: string, content?: string | Uint8Array): string {
    if (content !== undefined) writeFileSync(path, content);
    this.contents.set(path, readFileSync(path));
    return path;
  }

  expectUnchanged(): void {
    for (const [path, bytes] of this.contents) {
      expect(readFileSync(path).equals(bytes), `${path} was modified`).toBe(true);
    }
  }
}

/** The tensors of a safetensors file, name → raw bytes, and its metadata. */
export function readTensors(path: string): { tensors: Map<string, Buffer>; metadata: Record<string, string> } {
  const file = parseSafetensors(readFileSync(path), path);
  const tensors = new Map<string, Buffer>();
  for (const [name, tensor] of file.tensors) tensors.set(name, Buffer.from(tensor.bytes));
  return { tensors, metadata: file.metadata };
}

/** Asserts two safetensors files hold the same tensors, bit for bit. */
export function expectSameTensors(actualPath: string, expectedPath: string): void {
  const actual = readTensors(actualPath).tensors;
  const expected = readTensors(expectedPath).tensors;
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, bytes] of expected) {
    expect(actual.get(name)!.equals(bytes), `tensor ${name} differs between ${actualPath} and ${expectedPath}`).toBe(true);
  }
}

/** Running text for stream tests: paragraphs of 50 seeded words wrapped at 68 characters, a blank line between them. */
export function prose(seed: number, paragraphs: number): string {
  const words = 'the sea lay flat under a white sky and men had long stopped counting hours between bells of ship'.split(' ');
  const random = new Random(seed, 1);
  const written: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const lines: string[] = [];
    let line = '';
    for (let w = 0; w < 50; w++) {
      const word = words[Math.floor(random.uniform() * words.length)];
      if (line.length + word.length > 68) {
        lines.push(line);
        line = '';
      }
      line += `${line ? ' ' : ''}${word}${random.uniform() < 0.1 ? '.' : ''}`;
    }
    written.push([...lines, line].join('\n'));
  }
  return `${written.join('\n\n')}\n`;
}
