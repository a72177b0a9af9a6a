/**
 * Where training text comes from: a file, or a built-in corpus from an npm
 * data package (the default, `dinosaurs`: 1,318 dinosaur names).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname } from 'node:path';
import { BpttError } from '../core/errors.js';
import { readBytes } from './files.js';

export interface Corpus {
  /** 'dinosaurs', or the file path. */
  source: string;
  /** A short name for default output files. */
  name: string;
  /** The text, '\n' line ends. */
  text: string;
}

const BUILT_IN: Record<string, () => string> = {
  dinosaurs: () => {
    const require = createRequire(import.meta.url);
    const csv = readFileSync(require.resolve('dinosaurs/dinosaurs.csv'), 'utf8');
    // The package's list holds 1,325 lines, 7 of them repeats: keep each name once.
    return [...new Set(csv.split('\n').filter(Boolean))].join('\n') + '\n';
  },
};

export const BUILT_IN_CORPORA = Object.keys(BUILT_IN);

export function loadCorpus(spec: string): Corpus {
  const builtIn = BUILT_IN[spec];
  if (builtIn) return { source: spec, name: spec, text: builtIn() };

  const bytes = readBytes(spec, 'data file');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new BpttError(`data file ${spec} is not valid UTF-8 text (${invalidUtf8Position(bytes)})`, 'save it as UTF-8, or give another file');
  }
  text = text.replace(/\r\n?/g, '\n');
  if (text.trim() === '') throw new BpttError(`data file ${spec} is empty`, 'give a file with some text, e.g. one name per line');
  return { source: spec, name: corpusName(spec), text };
}

/** A data file's short name for default output files: names.txt → names. */
export function corpusName(path: string): string {
  return basename(path, extname(path)) || 'model';
}

/** "line L, byte B" of the first byte that is not valid UTF-8. */
function invalidUtf8Position(bytes: Uint8Array): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(lineStart, i));
      } catch {
        return `line ${line}`;
      }
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}`;
}
