/**
 * The built-in corpora the page offers: the library's registry
 * (src/data/corpora.ts, the same texts as `bptt train --data NAME`), each
 * bundled from its npm package, and the seed's own dinos.txt. (The 274,137
 * English words of `--data words` are left to the CLI: 2.5 MB is too much
 * for a page to load up front.)
 */
import dinosaursCsv from 'dinosaurs/dinosaurs.csv?raw';
import pokemonJson from 'pokemon/data/en.json?raw';
import superheroes from 'superheroes';
import seedDinos from '../../test/fixtures/dinos.txt?raw';
import { findCorpus } from '../../src/index.js';

export interface Corpus {
  name: string;
  label: string;
  text: string;
}

/** A corpus of the library's registry, from the contents of its package's data file. */
function builtIn(name: string, label: string, contents: string): Corpus {
  return { name, label, text: findCorpus(name)!.toText(contents) };
}

export const CORPORA: Corpus[] = [
  builtIn('dinosaurs', 'Dinosaurs (npm dinosaurs, the CLI default)', dinosaursCsv),
  { name: 'dinos.txt', label: "Dinosaurs (the seed's dinos.txt)", text: [...new Set(seedDinos.split(/\r?\n/).filter(Boolean))].join('\n') + '\n' },
  builtIn('pokemon', 'Pokémon names (npm pokemon)', pokemonJson),
  // The superheroes package exports its list (its JSON file is not exported): the same items as the file.
  builtIn('superheroes', 'Superhero names (npm superheroes)', JSON.stringify(superheroes)),
];
