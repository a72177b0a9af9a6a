/**
 * The training data of `bptt train`, in every mode: sequences (modes lines and
 * chunks, the whole text in memory) or streams (mode stream; a file is read in
 * chunks into a temporary token file, see token-file.ts, so a text of any size
 * trains in bounded memory).
 */
import type { Sequence } from '../data/sequences.js';
import type { TokenStreams } from '../data/stream.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { evaluationStreams, fingerprint, prepareData, prepareStreams, streamReadingOf, streamsOf, type PreparedData, type Recipe } from '../train/recipe.js';
import { findCorpus } from '../data/corpora.js';
import { SAMPLE_CHARACTERS } from '../data/auto-mode.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { builtInText, corpusName, loadCorpus } from './corpus.js';
import { readStreamCorpus } from './token-file.js';

export interface TrainingData {
  /** 'dinosaurs', or the file path. */
  source: string;
  /** A short name for default output files. */
  name: string;
  fingerprint: string;
  /** Lines of the text (0 in mode stream, which does not count them). */
  lineCount: number;
  tokenizer: Tokenizer;
  train: readonly Sequence[] | TokenStreams;
  /** Empty for none. */
  validation: readonly Sequence[] | TokenStreams;
  hasValidation: boolean;
  /** The lines of the text, for marking samples that copy one (empty in mode stream). */
  lines: string[];
  /** What the data is, for the first line of output, e.g. "1186 training and 132 validation lines". */
  summary: string;
  /** For word models, what the vocabulary holds and how much of the text is <unk> (else empty). */
  vocabularyNote: string;
  /** Releases what reading the data holds (mode stream's token file). */
  close(): void;
}

/** `tokenizer`: a model's vocabulary to keep (--init, --resume). */
export function loadTrainingData(spec: string, recipe: Recipe, given?: Tokenizer): TrainingData {
  if (recipe.mode === 'stream') {
    // Characters, or words and marks (a first pass over the file counts them for the vocabulary, token-file.ts).
    const streamed = findCorpus(spec) === undefined;
    const corpus = streamed ? readStreamCorpus(spec, recipe, given) : undefined;
    const text = streamed ? undefined : loadCorpus(spec).text;
    const data = corpus ? streamsOf(corpus.tokens, corpus.tokenizer, recipe) : prepareStreams(text!, recipe, spec, given);
    const validation = data.validation;
    const units = data.tokenizer.kind === 'word' ? 'tokens' : 'characters';
    const unknown = corpus
      ? corpus.unknown
      : text !== undefined && data.tokenizer.kind === 'word'
        ? countUnknown(data.tokenizer.encode(text), data.tokenizer)
        : 0;
    const summary =
      `${data.train.tokens.toLocaleString('en-US')} training${validation ? ` and ${validation.tokens.toLocaleString('en-US')} validation` : ''} ${units} ` +
      `in ${data.train.streams} streams${validation ? ` (validation ${validation.streams})` : ''}, windows of ${recipe.seqLength}, documents end at ${recipe.documents ?? 'blank-line'}`;
    return {
      source: spec,
      name: streamed ? corpusName(spec) : spec,
      fingerprint: corpus?.fingerprint ?? fingerprint(text!),
      lineCount: 0,
      tokenizer: data.tokenizer,
      train: data.train,
      validation: validation ?? [],
      hasValidation: validation !== undefined,
      lines: [],
      summary,
      vocabularyNote: unknownNote(data.tokenizer, unknown, corpus?.tokens.length ?? data.train.source.length),
      close: () => corpus?.close(),
    };
  }
  const corpus = loadCorpus(spec);
  const data = prepareData(corpus.text, recipe, corpus.source, given);
  const unit = recipe.mode === 'lines' ? 'lines' : 'chunks';
  return {
    source: corpus.source,
    name: corpus.name,
    fingerprint: fingerprint(corpus.text),
    lineCount: data.lines.length,
    tokenizer: data.tokenizer,
    train: data.train,
    validation: data.validation,
    hasValidation: data.validation.length > 0,
    lines: data.lines,
    summary: `${data.train.length} training and ${data.validation.length} validation ${unit}`,
    vocabularyNote: vocabularyNote(data),
    close: () => {},
  };
}

/** For word models: what the vocabulary holds and how much of the text is <unk>. */
function vocabularyNote(data: PreparedData): string {
  const { tokenizer } = data;
  if (tokenizer.unknownId === undefined) return '';
  let unknown = 0;
  let total = 0;
  for (const sequence of [...data.train, ...data.validation]) {
    total += sequence.target.length;
    unknown += countUnknown(sequence.target, tokenizer);
  }
  return unknownNote(tokenizer, unknown, total);
}

/** How many of `ids` are the tokenizer's unknown token. */
function countUnknown(ids: ArrayLike<number>, tokenizer: Tokenizer): number {
  let unknown = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] === tokenizer.unknownId) unknown++;
  return unknown;
}

/** " tokens (words and marks; 7.5% of the text's tokens are <unk>)" for word models, else empty. */
function unknownNote(tokenizer: Tokenizer, unknown: number, total: number): string {
  if (tokenizer.unknownId === undefined) return '';
  return ` tokens (words and marks; ${((100 * unknown) / Math.max(total, 1)).toFixed(1)}% of the text's tokens are ${tokenizer.tokens[tokenizer.unknownId]})`;
}

/**
 * The beginning of a text (SAMPLE_CHARACTERS characters at most), for mode auto to look at without
 * reading a large file whole; undefined when it cannot be read (loading the data then says why).
 */
export function textBeginning(spec: string): string | undefined {
  const builtIn = findCorpus(spec);
  if (builtIn) return builtInText(builtIn).slice(0, SAMPLE_CHARACTERS);
  try {
    const fd = openSync(spec, 'r');
    try {
      const bytes = new Uint8Array(4 * SAMPLE_CHARACTERS); // UTF-8: at most 4 bytes per character
      const read = readSync(fd, bytes, 0, bytes.length, 0);
      // A character cut at the end decodes as U+FFFD: harmless to the statistics.
      return new TextDecoder().decode(bytes.subarray(0, read)).replace(/\r\n?/g, '\n').slice(0, SAMPLE_CHARACTERS);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * --val-data: a held-out text of its own, read as the training text is (its vocabulary): the
 * streams of mode stream laid out as bptt eval lays them out, or the lines (chunks) of the other modes.
 */
export function loadValidationData(
  spec: string,
  recipe: Recipe,
  tokenizer: Tokenizer,
): { validation: readonly Sequence[] | TokenStreams; summary: string; close(): void } {
  const reading = streamReadingOf(recipe);
  if (reading) {
    const corpus = readStreamCorpus(spec, recipe, tokenizer);
    const validation = evaluationStreams(corpus.tokens, tokenizer, reading);
    return {
      validation,
      summary: `${validation.tokens.toLocaleString('en-US')} validation ${tokenizer.kind === 'word' ? 'tokens' : 'characters'} from ${spec} in ${validation.streams} streams`,
      close: () => corpus.close(),
    };
  }
  const corpus = loadCorpus(spec);
  const validation = prepareData(corpus.text, { ...recipe, validationFraction: 0 }, corpus.source, tokenizer).train;
  return { validation, summary: `${validation.length} validation ${recipe.mode === 'lines' ? 'lines' : 'chunks'} from ${corpus.source}`, close: () => {} };
}
