/**
 * The package as published: what `npm pack` would ship, that its entry points
 * exist and load, and that the library keeps its layering (each module imports
 * only from the layers below it, and nothing outside the CLI touches `node:`,
 * so the same code runs in a browser).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

describe('npm pack', () => {
  let files: string[] = [];
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'pipe' });
    const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    files = JSON.parse(output)[0].files.map((f: { path: string }) => f.path);
  }, 120_000);

  it('ships the compiled library, its types, the CLI, the sources, docs, README and LICENSE', () => {
    for (const path of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'src/model/rnn-model.ts',
      'docs/derivation.md',
    ]) {
      expect(files, path).toContain(path);
    }
  });

  it('ships no tests, fixtures, scripts, CI files, dependencies or model files', () => {
    const unwanted = files.filter((f) => /^(test|scripts|\.ci|node_modules|bench)\/|\.safetensors$|^vitest|^tsconfig/.test(f));
    expect(unwanted).toEqual([]);
  });

  it('points exports, types and bin at shipped files', () => {
    expect(files).toContain(packageJson.exports['.'].default.replace('./', ''));
    expect(files).toContain(packageJson.exports['.'].types.replace('./', ''));
    expect(files).toContain(packageJson.bin.bptt.replace('./', ''));
    expect(readFileSync(join(repoRoot, packageJson.bin.bptt), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('the built entry point loads and exposes the API', async () => {
    const api = await import(join(repoRoot, 'dist', 'index.js'));
    for (const name of [
      'RnnModel',
      'Trainer',
      'CharTokenizer',
      'WordTokenizer',
      'tokenizerFromSpec',
      'generate',
      'gradcheck',
      'encodeModelFile',
      'decodeModelFile',
      'Adagrad',
      'referenceKernels',
    ]) {
      expect(api[name], name).toBeDefined();
    }
  });
});

/** Which folders of src/ each folder may import from: dependencies point downward only. */
const ALLOWED: Record<string, string[]> = {
  core: [],
  kernels: ['core'],
  nn: ['core', 'kernels'],
  model: ['core', 'kernels', 'nn'],
  optim: ['core', 'kernels'],
  text: ['core'],
  data: ['core', 'text'],
  io: ['core', 'kernels', 'nn', 'model', 'text'],
  sample: ['core', 'kernels', 'nn', 'model', 'text'],
  testing: ['core', 'kernels', 'nn', 'model'],
  train: ['core', 'kernels', 'nn', 'model', 'optim', 'text', 'data', 'io'],
  export: ['core', 'kernels', 'nn', 'model', 'optim', 'text', 'data', 'io', 'train'],
  api: ['core', 'kernels', 'nn', 'model', 'optim', 'text', 'data', 'io', 'sample', 'train'],
  cli: ['core', 'kernels', 'nn', 'model', 'optim', 'text', 'data', 'io', 'sample', 'testing', 'train', 'export'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('layering', () => {
  const src = join(repoRoot, 'src');
  const files = sourceFiles(src).map((path) => ({ path: relative(src, path), text: readFileSync(path, 'utf8') }));

  it('every folder of src/ is known to the layering rules', () => {
    const folders = new Set(files.map((f) => f.path.split('/')[0]).filter((f) => !f.endsWith('.ts')));
    expect([...folders].sort()).toEqual(Object.keys(ALLOWED).sort());
  });

  it.each(Object.keys(ALLOWED))('src/%s imports only from the layers below it', (folder) => {
    const violations: string[] = [];
    for (const file of files.filter((f) => f.path.startsWith(`${folder}/`))) {
      for (const match of file.text.matchAll(/from '(\.\.?\/[^']+)'/g)) {
        const target = relative(src, join(src, dirname(file.path), match[1])).split('/')[0];
        if (target !== folder && !ALLOWED[folder].includes(target)) violations.push(`${file.path} imports ${match[1]}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('nothing outside src/cli imports node: modules', () => {
    const offenders = files.filter((f) => !f.path.startsWith('cli/') && /from 'node:|(?<!typeof )import\(\s*'node:|require\(/.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('outside src/cli, only api/source.ts imports a module that is not one of ours (node:fs, when loadModel is given a path in Node)', () => {
    const dynamic = files.filter((f) => !f.path.startsWith('cli/') && /(?<!typeof )import\(\s*(?!'\.)/.test(f.text)).map((f) => f.path);
    expect(dynamic).toEqual(['api/source.ts']);
  });
});
