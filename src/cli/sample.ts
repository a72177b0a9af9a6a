/** `bptt sample`: generate text from a trained model. */
import type { Command } from 'commander';
import { generate } from '../sample/generate.js';
import { textLines } from '../data/sequences.js';
import { loadCorpus } from './corpus.js';
import { kernelsFor, loadModel, withModelOptions } from './model-input.js';
import type { Backend } from '../kernels/select.js';
import { integerOption, numberOption } from './options.js';

interface SampleFlags {
  model: string;
  prime: string;
  count: number;
  temperature: number;
  maxLength: number;
  topK?: number;
  topP?: number;
  novel?: boolean;
  data: string;
  seed: number;
  backend?: Backend;
}

export function registerSample(program: Command): void {
  withModelOptions(program.command('sample').description('generate samples (e.g. new names) from a trained model'))
    .option('--prime <TEXT>', 'text every sample starts with', '')
    .option('--count <N>', 'number of samples', integerOption('--count', 1, 100_000), 10)
    .option('--temperature <X>', 'below 1: safer, above 1: wilder; 0: always the most likely token', numberOption('--temperature', 0, 100), 1)
    .option('--top-k <K>', 'sample only among the K most likely tokens', integerOption('--top-k', 1, 1_000_000))
    .option('--top-p <P>', 'sample only among the most likely tokens that together have probability P', numberOption('--top-p', 0, 1, { exclusiveMin: true }))
    .option('--max-length <N>', 'most tokens (characters or words) per sample after the prime', integerOption('--max-length', 1, 1_000_000), 100)
    .option('--novel', 'reject samples that appear in the training data (see --data)')
    .option('--data <file|name>', 'the training data, for --novel', 'dinosaurs')
    .option('--seed <N>', 'random seed', integerOption('--seed', 0, 2 ** 32 - 1), 1)
    .action(async (flags: SampleFlags) => {
      const { model, tokenizer } = loadModel(flags.model, await kernelsFor(flags.backend));
      // Word models respace text: compare samples with the training lines as the model would write them.
      const asWritten = (line: string) => (tokenizer.kind === 'word' ? tokenizer.decode(tokenizer.encode(line)) : line);
      const exclude = flags.novel ? new Set(textLines(tokenizer.normalize(loadCorpus(flags.data).text)).map(asWritten)) : undefined;
      const result = generate(model, tokenizer, {
        prime: flags.prime,
        count: flags.count,
        temperature: flags.temperature,
        maxLength: flags.maxLength,
        topK: flags.topK,
        topP: flags.topP,
        seed: flags.seed,
        exclude,
      });
      for (const sample of result.samples) process.stdout.write(`${sample}\n`);
      if (flags.novel) {
        const rate = result.attempts > 0 ? (100 * (result.attempts - result.rejected)) / result.attempts : 0;
        process.stderr.write(`${result.rejected} of ${result.attempts} samples were in the training data and rejected (novelty ${rate.toFixed(1)}%)\n`);
        if (result.samples.length < flags.count) process.stderr.write(`only ${result.samples.length} novel samples found; try a higher --temperature\n`);
      }
    });
}
