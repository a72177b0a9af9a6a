/**
 * Writes the exact data bptt trains and validates on by default (the built-in
 * dinosaur names, bptt's 10% validation split with its default seed, each name
 * fed as '\n' + name and predicting name + '\n') as JSON, so a peer script can
 * train on the same split and report the same loss (nats per character, end
 * token included).
 *
 *   npx tsx bench/peers/export-split.ts OUT.json
 */
import { writeFileSync } from 'node:fs';
import { loadCorpus } from '../../src/cli/corpus.js';
import { DEFAULT_RECIPE, prepareData } from '../../src/train/recipe.js';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: npx tsx bench/peers/export-split.ts OUT.json\n');
  process.exit(2);
}
const corpus = loadCorpus('dinosaurs');
const data = prepareData(corpus.text, DEFAULT_RECIPE, corpus.source);
const split = {
  source: corpus.source,
  seed: DEFAULT_RECIPE.seed,
  validation_fraction: DEFAULT_RECIPE.validationFraction,
  vocab: data.tokenizer.tokens,
  train: data.train,
  validation: data.validation,
};
writeFileSync(out, JSON.stringify(split));
process.stderr.write(`${out}: ${data.train.length} training and ${data.validation.length} validation names, vocabulary ${data.tokenizer.size}\n`);
