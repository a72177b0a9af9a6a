/**
 * Where training text comes from: a file, or a built-in corpus from an npm
 * data package (src/data/corpora.ts; the default, `dinosaurs`: 1,318
 * dinosaur names). This file reads the package's data file from node_modules.
 * Only the default's package is a dependency of bptt; the others are optional
 * (`npm install word-list` for `--data words`), and a missing one is named.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join } from 'node:path';
import { BpttError } from '../core/errors.js';
import { BUILT_IN_CORPORA, findCorpus, type BuiltInCorpus } from '../data/corpora.js';
import { readBytes } from './files.js';

export interface Corpus {
  /** 'dinosaurs', or the file path. */
  source: string;
  /** A short name for default output files. */
  name: string;
  /** The text, '\n' line ends. */
  text: string;
}

/** A built-in corpus's package: its folder in node_modules and its installed version. */
export function corpusPackage(corpus: BuiltInCorpus): { folder: string; version: string } {
  const require = createRequire(import.meta.url);
  // The data file is not always among a package's exports, so look for the package folder itself.
  for (const nodeModules of require.resolve.paths(corpus.packageName) ?? []) {
    const folder = join(nodeModules, corpus.packageName);
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) return { folder, version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version };
  }
  throw new BpttError(
    `the built-in corpus ${corpus.name} comes in the npm package ${corpus.packageName}, which is not installed`,
    `run npm install ${corpus.packageName} to use --data ${corpus.name}`,
  );
}

/** Whether a built-in corpus's package is installed (all but the default one are optional). */
export function corpusInstalled(corpus: BuiltInCorpus): boolean {
  try {
    corpusPackage(corpus);
    return true;
  } catch {
    return false;
  }
}

export function builtInText(corpus: BuiltInCorpus): string {
  return corpus.toText(readFileSync(join(corpusPackage(corpus).folder, corpus.file), 'utf8'));
}

export function loadCorpus(spec: string): Corpus {
  const builtIn = findCorpus(spec);
  if (builtIn) return { source: spec, name: spec, text: builtInText(builtIn) };

  if (!existsSync(spec) && !/[./\\]/.test(spec)) {
    const names = BUILT_IN_CORPORA.map((corpus) => corpus.name).join(', ');
    throw new BpttError(`--data ${spec} is neither a built-in corpus nor a file`, `use one of ${names} (see bptt data), or the path of a text file`);
  }
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
