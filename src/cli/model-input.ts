/** Loading a model file given on the command line. */
import { decodeModelFile, type SavedModel } from '../io/model-file.js';
import type { Kernels } from '../kernels/kernels.js';
import { BACKENDS, loadKernels, type Backend } from '../kernels/select.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { readBytes } from './files.js';
import { choiceOption } from './options.js';

export function loadModel(path: string, kernels?: Kernels): SavedModel {
  return decodeModelFile(readBytes(path, 'model file'), path, kernels);
}

export function kernelsFor(flag: Backend | undefined): Promise<Kernels> {
  const fromEnvironment = process.env.BPTT_BACKEND;
  const backend = flag ?? (fromEnvironment ? choiceOption('BPTT_BACKEND', BACKENDS)(fromEnvironment) : 'auto');
  return loadKernels(backend);
}

/**
 * `text` (normalized as the model reads it) without the characters the model does not know, and how
 * many were dropped and which came first; with `strict`, the text whole (its encoding refuses an unknown character).
 * (A word model knows every text: unknown words are its <unk> token.)
 */
export function knownText(tokenizer: Tokenizer, text: string, strict: boolean): { text: string; unknown: number; first?: string } {
  const normalized = tokenizer.normalize(text);
  const first = tokenizer.unknownCharacter(normalized);
  // --strict: the text as it is; encoding it refuses the unknown character, naming its line.
  if (first === undefined || strict) return { text: normalized, unknown: 0 };
  let kept = '';
  let unknown = 0;
  for (const char of normalized) {
    if (tokenizer.unknownCharacter(char) === undefined) kept += char;
    else unknown++;
  }
  return { text: kept, unknown, first };
}

/** The line on stderr about skipped characters (empty when none were). */
export function unknownNote(unknown: number, first: string | undefined, unit: string): string {
  return unknown === 0
    ? ''
    : `skipped ${unknown} character${unknown === 1 ? '' : 's'} the model does not know (the first: ${JSON.stringify(first)}); the loss is over the other ${unit}s (--strict refuses such a text)\n`;
}
