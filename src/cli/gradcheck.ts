/** `bptt gradcheck`: verify the hand-derived gradients against finite differences. */
import type { Command } from 'commander';
import { batchFromRows } from '../core/batch.js';
import { Random } from '../core/random.js';
import { RnnModel } from '../model/rnn-model.js';
import type { Activation } from '../nn/activation.js';
import type { Cell } from '../model/config.js';
import { gradcheck, gradcheckPasses, GRADCHECK_ABSOLUTE_TOLERANCE, GRADCHECK_RELATIVE_TOLERANCE, GRADCHECK_SMALL_GRADIENT } from '../testing/gradcheck.js';
import { addFlags, checkedFlags } from './flags.js';

interface GradcheckFlags {
  cell: Cell;
  layers: number;
  activation: Activation;
  embed: number;
  hidden: number;
  seed: number;
  json?: boolean;
}

export function registerGradcheck(program: Command): void {
  addFlags(
    program.command('gradcheck').description('compare every gradient of a small random model with central finite differences (float64); exit 1 if any is off'),
    'gradcheck',
  ).action((values: Record<string, unknown>) => {
    const flags = checkedFlags<GradcheckFlags>('gradcheck', values);
    const vocabSize = 7;
    const steps = 6;
    const model = RnnModel.initialized(
      {
        cell: flags.cell,
        activation: flags.activation,
        vocabSize,
        hidden: flags.hidden,
        embed: flags.embed,
        layers: flags.layers,
        dtype: 'float64',
        init: 'scaled',
      },
      flags.seed,
    );
    // A batch of 4 rows of different lengths: the shorter ones are padded and masked, the last one entirely.
    const random = new Random(flags.seed, 7);
    const lengths = [steps, 4, 1, 0];
    const row = (length: number) => Array.from({ length }, () => random.integer(vocabSize));
    const inputs = lengths.map(row);
    const targets = lengths.map(row);
    const batch = batchFromRows(inputs, targets, steps);
    const h0 = Float64Array.from({ length: lengths.length * model.stateSize }, () => 0.5 * random.normal()); // h0 (and c0)
    // relu has a kink at 0: a smaller ε keeps the difference stencil from straddling it.
    const results = gradcheck(model, batch, { scale: 1 / lengths.length, h0, epsilon: flags.activation === 'relu' ? 1e-4 : undefined });
    const passed = gradcheckPasses(results);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify({ passed, relative_tolerance: GRADCHECK_RELATIVE_TOLERANCE, absolute_tolerance: GRADCHECK_ABSOLUTE_TOLERANCE, parameters: results })}\n`,
      );
    } else {
      process.stdout.write(
        `gradient check: ${flags.cell === 'rnn' ? `${flags.activation} RNN` : flags.cell.toUpperCase()}, ${flags.embed > 0 ? `embedding ${flags.embed}` : 'one-hot'}, hidden ${flags.hidden}, float64, 5-point central differences\n`,
      );
      process.stdout.write(`${'tensor'.padEnd(10)} ${'entries'.padStart(7)}  max relative error  max abs error (|grad| < ${GRADCHECK_SMALL_GRADIENT})\n`);
      for (const r of results) {
        process.stdout.write(
          `${r.name.padEnd(10)} ${String(r.entries).padStart(7)}  ${r.maxRelativeError.toExponential(2).padStart(18)}  ${r.maxAbsoluteError.toExponential(2).padStart(12)}\n`,
        );
      }
      process.stdout.write(
        passed
          ? `PASS: every relative error < ${GRADCHECK_RELATIVE_TOLERANCE.toExponential(0)}\n`
          : `FAIL: some error exceeds the tolerance (relative ${GRADCHECK_RELATIVE_TOLERANCE}, absolute ${GRADCHECK_ABSOLUTE_TOLERANCE})\n`,
      );
    }
    process.exitCode = passed ? 0 : 1;
  });
}
