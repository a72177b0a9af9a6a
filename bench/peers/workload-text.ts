/**
 * Prints the text bptt bench's text workload reads (the built-in dinosaur names, as one running
 * text), so run.sh can give the PyTorch peer (torch_stream.py) the same characters.
 *
 *   npx tsx bench/peers/workload-text.ts > text.txt
 */
import { loadCorpus } from '../../src/cli/corpus.js';

process.stdout.write(loadCorpus('dinosaurs').text);
