#!/usr/bin/env node
// `npm install`'s install step: builds the native kernels (binding.gyp → build/Release/bptt_native.node)
// with node-gyp. It never fails the install: without a compiler, on another platform or offline
// without Node's headers, it prints one line saying why and bptt runs on its WebAssembly kernels.
// `--strict` (`npm run build:native`, or BPTT_REQUIRE_NATIVE=1 as in CI) fails instead, with node-gyp's full output.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const strict = process.argv.includes('--strict') || process.env.BPTT_REQUIRE_NATIVE === '1'; // CI: see .ci/run
// BPTT_SKIP_NATIVE_BUILD=1: install without compiling (bptt then runs on its WebAssembly kernels; npm rebuild bptt builds later).
if (process.env.BPTT_SKIP_NATIVE_BUILD === '1' && !process.argv.includes('--strict')) {
  console.log('bptt: native kernels not built (BPTT_SKIP_NATIVE_BUILD=1); the WebAssembly kernels will run');
  process.exit(0);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'); // the package's root, where binding.gyp is

// node-gyp: the one npm runs scripts with (npm_config_node_gyp), else npm's bundled copy, else a global one.
function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    const npmDir = dirname(
      createRequire(import.meta.url).resolve('npm/package.json', { paths: [join(dirname(process.execPath), '..', 'lib', 'node_modules')] }),
    );
    const script = join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(script)) return [process.execPath, script];
  } catch {
    // no npm next to this node
  }
  return ['node-gyp'];
}

// Node's own headers, when this Node has them next to it (Debian's nodejs, the official tarballs):
// then node-gyp needs no download.
function nodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

const [command, ...prefixArgs] = findNodeGyp();
const args = [...prefixArgs, 'rebuild', ...nodeDir()];
const result = spawnSync(command, args, { cwd: root, stdio: strict ? 'inherit' : ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status === 0) {
  if (!strict) console.log('bptt: built the native kernels (build/Release/bptt_native.node)');
  process.exit(0);
}
const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
const reason = result.error
  ? `node-gyp could not run (${result.error.message})`
  : /not found: (make|g\+\+|c\+\+|cc)|command not found|No such file/i.test(output)
    ? 'no C++ compiler or make'
    : /network|ENOTFOUND|EAI_AGAIN|download/i.test(output)
      ? "Node's headers are not installed and could not be downloaded"
      : `node-gyp failed (exit code ${result.status})`;
if (strict) {
  console.error(`bptt: the native kernels did not build: ${reason}`);
  process.exit(1);
}
console.log(`bptt: native kernels not built (${reason}); using the WebAssembly kernels. Run \`npm run build:native\` in bptt's folder to see why.`);
process.exit(0);
