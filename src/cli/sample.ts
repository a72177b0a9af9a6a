/** `bptt sample`: generate text from a trained model, or its most likely completions (--beam), or explain one sample (--explain). */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import { generate, type GenerateOptions } from '../sample/generate.js';
import { beamSearch, type BeamCompletion } from '../sample/beam.js';
import { explainSample, type Explanation } from '../sample/explain.js';
import { textLines } from '../data/sequences.js';
import { loadCorpus } from './corpus.js';
import { findCorpus } from '../data/corpora.js';
import type { TrainingDataRecord } from '../io/model-file.js';
import { fingerprint } from '../train/recipe.js';
import { kernelsFor, loadModel } from './model-input.js';
import type { Backend } from '../kernels/select.js';
import { addFlags, checkedFlags } from './flags.js';

interface SampleFlags {
  model: string;
  prime: string;
  count: number;
  temperature: number;
  maxLength: number;
  length?: number;
  topK?: number;
  topP?: number;
  stop?: string;
  novel?: boolean;
  data?: string;
  seed: number;
  beam?: number;
  lengthPenalty: number;
  explain?: boolean | string;
  alternatives: number;
  json?: boolean;
  backend?: Backend;
}

export function registerSample(program: Command): void {
  addFlags(program.command('sample').description('generate samples (e.g. new names) from a trained model'), 'sample').action(
    async (values: Record<string, unknown>) => {
      const flags = checkedFlags<SampleFlags>('sample', values);
      if (flags.stop === '') throw new BpttError('--stop is empty', 'give the text that ends a sample, e.g. --stop " "');
      if (flags.beam !== undefined && flags.explain !== undefined) throw new BpttError('--beam and --explain do not go together', 'use one of them');
      const { model, tokenizer, metadata } = loadModel(flags.model, await kernelsFor(flags.backend));
      // Word models respace text: compare samples with the training lines as the model would write them.
      const asWritten = (line: string) => (tokenizer.kind === 'word' ? tokenizer.decode(tokenizer.encode(line)) : line);
      const exclude = flags.novel ? new Set(textLines(tokenizer.normalize(trainingText(flags, metadata.data))).map(asWritten)) : undefined;
      const options: GenerateOptions = {
        prime: flags.prime,
        // A passage is one unless --count asks for more.
        count: flags.length !== undefined && values.count === undefined ? 1 : flags.count,
        temperature: flags.temperature,
        maxLength: flags.maxLength,
        length: flags.length,
        // A model of running text resets its state where a document starts, as in training.
        documents: metadata.stream?.documents,
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
    },
  );
}

/**
 * The text --novel compares samples with: --data, else the training data the model file records (when
 * it is at hand and unchanged). Without either, no novelty can be claimed: refused.
 */
function trainingText(flags: SampleFlags, record: TrainingDataRecord | undefined): string {
  if (flags.data !== undefined) return loadCorpus(flags.data).text;
  if (!record)
    throw new BpttError(
      `${flags.model} does not record what it was trained on (it was written by an older bptt, or imported)`,
      'pass --data with its training text to check novelty',
    );
  const builtIn = findCorpus(record.source) !== undefined;
  if (!builtIn && !existsSync(record.source))
    throw new BpttError(
      `${flags.model} was trained on ${record.source} (${record.lines} lines), which is not at hand here`,
      'pass --data with that text to check novelty',
    );
  const text = loadCorpus(record.source).text;
  if (fingerprint(text) !== record.fingerprint)
    throw new BpttError(
      `${record.source} has changed since ${flags.model} was trained on it (its fingerprint differs)`,
      'pass --data with the text the model was trained on',
    );
  return text;
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
    lines.push(
      `${String(t + 1).padStart(4)}  ${showToken(token.text).padEnd(6)}  ${token.probability.toFixed(4).padStart(11)}   ${token.logProbability.toFixed(3).padStart(7)}   ${others}`,
    );
  });
  lines.push(`log p = ${explanation.logProbability.toFixed(3)} over ${explanation.tokens.length} tokens (${explanation.natsPerToken.toFixed(4)} nats/token)`);
  return `${lines.join('\n')}\n`;
}

/** JSON.stringify replacer: the hidden state as a plain array rounded to 5 decimals. */
function roundHidden(key: string, value: unknown): unknown {
  return key === 'hidden' && value instanceof Float32Array ? Array.from(value, (v) => Math.round(v * 1e5) / 1e5) : value;
}
