/**
 * The built-in corpora: the CLI's default (npm package `dinosaurs`) and the
 * seed's own dinos.txt. Bundled as text, one name per line.
 */
import dinosaursCsv from 'dinosaurs/dinosaurs.csv?raw';
import seedDinos from '../../test/fixtures/dinos.txt?raw';

export interface Corpus {
  name: string;
  label: string;
  text: string;
}

/** Each line once, '\n' line ends (as src/cli/corpus.ts reads the package). */
const uniqueLines = (text: string) => [...new Set(text.split(/\r?\n/).filter(Boolean))].join('\n') + '\n';

export const CORPORA: Corpus[] = [
  { name: 'dinosaurs', label: 'Dinosaurs (npm dinosaurs, the CLI default)', text: uniqueLines(dinosaursCsv) },
  { name: 'dinos.txt', label: "Dinosaurs (the seed's dinos.txt)", text: uniqueLines(seedDinos) },
];
