#!/usr/bin/env node
// `npm test`: type-check, then run the whole vitest suite, then print the one
// summary line CI reads: "N passed, N failed". A type error counts as a failure.
// The playground's end-to-end checks (scripts/test-web.mjs) count in the same line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (command, args) => spawnSync(command, args, { stdio: 'inherit' }).status ?? 1;
const extraArgs = process.argv.slice(2);

console.log('> tsc --noEmit');
const typeErrors = run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
console.log('> npm run lint (ESLint, Prettier)');
const lintErrors = run('npm', ['run', '--silent', 'lint']);
console.log('> the committed WebAssembly kernels match a fresh build');
const staleWasm = run('node', ['scripts/build-wasm.mjs', '--check']);

const report = join(mkdtempSync(join(tmpdir(), 'bptt-test-')), 'report.json');
const vitestStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extraArgs]);

let passed = 0;
let failed = 0;
try {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed = result.numPassedTests;
  failed = result.numFailedTests + (result.numTotalTestSuites > 0 && result.success === false && result.numFailedTests === 0 ? 1 : 0);
} catch {
  failed += 1; // vitest did not even write its report
}

// The browser playground end to end (headless Chromium); skipped only when vitest was given a filter.
if (extraArgs.length === 0) {
  const webReport = join(mkdtempSync(join(tmpdir(), 'bptt-test-web-')), 'report.json');
  run('node', ['scripts/test-web.mjs', '--report', webReport]);
  try {
    const web = JSON.parse(readFileSync(webReport, 'utf8'));
    passed += web.passed;
    failed += web.failed;
  } catch {
    failed += 1; // the e2e script crashed before reporting
  }
}
if (typeErrors !== 0) {
  console.log('type check failed');
  failed += 1;
}
if (lintErrors !== 0) {
  console.log('lint failed (npm run format fixes the formatting)');
  failed += 1;
}
if (staleWasm !== 0) {
  console.log('the generated WebAssembly kernels are stale');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || vitestStatus !== 0 ? 1 : 0);
