/**
 * docs/model-file.md's PyTorch snippet (the README links to it), exactly as written there, on the model `bptt train` writes with the
 * defaults (npm start's recipe: an LSTM with an embedding; one epoch here), with Debian's torch
 * (/usr/bin/python3, which has no `safetensors` module): it must load with strict=True and give the
 * log-probability `bptt score` gives. CI installs python3-torch (.ci/run), so there this never skips.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers.js';
import { describeRun, freshDir, runCliAsync } from './cli-helpers.js';

const PYTHON = '/usr/bin/python3';
const torchAvailable = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!torchAvailable && process.env.CI) throw new Error(`${PYTHON} cannot import torch: .ci/run installs python3-torch`);

/** The first ```python block of docs/model-file.md. */
function readmeSnippet(): string {
  const readme = readFileSync(join(repoRoot, 'docs', 'model-file.md'), 'utf8');
  const match = /```python\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('docs/model-file.md has no python block');
  return match[1];
}

// Under CI (which installs Debian's torch) a missing torch fails the test instead of skipping it.
describe.skipIf(!torchAvailable && !process.env.CI)('the PyTorch snippet of docs/model-file.md', () => {
  it('loads the default model with strict=True and matches bptt score', async () => {
    const dir = freshDir();
    const trained = await runCliAsync(dir, ['train', '--epochs', '1', '--print', '0']);
    expect(trained.status, describeRun(trained)).toBe(0);
    writeFileSync(join(dir, 'snippet.py'), readmeSnippet());
    const python = spawnSync(PYTHON, ['snippet.py'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(python.status, python.stderr).toBe(0);
    const match = /^tyrannosaurus\tlog p = (-?\d+\.\d+)$/m.exec(python.stdout);
    expect(match, python.stdout).not.toBeNull();
    const scored = await runCliAsync(dir, ['score', '--model', 'dinosaurs.safetensors', '--json', 'tyrannosaurus']);
    expect(scored.status, describeRun(scored)).toBe(0);
    expect(Number(match![1])).toBeCloseTo(JSON.parse(scored.stdout).log_prob, 2);
  });
});
