/**
 * The bytes of a model file given as bytes, a URL, or (in Node) a path. The
 * library's one contact with Node: a path is read with node:fs, imported only
 * when a path is given and hidden from bundlers, so a web page never loads it.
 */
import { BpttError } from '../core/errors.js';

/** A model file: its bytes, a URL (fetched), or a path (Node only; in a browser a string is a URL relative to the page). */
export type ModelSource = Uint8Array | ArrayBuffer | URL | string;

const runsInNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/** A string as an absolute URL, or undefined when it is none (a path, or a relative URL). */
function absoluteUrl(text: string): URL | undefined {
  // A Windows path ("C:\models\x") parses as a URL with protocol "c:": a URL's scheme is longer than one letter.
  if (!/^[a-z][a-z0-9+.-]+:/i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** The bytes of `source` and a name for it in messages. */
export async function readModelSource(source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: 'the model file' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: 'the model file' };
  const url = typeof source === 'string' ? absoluteUrl(source) : source;
  if (url?.protocol === 'file:' || (url === undefined && runsInNode())) return { bytes: await readFileInNode(url ?? (source as string)), name: String(source) };
  return { bytes: await fetchBytes(url ?? (source as string)), name: String(source) };
}

async function fetchBytes(url: URL | string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new BpttError(
      `cannot fetch the model file ${String(url)}: ${error instanceof Error ? error.message : String(error)}`,
      'check the URL and that the server is reachable',
    );
  }
  if (!response.ok) throw new BpttError(`cannot fetch the model file ${String(url)}: HTTP ${response.status}`, 'check the URL');
  return new Uint8Array(await response.arrayBuffer());
}

async function readFileInNode(path: URL | string): Promise<Uint8Array> {
  if (!runsInNode())
    throw new BpttError(`cannot read ${String(path)}: files are read in Node only`, 'fetch the file and pass its bytes, or pass an http(s) URL');
  // A specifier computed at run time (and the bundlers' ignore comments): bundlers leave it alone, so a
  // browser bundle neither includes nor tries to resolve node:fs.
  const specifier = ['node', 'fs/promises'].join(':');
  const fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ specifier)) as { readFile(path: URL | string): Promise<Uint8Array> };
  try {
    return new Uint8Array(await fs.readFile(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new BpttError(
      `cannot read the model file ${String(path)}${code === 'ENOENT' ? ': it does not exist' : `: ${code ?? String(error)}`}`,
      'check the path',
    );
  }
}
