/**
 * The CLI with word tokens (--tokens word: train, info, eval, score, sample),
 * the built-in corpora (bptt data, --data NAME) and --plot, end to end.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModelFile } from '../../src/io/model-file.js';
import { WordTokenizer } from '../../src/text/word-tokenizer.js';
import { repoRoot } from '../helpers.js';
import { type CliResult, describeRun, expectUserError, freshDir, outputLines, runCliAsync } from './cli-helpers.js';

/** A small deterministic text: 240 sentences over a few dozen words and marks. */
function sentences(): string {
  const subjects = ['The cat', 'A dog', 'The old man', 'My sister', 'Nobody'];
  const verbs = ['sat on', 'looked at', 'walked past', "didn't see", 'painted'];
  const objects = ['the mat', 'a red car', 'the well-known house', 'her friend', 'the sea'];
  const ends = ['.', '!', '?', ', again.', ' (twice).'];
  const lines: string[] = [];
  for (let i = 0; i < 240; i++) lines.push(`${subjects[i % 5]} ${verbs[(i * 3) % 5]} ${objects[(i * 7) % 5]}${ends[(i * 11) % 5]}`);
  return lines.join('\n') + '\n';
}

describe.concurrent('word tokens on the command line', () => {
  let dir: string;
  let trained: CliResult;
  beforeAll(async () => {
    dir = freshDir();
    writeFileSync(join(dir, 'story.txt'), sentences());
    trained = await runCliAsync(dir, [
      'train',
      '--data',
      'story.txt',
      '--tokens',
      'word',
      '--min-count',
      '1',
      '--hidden',
      '16',
      '--epochs',
      '3',
      '--batch',
      '16',
      '--out',
      'w.safetensors',
      '--checkpoint',
      'w.ckpt',
      '--print',
      '3',
    ]);
  });

  it('trains a word model: loss in nats/token, samples are words joined by the decoder', () => {
    expect(trained.status, describeRun(trained)).toBe(0);
    expect(trained.stderr).toMatch(/vocabulary \d+ tokens \(words and marks; 0\.0% of the text's tokens are <unk>\)/);
    expect(trained.stderr).toMatch(/validation loss \d+\.\d+ nats\/token/);
    const samples = outputLines(trained.stdout);
    expect(samples).toHaveLength(3);
    const tokenizer = WordTokenizer.fromText(sentences(), { minCount: 1 });
    for (const sample of samples) {
      const text = sample.replace(/ \*$/, '');
      // Every sample is decoder output: re-encoding and decoding it changes nothing.
      expect(tokenizer.decode(tokenizer.encode(text)), sample).toBe(text);
    }
    const saved = decodeModelFile(readFileSync(join(dir, 'w.safetensors')), 'w.safetensors');
    expect(saved.tokenizer.kind).toBe('word');
    expect(saved.tokenizer.tokens).toEqual(tokenizer.tokens);
  });

  it('info shows the tokenizer', async () => {
    const text = await runCliAsync(dir, ['info', 'w.safetensors']);
    expect(text.status, describeRun(text)).toBe(0);
    expect(text.stdout).toMatch(/word tokens, vocabulary \d+ \(unknown words: <unk>; most frequent: /);
    const json = JSON.parse((await runCliAsync(dir, ['info', 'w.safetensors', '--json'])).stdout);
    expect(json).toMatchObject({ tokenizer: 'word', unknown: '<unk>' });
    expect(json.vocab).toContain("didn't");
  });

  it('eval and score report nats per token', async () => {
    const evaluated = await runCliAsync(dir, ['eval', '--model', 'w.safetensors', '--data', 'story.txt', '--json']);
    expect(evaluated.status, describeRun(evaluated)).toBe(0);
    const report = JSON.parse(evaluated.stdout);
    expect(report.lines).toBe(240);
    expect(report.tokens).toBe(WordTokenizer.fromText(sentences(), { minCount: 1 }).encode(sentences()).length);
    expect(report.nats_per_token).toBeGreaterThan(0);
    expect(report).not.toHaveProperty('nats_per_char');
    const scored = await runCliAsync(dir, ['score', '--model', 'w.safetensors', 'The cat sat on the mat.', 'The zebra sat.']);
    expect(scored.status, describeRun(scored)).toBe(0);
    expect(outputLines(scored.stdout)).toHaveLength(2);
    expect(scored.stdout).toContain('nats/token');
  });

  it('samples continue a prime, and unknown words in it do not fail', async () => {
    const sampled = await runCliAsync(dir, ['sample', '--model', 'w.safetensors', '--prime', 'The zebra', '--count', '3']);
    expect(sampled.status, describeRun(sampled)).toBe(0);
    for (const line of outputLines(sampled.stdout)) expect(line.startsWith('The zebra'), line).toBe(true);
  });

  it('--tokens cannot change on --resume, nor differ from an --init model', async () => {
    expectUserError(await runCliAsync(dir, ['train', '--resume', 'w.ckpt', '--tokens', 'char', '--epochs', '4']), ['--tokens', 'cannot change when resuming']);
    expectUserError(await runCliAsync(dir, ['train', '--data', 'story.txt', '--init', 'w.safetensors', '--tokens', 'char', '--out', 'x.safetensors']), [
      '--tokens char differs from w.safetensors, which has word',
    ]);
  });

  it('too few words seen --min-count times is a user error', async () => {
    writeFileSync(join(dir, 'unique.txt'), 'alpha beta\ngamma delta\n');
    expectUserError(await runCliAsync(dir, ['train', '--data', 'unique.txt', '--tokens', 'word', '--out', 'u.safetensors']), [
      'unique.txt',
      'fewer than two different words seen at least 2 times',
      '--min-count',
    ]);
    expectUserError(await runCliAsync(dir, ['train', '--data', 'unique.txt', '--min-count', '3', '--out', 'u.safetensors']), [
      '--min-count has no effect here',
      '--tokens word',
    ]);
  });
});

describe.concurrent('built-in corpora', () => {
  const installed = (name: string) => JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;

  it('bptt data lists each corpus with its npm package, lines and characters', async () => {
    const result = await runCliAsync(freshDir(), ['data', '--json']);
    expect(result.status, describeRun(result)).toBe(0);
    const rows = outputLines(result.stdout).map((line) => JSON.parse(line));
    expect(rows.map((r) => r.name)).toEqual(['dinosaurs', 'pokemon', 'superheroes', 'words']);
    expect(rows.map((r) => r.package)).toEqual([
      `dinosaurs@${installed('dinosaurs')}`,
      `pokemon@${installed('pokemon')}`,
      `superheroes@${installed('superheroes')}`,
      `word-list@${installed('word-list')}`,
    ]);
    const pokemon: string[] = JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'pokemon', 'data', 'en.json'), 'utf8'));
    const pokemonRow = rows.find((r) => r.name === 'pokemon');
    expect(pokemonRow.lines).toBe(new Set(pokemon).size);
    expect(pokemonRow.characters).toBe([...new Set(pokemon)].reduce((sum, name) => sum + Array.from(name).length, 0));
    expect(pokemonRow.distinct_characters).toBe(new Set(Array.from(pokemon.join(''))).size);
    // The dinosaur names are the package's CSV lines, each once: 1,318 names.
    expect(rows[0].lines).toBe(1318);
    expect(rows.find((r) => r.name === 'words').lines).toBeGreaterThan(100_000);

    const table = await runCliAsync(freshDir(), ['data']);
    expect(outputLines(table.stdout)[0]).toMatch(/^name\s+npm package\s+lines\s+characters\s+distinct/);
    expect(table.stdout).toContain(`pokemon@${installed('pokemon')}`);
  });

  it('--data NAME trains on a built-in corpus; --plot writes the loss chart', async () => {
    const dir = freshDir();
    const result = await runCliAsync(dir, [
      'train',
      '--data',
      'pokemon',
      '--hidden',
      '8',
      '--epochs',
      '2',
      '--batch',
      '64',
      '--print',
      '0',
      '--plot',
      'loss.svg',
    ]);
    expect(result.status, describeRun(result)).toBe(0);
    expect(result.stderr).toContain('on pokemon: ');
    expect(existsSync(join(dir, 'pokemon.safetensors'))).toBe(true);
    const svg = readFileSync(join(dir, 'loss.svg'), 'utf8');
    expect(XMLValidator.validate(svg)).toBe(true);
    const steps = Math.ceil((1025 - Math.round(1025 * 0.1)) / 64) * 2;
    const points = (id: string) => (new RegExp(`id="${id}"[^>]*><path d="([^"]*)"`).exec(svg)![1].match(/[ML]/g) ?? []).length;
    expect(points('train-step')).toBe(steps);
    expect(points('validation-epoch')).toBe(2);
  });

  it('a wrong --data name lists the valid ones', async () => {
    expectUserError(await runCliAsync(freshDir(), ['train', '--data', 'pokemons']), [
      '--data pokemons is neither a built-in corpus nor a file',
      'dinosaurs, pokemon, superheroes, words',
    ]);
  });
});
