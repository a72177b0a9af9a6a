/**
 * bptt as a user gets it: `npm pack`, then `npm install ./bptt-*.tgz` into an
 * empty project (from the npm cache), counting what the install pulls in, then
 * the README's five lines run there with Node, and the CLI with its optional
 * packages missing. The figures checked here are the ones docs/library.md states.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dinosPath, repoRoot } from '../helpers.js';

/** What installing bptt may cost at most: packages (bptt included) and bytes of node_modules. */
export const INSTALL_LIMITS = { packages: 12, bytes: 5_000_000 };

/** The bytes of the files under a folder (symbolic links, such as node_modules/.bin's, not followed). */
function bytesUnder(path: string): number {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + bytesUnder(join(path, entry)), 0);
}

/** The packages installed under a node_modules folder: scoped ones and nested node_modules included. */
function packagesUnder(nodeModules: string): string[] {
  const packages: string[] = [];
  const add = (path: string, name: string) => {
    packages.push(name);
    const nested = join(path, 'node_modules');
    if (readdirSync(path).includes('node_modules') && lstatSync(nested).isDirectory()) packages.push(...packagesUnder(nested));
  };
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const scoped of readdirSync(join(nodeModules, entry))) add(join(nodeModules, entry, scoped), `${entry}/${scoped}`);
    else add(join(nodeModules, entry), entry);
  }
  return packages;
}

