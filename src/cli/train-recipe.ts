/**
 * The recipe `bptt train` trains with, from its flags: a resume's checkpoint recipe, a preset, mode
 * auto's choice from the text's beginning, or the defaults, each with the given flags applied; an
 * --init file's architecture; then every flag that would do nothing is refused (flags.ts's rules).
 */
import { BpttError } from '../core/errors.js';
import { decodeModelFile, type SavedModel } from '../io/model-file.js';
import type { Kernels } from '../kernels/kernels.js';
import { decodeCheckpoint, type LoadedCheckpoint } from '../train/checkpoint.js';
import type { TokenizerKind } from '../text/tokenizer.js';
import { autoRecipe, DEFAULT_RECIPE, PRESETS, TEXT_RECIPE, type Recipe } from '../train/recipe.js';
import { readBytes } from './files.js';
import { recipeFromFlags, refuseIneffective, refuseOnResume } from './flags.js';
import { textBeginning } from './train-data.js';
import { optimizationText } from './train-text.js';

/** The recipe of a run and where it came from. */
export interface RunRecipe {
  recipe: Recipe;
  /** --resume: the checkpoint read. */
  checkpoint: LoadedCheckpoint | undefined;
  /** --init: the model file read. */
  initial: SavedModel | undefined;
  /** Mode auto's decision and why: the first line the run prints (once nothing can be refused any more). */
  modeLine: string | undefined;
}

/** `values`: the flags as given; `flags`: with the table's defaults filled in. */
export function runRecipe(
  values: Record<string, unknown>,
  given: Set<string>,
  flags: { resume?: string; init?: string; preset?: string; data?: string },
  kernels: Kernels,
): RunRecipe {
  let checkpoint: LoadedCheckpoint | undefined;
  let recipe: Recipe;
  let modeLine: string | undefined;
  if (flags.resume) {
    refuseOnResume(given, values);
    checkpoint = decodeCheckpoint(readBytes(flags.resume, 'checkpoint'), flags.resume, kernels);
    recipe = recipeFromFlags(values, given, checkpoint.training.recipe);
  } else if (!flags.preset && (values.mode === undefined || values.mode === 'auto')) {
    // Mode auto: the base recipe comes from the data's shape; every flag given still wins over it.
    const decision = autoMode(flags.data ?? 'dinosaurs', values.tokens === 'word' ? 'word' : 'char');
    modeLine = decision.line;
    const { mode, ...rest } = values;
    void mode;
    given.delete('mode');
    recipe = recipeFromFlags(rest, given, decision.base);
  } else {
    recipe = recipeFromFlags(values, given, flags.preset ? PRESETS[flags.preset] : DEFAULT_RECIPE);
  }
  const initial = flags.init ? decodeModelFile(readBytes(flags.init, 'model file'), flags.init) : undefined;
  if (initial) takeArchitecture(recipe, initial, flags.init!, values);
  refuseIneffective('train', { values: flags as Record<string, unknown>, given, recipe });
  if (recipe.schedule === 'cosine' && recipe.minLearningRate !== undefined && recipe.minLearningRate >= recipe.learningRate) {
    throw new BpttError(`--min-lr ${recipe.minLearningRate} is not below the learning rate ${recipe.learningRate}`, 'give a smaller --min-lr or a larger --lr');
  }
  return { recipe, checkpoint, initial, modeLine };
}

/**
 * Mode auto's decision (data/auto-mode.ts) from the beginning of the text: the recipe a run starts
 * from, and the line saying so. Running text trains in mode stream with TEXT_RECIPE; a list of short
 * lines with bptt's defaults (with --tokens word too: the windows then hold words and marks).
 */
function autoMode(spec: string, tokens: TokenizerKind): { base: Recipe; line?: string } {
  const beginning = textBeginning(spec);
  if (beginning === undefined) return { base: DEFAULT_RECIPE }; // loading the data says what is wrong with it
  const choice = autoRecipe(beginning, tokens);
  if (choice.tooShortFor !== undefined) {
    const unit = tokens === 'word' ? 'words and marks' : 'characters';
    return {
      base: DEFAULT_RECIPE,
      line: `Mode auto: lines, with the default recipe (${choice.reason}, but only ${choice.tokenCount} ${unit}, fewer than ${choice.tooShortFor} for the text recipe's streams); --mode stream to stream it anyway`,
    };
  }
  if (choice.mode === 'lines')
    return { base: DEFAULT_RECIPE, line: `Mode auto: lines, with the default recipe (${choice.reason}); --mode stream to read it as running text` };
  const r = TEXT_RECIPE;
  return {
    base: TEXT_RECIPE,
    line: `Mode auto: stream, with the text recipe (${choice.reason}): ${r.cell.toUpperCase()} ${r.layers > 1 ? `${r.layers}×` : ''}${r.hidden}, batch ${r.batchSize}, windows of ${r.seqLength}, ${optimizationText(r)}, dropout ${r.dropout ?? 0}; any flag given overrides it, --mode lines reads it line by line`,
  };
}

/** --init: the architecture is the file's; a flag that contradicts it is refused. */
function takeArchitecture(recipe: Recipe, initial: SavedModel, path: string, values: Record<string, unknown>): void {
  const c = initial.model.config;
  for (const [flag, key, inFile] of [
    ['--cell', 'cell', c.cell],
    ['--layers', 'layers', c.layers],
    ['--hidden', 'hidden', c.hidden],
    ['--embed', 'embed', c.embed],
    ['--activation', 'activation', c.activation],
    ['--tokens', 'tokens', initial.tokenizer.kind],
  ] as const) {
    const given = values[key];
    if (given !== undefined && given !== inFile)
      throw new BpttError(`${flag} ${String(given)} differs from ${path}, which has ${inFile}`, `drop ${flag}: the architecture comes from the --init file`);
  }
  Object.assign(recipe, {
    tokens: initial.tokenizer.kind,
    cell: c.cell,
    layers: c.layers,
    hidden: c.hidden,
    embed: c.embed,
    activation: c.activation,
    dtype: (values.dtype as Recipe['dtype'] | undefined) ?? c.dtype,
  });
}
