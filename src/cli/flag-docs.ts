/**
 * docs/cli.md, generated from the flag table (flags.ts): one section per command, one row per flag with
 * its value, what it does, its default and (train) whether a resume may change it. `npm run docs:cli`
 * writes the page; test/cli/docs-cli.test.ts fails when the page on disk differs from this.
 */
import { COMMANDS, defaultTextOf, flagsOf, type CommandName } from './flags.js';

const INTRO: Record<CommandName, string> = {
  train:
    'Train a model; the defaults are `DEFAULT_RECIPE` (src/train/recipe.ts). A flag that would have no effect with the others (e.g. `--activation` with `--cell lstm`) is refused with one line saying why. With `--resume`, only the flags marked "yes" may be given: the rest is the checkpoint\'s recipe; the run keeps writing its own model file, checkpoint and log unless `--out`, `--checkpoint` or `--log` say otherwise.',
  sample: 'Generate samples from a model file, its most likely completions (`--beam`), or one sample explained (`--explain`).',
  eval: 'The mean loss of a model on a text. Characters the model does not know are skipped and counted (`unknown` in `--json`); `--strict` refuses them.',
  score: 'The log-probability of each string (arguments, and the lines of `--file`; `-` reads standard input).',
  gradcheck: 'Every gradient of a small random model against central finite differences (float64).',
  bench: 'Training throughput per kernel backend, with ratios to the pure-TypeScript reference.',
  info: "A model file's architecture, tensors and metadata.",
  import: 'A PyTorch state dict (safetensors) → a bptt model file.',
  data: 'The built-in corpora.',
  'export onnx': 'The model as an ONNX graph for ONNX Runtime (inputs `input_ids`, `h0` [, `c0`]; outputs `logits`, `hn` [, `cn`]); see [onnx.md](onnx.md).',
  'export pytorch':
    'A PyTorch project (`model.py`, `train.py` for torchrun, the weights) that continues training the model and writes a bptt model file; see [scale-out.md](scale-out.md).',
};

/** Text for a table cell: a '|' would end the cell, a '<' start an HTML tag. */
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('\n', ' ');
const code = (text: string) => `\`${text.replaceAll('|', '\\|')}\``;

export function cliReference(): string {
  const lines = [
    '# Command-line reference',
    '',
    '<!-- Generated from the flag table (src/cli/flags.ts, its rows in flags-train.ts, flags-optimization.ts and flags-commands.ts) by `npm run docs:cli`; edit the table there, not this page. -->',
    '',
    'Every flag of every `bptt` command, from the one table the CLI is built from (`src/cli/flags.ts`, its rows in `flags-train.ts`, `flags-optimization.ts` and `flags-commands.ts`).',
    'Ranges are checked when the flag is read: a wrong value exits 2 with one line naming the flag.',
    '',
  ];
  for (const command of COMMANDS) {
    const flags = flagsOf(command);
    lines.push(`## \`bptt ${command}\``, '', INTRO[command], '');
    const resume = command === 'train';
    lines.push(resume ? '| flag | meaning | default | with `--resume` |' : '| flag | meaning | default |', resume ? '|---|---|---|---|' : '|---|---|---|');
    for (const flag of flags) {
      const name = `${code(`${flag.name}${flag.value ? ` ${flag.value}` : ''}`)}${flag.negatable ? ` / ${code(`--no-${flag.name.slice(2)}`)}` : ''}`;
      const shown = defaultTextOf(flag);
      const fallback = flag.required ? 'required' : '';
      const row = [name, cell(flag.help), shown === undefined ? fallback : code(shown)];
      if (resume) row.push(flag.resumable ? 'yes' : 'no');
      lines.push(`| ${row.join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
