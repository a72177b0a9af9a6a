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
 *   npm run bench:stream -- --tokens word     # word tokens: the counting pass, --max-vocab's default
 *
 * With `--tokens word`, one word in 20 comes from a pool of 50,000 made-up words (so the vocabulary
 * reaches --max-vocab's default, 10,000, and the output layer its largest), and one in 100 (--unique F)
 * is made up afresh (7 random letters), so the distinct words grow with the file as names and typos do
 * in real text; `--unique 0.2` makes more of them than the counting pass keeps (MAX_COUNTED_PIECES).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const option = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const sizesMb = option('--sizes', '10,100').split(',').map(Number);
const steps = option('--steps', '200');
const tokens = option('--tokens', 'char');
if (tokens !== 'char' && tokens !== 'word') throw new Error(`--tokens ${tokens}: use char or word`);
const unit = tokens === 'word' ? 'tokens' : 'characters';
/** Word tokens: the fraction of words made up afresh, seen once (names, typos). */
const unique = Number(option('--unique', '0.01'));
/**
 * Peak RSS every run must stay under, whatever the file size. Word tokens: the model has 10,000 output
 * rows instead of a few hundred, which trainingMemory puts at about 400 MB more (538 MB for the run
 * against 142 MB with 100 tokens: U, its gradient and Adagrad's memory, and the probabilities of
 * 2,048 positions × 10,000 tokens, with the workspace's growth).
 */
const BOUND_MB = tokens === 'word' ? 600 : 300;
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
      const word = () => {
        const draw = tokens === 'word' ? next() : 1;
        if (draw < unique) return Array.from({ length: 7 }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join('');
        if (draw < unique + 0.05) return `z${Math.floor(next() * 50_000).toString(36)}`;
        return words[Math.floor(next() * words.length)];
      };
      const sentence = Array.from({ length: 4 + Math.floor(next() * 12) }, word).join(' ');
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
      '--tokens',
      tokens,
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
      `${String(mb).padStart(5)} MB text: peak RSS ${(peakKb / 1024).toFixed(0)} MB, ${seconds.toFixed(1)} s (${steps} steps of 32 streams × 64 ${unit}, LSTM 256, reading the file twice included)`,
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
