/**
 * What a `bptt` flag is: one entry of the flag table (flags.ts assembles it from flags-train.ts,
 * flags-optimization.ts and flags-commands.ts), and the commands that have flags.
 */
import type { Recipe } from '../train/recipe.js';

/** Every command built from the table; a subcommand is named with its parent ('export onnx'). */
export const COMMANDS = ['train', 'sample', 'eval', 'score', 'gradcheck', 'bench', 'info', 'import', 'data', 'export onnx', 'export pytorch'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** What a `noEffect` rule sees: the command's flags (defaults filled in), which were typed, and for train the recipe. */
export interface FlagContext {
  values: Record<string, unknown>;
  given: ReadonlySet<string>;
  /** train: the recipe the run trains with (defaults, preset, checkpoint and flags applied). */
  recipe?: Recipe;
}

export interface Flag {
  /** '--hidden'; with `negatable`, '--no-<name>' too. */
  name: string;
  /** '<N>', '[TEXT]' (the value may be left out), or absent for a switch. */
  value?: string;
  commands: readonly CommandName[];
  parse?: (text: string) => unknown;
  help: string;
  /** The value when the flag is not given (a constant of the code, not a copy of it). */
  default?: unknown;
  /** The default as docs and --help say it, when it is not `default` (e.g. the recipe's value). */
  defaultText?: () => string;
  required?: boolean;
  /** '--shuffle' also has '--no-shuffle'. */
  negatable?: boolean;
  /** train: the recipe field this flag sets (when its value is the field's). */
  recipe?: keyof Recipe;
  /** train: whether --resume may change it (budget, outputs, threads); a recipe flag may not. */
  resumable?: boolean;
  /** Why the flag does nothing given the rest, or undefined when it has an effect. */
  noEffect?: (context: FlagContext) => string | undefined;
}
