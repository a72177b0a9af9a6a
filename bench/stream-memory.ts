/**
 * `npm run bench:stream`: mode stream trains on big texts in bounded memory.
 *
 * Writes synthetic texts of 10 MB and 100 MB (words, multi-byte characters,
 * paragraphs between blank lines) to a temporary folder, trains each in mode
 * stream for the same bounded number of steps in its own process, and prints
 * each run's peak resident set size (the OS's maxRSS, all threads), the ratio
 * between them, and whether both stay under the bound. The bound is a
 * constant: nothing in mode stream grows with the file (the text is read in
 * chunks, its ids are read back one window at a time from a token file).
 *
 *   npm run bench:stream                      # 10 MB and 100 MB
 *   npm run bench:stream -- --sizes 10,100,300 --steps 200
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Peak RSS every run must stay under, whatever the file size. */
const BOUND_MB = 300;

const option = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const sizesMb = option('--sizes', '10,100').split(',').map(Number);
const steps = option('--steps', '200');
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** A synthetic text of about `megabytes` MB, written 1 MB at a time (never held whole). */
function writeSyntheticText(path: string, megabytes: number): void {
  const words = [
    'the',
    'river',
    'ran',
    'past',
    'old',
    'stone',
    'houses',
    'and',
    'a',
    'dinosaur',
    'named',
    'Ænid',
    'über',
    'café',
    'naïve',
    'said',
    'so',
    'Tyrannosaurus',
    'ate',
    '🦕',
  ];
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const fd = openSync(path, 'w');
  const encoder = new TextEncoder();
  let written = 0;
  while (written < megabytes * 1e6) {
    let chunk = '';
    while (chunk.length < 1e6) {
      const sentence = Array.from({ length: 4 + Math.floor(next() * 12) }, () => words[Math.floor(next() * words.length)]).join(' ');
      chunk += `${sentence[0].toUpperCase()}${sentence.slice(1)}.${next() < 0.2 ? '\n\n' : next() < 0.5 ? '\n' : ' '}`;
    }
    written += writeSync(fd, encoder.encode(chunk));
  }
  closeSync(fd);
}

const folder = mkdtempSync(join(tmpdir(), 'bptt-stream-bench-'));
const results: { mb: number; peakMb: number; seconds: number }[] = [];
try {
  for (const mb of sizesMb) {
    const data = join(folder, `synthetic-${mb}mb.txt`);
    writeSyntheticText(data, mb);
    const args = [
      'train',
      '--data',
      data,
      '--mode',
      'stream',
      '--seq-length',
      '64',
      '--batch',
      '32',
      '--hidden',
      '256',
      '--cell',
      'lstm',
      '--steps',
      steps,
      '--val',
      '0.001',
      '--eval-every',
      '100',
      '--print',
      '0',
      '--out',
      join(folder, 'model.safetensors'),
    ];
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      ['--import', join(repoRoot, 'bench/report-peak-rss.mjs'), '--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 0) throw new Error(`bptt train failed on ${mb} MB:\n${run.stderr}`);
    const peakKb = Number(/peak-rss-kb (\d+)/.exec(run.stderr)![1]);
    results.push({ mb, peakMb: peakKb / 1024, seconds });
    console.log(
      `${String(mb).padStart(5)} MB text: peak RSS ${(peakKb / 1024).toFixed(0)} MB, ${seconds.toFixed(1)} s (${steps} steps of 32 streams × 64 characters, LSTM 256, reading the file twice included)`,
    );
    rmSync(data);
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
const [first, last] = [results[0], results.at(-1)!];
console.log(`peak RSS ratio ${last.mb} MB / ${first.mb} MB text: ${(last.peakMb / first.peakMb).toFixed(2)} (file ${(last.mb / first.mb).toFixed(0)}× larger)`);
const within = results.every((r) => r.peakMb < BOUND_MB);
console.log(`bound ${BOUND_MB} MB: ${within ? 'every run stays under it' : 'EXCEEDED'}`);
process.exitCode = within ? 0 : 1;
