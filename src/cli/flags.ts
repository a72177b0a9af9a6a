/**
 * Every flag of every `bptt` command, declared once, in one table (FLAGS, assembled here from
 * flags-train.ts, flags-optimization.ts and flags-commands.ts; an entry's fields: flag.ts). Each entry
 * says what the flag takes (its parser and range), its help line, its default (read from the code's
 * own source of truth, e.g. DEFAULT_RECIPE, never copied), which recipe field it sets, which commands
 * have it, when it has no effect (then it is refused with one line saying why), and whether
 * `train --resume` may change it. From this one table come the commander options (`addFlags`), the
 * recipe a run trains with (`recipeFromFlags`), the refusal of flags that do nothing
 * (`refuseIneffective`) and of flags a resume cannot change, and docs/cli.md (`npm run docs:cli`;
 * test/cli/docs-cli.test.ts fails when the page differs from the table).
 *
 * Adding a flag is one entry in a table module (plus its row in test/cli/flags.test.ts, the independent
 * check of every range) and the code that reads it: nothing else lists flags. A flag several commands
 * share with one meaning lists them all in `commands`; the same name with another meaning is another
 * entry. A new command: its name in COMMANDS (flag.ts), its flags, its intro in flag-docs.ts, and a
 * command built with addFlags(command, name) whose action reads checkedFlags(name, values). Then
 * `npm run docs:cli`.
 */
import type { Command } from 'commander';
import { BpttError } from '../core/errors.js';
import type { Recipe } from '../train/recipe.js';
import { recipeOf, type RecipeOptions } from '../train/recipe-options.js';
import type { CommandName, Flag, FlagContext } from './flag.js';
import { COMMAND_FLAGS } from './flags-commands.js';
import { OPTIMIZATION_FLAGS } from './flags-optimization.js';
import { TRAIN_BUDGET_AND_FILE_FLAGS, TRAIN_DATA_AND_MODEL_FLAGS } from './flags-train.js';

export { COMMANDS, type CommandName, type Flag, type FlagContext } from './flag.js';

/** The table. Order: as `--help` lists them and docs/cli.md shows them. */
export const FLAGS: readonly Flag[] = [...TRAIN_DATA_AND_MODEL_FLAGS, ...OPTIMIZATION_FLAGS, ...TRAIN_BUDGET_AND_FILE_FLAGS, ...COMMAND_FLAGS];

/** '--hidden' → 'hidden', '--seq-length' → 'seqLength' (commander's attribute name). */
export function flagKey(name: string): string {
  return name.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function flagsOf(command: CommandName): Flag[] {
  return FLAGS.filter((flag) => flag.commands.includes(command));
}

/** The default as a reader sees it, or undefined for none worth saying. */
export function defaultTextOf(flag: Flag): string | undefined {
  if (flag.defaultText) return flag.defaultText();
  if (flag.default === undefined) return undefined;
  return flag.default === '' ? '""' : String(flag.default);
}

/** Adds the command's flags from the table to a commander command (no commander defaults: `withDefaults` fills them, so a typed flag is told from a default). */
export function addFlags(command: Command, name: CommandName): Command {
  for (const flag of flagsOf(name)) {
    const spec = `${flag.name}${flag.value ? ` ${flag.value}` : ''}`;
    const shown = defaultTextOf(flag);
    const help = `${flag.help}${shown !== undefined ? ` (default: ${shown})` : ''}`;
    if (flag.required) command.requiredOption(spec, help);
    else if (flag.parse) command.option(spec, help, flag.parse);
    else command.option(spec, help);
    if (flag.negatable) command.option(`--no-${flag.name.slice(2)}`, `the opposite of ${flag.name}`);
  }
  return command;
}

/** The flags a user typed (commander gives only those, as no option has a commander default). */
export function givenFlags(values: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(values).filter((key) => values[key] !== undefined));
}

/** The values with the table's defaults filled in for the flags not given. */
export function withDefaults<T>(name: CommandName, values: Record<string, unknown>): T {
  const filled: Record<string, unknown> = { ...values };
  for (const flag of flagsOf(name)) if (filled[flagKey(flag.name)] === undefined && flag.default !== undefined) filled[flagKey(flag.name)] = flag.default;
  return filled as T;
}

/** How a flag is named in a message: '--shuffle' given as --no-shuffle is named so. */
function spelled(flag: Flag, value: unknown): string {
  return flag.negatable && value === false ? `--no-${flag.name.slice(2)}` : flag.name;
}

/** Refuses, with one line saying why, every given flag that would have no effect. */
export function refuseIneffective(name: CommandName, context: FlagContext): void {
  for (const flag of flagsOf(name)) {
    const key = flagKey(flag.name);
    if (!context.given.has(key) || !flag.noEffect) continue;
    const why = flag.noEffect(context);
    if (why !== undefined) throw new BpttError(`${spelled(flag, context.values[key])} has no effect here: ${why}`, 'drop it');
  }
}

/** train --resume: refuses a given flag the checkpoint's recipe fixes. */
export function refuseOnResume(given: ReadonlySet<string>, values: Record<string, unknown>): void {
  for (const flag of flagsOf('train')) {
    const key = flagKey(flag.name);
    if (given.has(key) && !flag.resumable) {
      throw new BpttError(
        `${spelled(flag, values[key])} cannot change when resuming: the run continues with the checkpoint's recipe`,
        'drop it, or start a new run with --init to change it',
      );
    }
  }
}

/** The flag that sets a recipe field (for messages). */
export function flagOfField(field: keyof Recipe): string | undefined {
  return FLAGS.find((flag) => flag.recipe === field)?.name;
}

/**
 * The recipe of a run: `base` (the defaults, a preset, or a checkpoint's recipe) with each given flag's
 * field set. Two fields depend on others: a new --optimizer brings its own default learning rate unless
 * --lr is given, and --clip-norm turns the elementwise clip off unless --clip is given. The budget
 * (--epochs, --time, --steps) is replaced as a whole when any of it is given.
 */
export function recipeFromFlags(values: Record<string, unknown>, given: ReadonlySet<string>, base: Recipe): Recipe {
  // The given flags are the library's RecipeOptions (camelCase): its rules (train/recipe-options.ts), so train() and bptt train agree.
  return recipeOf(Object.fromEntries([...given].map((key) => [key, values[key]])) as RecipeOptions, base);
}

/**
 * The flags a command's action works with: the given values with the table's defaults, after refusing
 * every given flag that has no effect. (train, whose rules need its recipe, calls refuseIneffective itself.)
 */
export function checkedFlags<T>(name: CommandName, values: Record<string, unknown>): T {
  const filled = withDefaults<Record<string, unknown>>(name, values);
  refuseIneffective(name, { values: filled, given: givenFlags(values) });
  return filled as T;
}
