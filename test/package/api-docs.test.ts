/**
 * The API reference builds from the doc comments with no TypeDoc warning (typedoc.json treats
 * warnings as errors and requires every export to be documented), and covers both entry points.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';

describe('npm run docs:api', () => {
  it('documents every public export of bptt and bptt/inference, without a warning', () => {
    const config = JSON.parse(readFileSync(join(repoRoot, 'typedoc.json'), 'utf8'));
    expect(config.treatWarningsAsErrors).toBe(true);
    expect(config.validation.notDocumented).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'bptt-api-'));
    const result = spawnSync('npx', ['typedoc', '--out', out], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\[warning\]/);
    for (const page of [
      'index.html',
      'functions/index.train.html',
      'functions/index.loadModel.html',
      'classes/index.Model.html',
      'functions/inference.loadModel.html',
    ]) {
      expect(existsSync(join(out, page)), page).toBe(true);
    }
    // A kernel shows its parameters by name and its doc comment from the signature table (src/kernels/signatures.ts).
    const kernels = readFileSync(join(out, 'interfaces/index.Kernels.html'), 'utf8')
      .replace(/<[^>]*>/g, ' ')
      .replace(/&gt;/g, '>')
      .replace(/&[a-z]+;|&#\d+;/g, ' ')
      .replace(/\s+/g, ' ');
    expect(kernels).toMatch(
      /matmulABt : \( out : FloatArray , a : FloatArray , b : FloatArray , m : number , k : number , n : number , accumulate : boolean ,? \) => void/,
    );
    expect(kernels).toContain('Overwrites out unless accumulate.');
  }, 180_000);
});
