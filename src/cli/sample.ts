/** `bptt sample`: generate text from a trained model, or its most likely completions (--beam), or explain one sample (--explain). */
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { generate, type GenerateOptions } from '../sample/generate.js';
import { beamSearch, type BeamCompletion } from '../sample/beam.js';
import { explainSample, type Explanation } from '../sample/explain.js';
import { textLines } from '../data/sequences.js';
import { loadCorpus } from './corpus.js';
import { kernelsFor, loadModel, withModelOptions } from './model-input.js';
import type { Backend } from '../kernels/select.js';
import { integerOption, numberOption } from './options.js';

interface SampleFlags {
  model: string;
  prime: string;
  count: number;
  temperature: number;
  maxLength: number;
  topK?: number;
  topP?: number;
  stop?: string;
  novel?: boolean;
  data: string;
  seed: number;
  beam?: number;
  lengthPenalty: number;
  explain?: boolean | string;
  alternatives: number;
  json?: boolean;
  backend?: Backend;
}

export function registerSample(program: Command): void {
  withModelOptions(program.command('sample').description('generate samples (e.g. new names) from a trained model'))
    .option('--prime <TEXT>', 'text every sample starts with', '')
    .option('--count <N>', 'number of samples', integerOption('--count', 1, 100_000), 10)
    .option('--temperature <X>', 'below 1: safer, above 1: wilder; 0: always the most likely token', numberOption('--temperature', 0, 100), 1)
    .option('--top-k <K>', 'sample only among the K most likely tokens', integerOption('--top-k', 1, 1_000_000))
    .option('--top-p <P>', 'sample only among the most likely tokens that together have probability P', numberOption('--top-p', 0, 1, { exclusiveMin: true }))
    .option('--max-length <N>', 'most tokens (characters or words) per sample after the prime', integerOption('--max-length', 1, 1_000_000), 100)
    .option('--stop <TEXT>', 'also end a sample when its generated text ends with TEXT (cut off); the end of a line always ends it')
    .option('--novel', 'reject samples that appear in the training data (see --data)')
    .option('--data <file|name>', 'the training data, for --novel', 'dinosaurs')
    .option('--seed <N>', 'random seed', integerOption('--seed', 0, 2 ** 32 - 1), 1)
    .option('--beam <K>', 'beam search: the K most likely completions with their log-probabilities, no sampling', integerOption('--beam', 1, 10_000))
    .option('--length-penalty <A>', 'for --beam: rank by log p / tokens^A (0: total log-probability, 1: per token)', numberOption('--length-penalty', 0, 10), 0)
    .option('--explain [TEXT]', 'one sample (or TEXT) token by token: its probability, the likeliest alternatives')
    .option('--alternatives <N>', 'for --explain: alternatives listed per token', integerOption('--alternatives', 0, 1_000_000), 5)
    .option('--json', 'with --beam: one JSON object per completion; with --explain: the explanation as JSON')
    .action(async (flags: SampleFlags) => {
      if (flags.stop === '') throw new BpttError('--stop is empty', 'give the text that ends a sample, e.g. --stop " "');
      if (flags.beam !== undefined && flags.explain !== undefined) throw new BpttError('--beam and --explain do not go together', 'use one of them');
      const { model, tokenizer } = loadModel(flags.model, await kernelsFor(flags.backend));
      // Word models respace text: compare samples with the training lines as the model would write them.
      const asWritten = (line: string) => (tokenizer.kind === 'word' ? tokenizer.decode(tokenizer.encode(line)) : line);
      const exclude = flags.novel ? new Set(textLines(tokenizer.normalize(loadCorpus(flags.data).text)).map(asWritten)) : undefined;
      const options: GenerateOptions = {
        prime: flags.prime,
        count: flags.count,
        temperature: flags.temperature,
        maxLength: flags.maxLength,
        topK: flags.topK,
        topP: flags.topP,
        stop: flags.stop,
        seed: flags.seed,
        exclude,
      };
      if (flags.beam !== undefined) {
        const completions = beamSearch(model, tokenizer, { ...options, beamWidth: flags.beam, lengthPenalty: flags.lengthPenalty });
        for (const completion of completions) process.stdout.write(flags.json ? `${JSON.stringify(completion)}\n` : formatCompletion(completion));
        return;
      }
      if (flags.explain !== undefined) {
        const text = typeof flags.explain === 'string' ? flags.explain : undefined;
        const explanation = explainSample(model, tokenizer, { ...options, text, alternatives: flags.alternatives });
        process.stdout.write(flags.json ? `${JSON.stringify(explanation, roundHidden)}\n` : formatExplanation(explanation));
        return;
      }
      const result = generate(model, tokenizer, options);
      for (const sample of result.samples) process.stdout.write(`${sample}\n`);
      if (flags.novel) {
        const rate = result.attempts > 0 ? (100 * (result.attempts - result.rejected)) / result.attempts : 0;
        process.stderr.write(`${result.rejected} of ${result.attempts} samples were in the training data and rejected (novelty ${rate.toFixed(1)}%)\n`);
        if (result.samples.length < flags.count) process.stderr.write(`only ${result.samples.length} novel samples found; try a higher --temperature\n`);
      }
    });
}

/** "tyrannosaurus  log p = -12.345  (0.881 per token)", marked when cut at --max-length. */
function formatCompletion(completion: BeamCompletion): string {
  const cut = completion.finished ? '' : '\t(unfinished: cut at --max-length)';
  return `${completion.text}\tlog p = ${completion.logProbability.toFixed(3)}\t${(-completion.meanLogProbability).toFixed(4)} nats/token${cut}\n`;
}

/** A token as text a reader can see: quoted, with "\n" and other invisible characters escaped. */
function showToken(text: string): string {
  return JSON.stringify(text);
}

/** One line per token: its probability, log-probability and the likeliest alternatives. */
function formatExplanation(explanation: Explanation): string {
  const lines = [`prime ${showToken(explanation.prime)}, text ${showToken(explanation.text)}`, 'step  token   probability   log p     most likely others'];
  explanation.tokens.forEach((token, t) => {
    const others = token.alternatives.map((other) => `${showToken(other.text)} ${other.probability.toFixed(3)}`).join(', ');
    lines.push(`${String(t + 1).padStart(4)}  ${showToken(token.text).padEnd(6)}  ${token.probability.toFixed(4).padStart(11)}   ${token.logProbability.toFixed(3).padStart(7)}   ${others}`);
  });
  lines.push(`log p = ${explanation.logProbability.toFixed(3)} over ${explanation.tokens.length} tokens (${explanation.natsPerToken.toFixed(4)} nats/token)`);
  return `${lines.join('\n')}\n`;
}

/** JSON.stringify replacer: the hidden state as a plain array rounded to 5 decimals. */
function roundHidden(key: string, value: unknown): unknown {
  return key === 'hidden' && value instanceof Float32Array ? Array.from(value, (v) => Math.round(v * 1e5) / 1e5) : value;
}
