/**
 * bptt/inference as a web page gets it: bundled by esbuild (minified), then
 * gzipped. It must stay small, pure TypeScript (no WebAssembly inside, no
 * node: module), and work: the bundle loads a model file and samples.
 */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../src/index.js';
import { repoRoot } from '../helpers.js';

/** The most bptt/inference may weigh, minified and gzipped (docs/library.md states it). */
export const INFERENCE_GZIP_LIMIT = 40 * 1024;

describe('bptt/inference bundled for a browser', () => {
  let code = '';
  beforeAll(async () => {
    const result = await build({
      entryPoints: [join(repoRoot, 'src', 'inference.ts')],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    code = result.outputFiles[0].text;
  });

  it(`is at most ${INFERENCE_GZIP_LIMIT / 1024} KB gzipped, with no WebAssembly and no node: module inside`, () => {
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(`bptt/inference: ${(code.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThanOrEqual(INFERENCE_GZIP_LIMIT);
    expect(code).not.toContain('AGFzbQ'); // "\0asm", a WebAssembly module's first bytes, in base64
    expect(code).not.toContain('node:'); // the path branch of loadModel computes its specifier at run time
    expect(readFileSync(join(repoRoot, 'docs', 'library.md'), 'utf8')).toContain(`${INFERENCE_GZIP_LIMIT / 1024} KB`);
  });

  it('the bundle loads a model file, samples and scores', async () => {
    const model = await train(['amy', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jim'], { steps: 5, hidden: 8, embed: 0, val: 0 });
    const folder = mkdtempSync(join(tmpdir(), 'bptt-inference-'));
    writeFileSync(join(folder, 'inference.mjs'), code);
    const bundle = (await import(pathToFileURL(join(folder, 'inference.mjs')).href)) as typeof import('../../src/inference.js');
    const light = await bundle.loadModel(model.toBytes());
    expect(light.sample({ count: 4, seed: 3 })).toEqual(model.sample({ count: 4, seed: 3 }));
    expect(light.score('amy').logProbability).toBeCloseTo(model.score('amy').logProbability, 4);
  });
});