describe('npm install ./bptt-*.tgz into an empty project', () => {
  const project = mkdtempSync(join(tmpdir(), 'bptt-install-'));
  let installed: { packages: string[]; bytes: number };
  const run = (command: string, args: string[], timeout = 60_000) =>
    // The native build is CI's own npm ci's to test (and takes a minute): this install skips it, strict or not.
    spawnSync(command, args, {
      cwd: project,
      encoding: 'utf8',
      timeout,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', BPTT_REQUIRE_NATIVE: '', BPTT_SKIP_NATIVE_BUILD: '1' },
    });

  beforeAll(() => {
    // Pack from a staging copy (its own dist/), so this test never races another one building the repo's dist/.
    const stage = mkdtempSync(join(tmpdir(), 'bptt-stage-'));
    for (const path of ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', 'binding.gyp', 'src', 'docs'])
      cpSync(join(repoRoot, path), join(stage, path), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(stage, 'node_modules'));
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: stage, stdio: 'pipe' });
    const [{ filename }] = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: stage, encoding: 'utf8' }),
    );
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'empty-project', version: '1.0.0', private: true, type: 'module' }));
    const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${filename}`], 120_000);
    expect(install.status, install.stderr).toBe(0);
    installed = { packages: packagesUnder(join(project, 'node_modules')), bytes: bytesUnder(join(project, 'node_modules')) };
    mkdirSync(join(project, 'out'));
  }, 240_000);

  it(`pulls at most ${INSTALL_LIMITS.packages} packages and ${INSTALL_LIMITS.bytes / 1e6} MB`, () => {
    console.log(`bptt installs ${installed.packages.length} packages, ${(installed.bytes / 1e6).toFixed(2)} MB: ${installed.packages.join(', ')}`);
    expect(installed.packages).toContain('bptt');
    expect(installed.packages.length).toBeLessThanOrEqual(INSTALL_LIMITS.packages);
    expect(installed.bytes).toBeLessThanOrEqual(INSTALL_LIMITS.bytes);
    // The README and docs/library.md state the count and the limits.
    for (const doc of ['README.md', join('docs', 'library.md')]) {
      const text = readFileSync(join(repoRoot, doc), 'utf8');
      expect(text, doc).toContain(`${installed.packages.length} packages`);
    }
    expect(readFileSync(join(repoRoot, 'docs', 'library.md'), 'utf8')).toContain(
      `limits: ${INSTALL_LIMITS.packages} packages and ${INSTALL_LIMITS.bytes / 1e6} MB`,
    );
    // The optional packages stay out unless asked for.
    for (const optional of ['word-list', 'pokemon', 'superheroes', 'd3-scale', 'd3-shape']) expect(installed.packages).not.toContain(optional);
  });

  it('the five lines train on 400 names for 8 s, sample, save, reload, and score alike', () => {
    const names = readFileSync(dinosPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .filter((_, i) => i % 3 === 0)
      .slice(0, 400);
    expect(names).toHaveLength(400);
    writeFileSync(join(project, 'names.js'), `export default ${JSON.stringify(names)};\n`);
    const script = [
      "import { train, loadModel } from 'bptt'; import names from './names.js';",
      'const model = await train(names, { time: 8 });',
      'const samples = model.sample({ count: 10, temperature: 0.8, novel: true });',
      'const again = await loadModel(model.toBytes());',
      "console.log(JSON.stringify({ samples, scores: [model.score('Tyrannosaurus'), again.score('Tyrannosaurus')], kernels: again.rnn.kernels.name, training: model.training }));",
    ];
    writeFileSync(join(project, 'five-lines.mjs'), `${script.join('\n')}\n`);
    const started = performance.now();
    const result = run('node', ['five-lines.mjs'], 60_000);
    const seconds = (performance.now() - started) / 1000;
    expect(result.status, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { samples: string[]; scores: unknown[]; kernels: string; training: { seconds: number } };
    console.log(
      `five lines: ${seconds.toFixed(1)} s wall, ${output.training.seconds.toFixed(1)} s training on ${output.kernels}; samples ${output.samples.slice(0, 5).join(', ')}`,
    );
    expect(output.samples).toHaveLength(10);
    for (const sample of output.samples) expect(names).not.toContain(sample);
    expect(output.scores[1]).toEqual(output.scores[0]);
    expect(output.kernels).not.toBe('reference');
    // The bound: an 8-second budget returns well under 15 s (startup, kernels, final validation included).
    expect(seconds).toBeLessThan(15);
  });

  it('bptt/inference loads the file in a project that only samples', () => {
    writeFileSync(
      join(project, 'infer.mjs'),
      "import { train } from 'bptt'; import { loadModel } from 'bptt/inference'; import names from './names.js';\nconst m = await loadModel((await train(names, { steps: 5, hidden: 16 })).toBytes());\nconsole.log(JSON.stringify({ kernels: m.rnn.kernels.name, samples: m.sample({ count: 3 }) }));\n",
    );
    const result = run('node', ['infer.mjs']);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kernels: 'reference', samples: [expect.any(String), expect.any(String), expect.any(String)] });
  });

  it('the CLI trains on the default corpus, and names the package to install for an optional corpus or --plot', () => {
    const trained = run('npx', ['bptt', 'train', '--steps', '3', '--hidden', '8', '--print', '2', '--out', 'out/d.safetensors']);
    expect(trained.status, trained.stderr).toBe(0);
    const words = run('npx', ['bptt', 'train', '--data', 'words', '--steps', '1', '--out', 'out/w.safetensors']);
    expect(words.status).toBe(2);
    expect(words.stderr).toContain('run npm install word-list to use --data words');
    expect(words.stderr.trim().split('\n')).toHaveLength(1);
    const plot = run('npx', ['bptt', 'train', '--steps', '1', '--hidden', '8', '--plot', 'out/loss.svg', '--out', 'out/p.safetensors']);
    expect(plot.status).toBe(2);
    expect(plot.stderr).toContain('run npm install d3-scale d3-shape to use --plot');
    // The library reads the CLI's model file and scores as `bptt score` does.
    const scored = run('npx', ['bptt', 'score', '--model', 'out/d.safetensors', '--json', 'Tyrannosaurus']);
    expect(scored.status, scored.stderr).toBe(0);
    writeFileSync(
      join(project, 'score.mjs'),
      "import { loadModel } from 'bptt';\nconsole.log(JSON.stringify((await loadModel('out/d.safetensors')).score('Tyrannosaurus')));\n",
    );
    const library = run('node', ['score.mjs']);
    expect(library.status, library.stderr).toBe(0);
    expect(JSON.parse(library.stdout).logProbability).toBeCloseTo(JSON.parse(scored.stdout).log_prob, 4);
    const data = run('npx', ['bptt', 'data']);
    expect(data.status, data.stderr).toBe(0);
    expect(data.stdout).toMatch(/dinosaurs\s+dinosaurs@/);
    expect(data.stdout).toContain('not installed: npm install word-list');
  });
});
