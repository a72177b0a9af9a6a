/**
 * The built-in corpora: lists of names or words shipped by npm data packages,
 * selectable by name (`--data pokemon`). Each entry says which file of which
 * package holds the data, and how that file's contents become a training text
 * (one item per line, each line once, '\n' after the last). Reading the file
 * is left to the caller (Node's fs in the CLI, a bundler's import in a
 * browser), so this module stays a pure function of the package data.
 */

export interface BuiltInCorpus {
  /** The name given to --data. */
  name: string;
  description: string;
  /** The npm package that ships the data. */
  packageName: string;
  /** The data file inside the package. */
  file: string;
  /** The file's contents → the training text. */
  toText(contents: string): string;
}

/** Items as a training text: empty ones dropped, repeats kept once (first place), one per line. */
function uniqueLines(items: readonly string[]): string {
  return [...new Set(items.filter(Boolean))].join('\n') + '\n';
}

/** A JSON array of strings, as in the pokemon and superheroes packages. */
function jsonList(contents: string): string[] {
  const items: unknown = JSON.parse(contents);
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) throw new Error('expected a JSON array of strings');
  return items as string[];
}

/** The corpora `--data NAME` knows: each one's npm package, data file and how its contents become a training text. */
export const BUILT_IN_CORPORA: readonly BuiltInCorpus[] = [
  {
    name: 'dinosaurs',
    description: "dinosaur names (the seed's data set)",
    packageName: 'dinosaurs',
    file: 'dinosaurs.csv',
    // The package's list holds 1,325 lines, 7 of them repeats: each name is kept once.
    toText: (csv) => uniqueLines(csv.split('\n')),
  },
  { name: 'pokemon', description: 'Pokémon names (English)', packageName: 'pokemon', file: 'data/en.json', toText: (json) => uniqueLines(jsonList(json)) },
  { name: 'superheroes', description: 'superhero names', packageName: 'superheroes', file: 'superheroes.json', toText: (json) => uniqueLines(jsonList(json)) },
  { name: 'words', description: 'English words, lower case', packageName: 'word-list', file: 'words.txt', toText: (txt) => uniqueLines(txt.split('\n')) },
];

/** The corpus `bptt train` trains on without --data. */
export const DEFAULT_CORPUS = 'dinosaurs';

/** The built-in corpus called `name`, or undefined. */
export function findCorpus(name: string): BuiltInCorpus | undefined {
  return BUILT_IN_CORPORA.find((corpus) => corpus.name === name);
}

/** Size and alphabet of a text, as `bptt data` lists them. */
export interface TextStatistics {
  /** Non-empty lines. */
  lines: number;
  /** Characters (Unicode code points), line ends not counted. */
  characters: number;
  /** Distinct characters, line ends not counted: a character model's vocabulary is one more. */
  distinctCharacters: number;
}

/** Non-empty lines, characters and distinct characters of a text (line ends not counted). */
export function textStatistics(text: string): TextStatistics {
  const distinct = new Set<string>();
  let characters = 0;
  let lines = 0;
  let lineLength = 0;
  for (const char of text) {
    if (char === '\n' || char === '\r') {
      if (lineLength > 0) lines++;
      lineLength = 0;
      continue;
    }
    characters++;
    lineLength++;
    distinct.add(char);
  }
  if (lineLength > 0) lines++;
  return { lines, characters, distinctCharacters: distinct.size };
}
