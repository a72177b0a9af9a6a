/**
 * Mode auto, as `bptt train` decides it: the library's autoRecipe (a list of short lines → mode lines
 * with DEFAULT_RECIPE, running text → mode stream with TEXT_RECIPE, but running text too short for the
 * text recipe's streams → lines), with the reason worded for the page.
 */
import { autoRecipe, type Recipe } from '../../src/index.js';

export interface AutoMode {
  mode: 'lines' | 'stream';
  reason: string;
  /** The defaults the run starts from. */
  recipe: Recipe;
}

export function autoMode(text: string): AutoMode {
  const { tooShortFor, ...choice } = autoRecipe(text);
  if (tooShortFor === undefined) return choice;
  const reason = `${choice.reason}, but only ${text.length.toLocaleString('en-US')} characters, fewer than ${tooShortFor.toLocaleString('en-US')} for the text recipe's streams`;
  return { ...choice, reason };
}
