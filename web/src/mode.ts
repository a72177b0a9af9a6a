/**
 * Mode auto, as `bptt train` decides it: the library's chooseMode (a list of
 * short lines → mode lines with DEFAULT_RECIPE, running text → mode stream
 * with TEXT_RECIPE), except that running text too short to fill four batches
 * of the text recipe's windows trains in lines. That last rule lives in the
 * CLI (src/cli/train.ts, autoMode) and is repeated here until the library
 * owns it.
 */
import { chooseMode, DEFAULT_RECIPE, TEXT_RECIPE, type Recipe } from '../../src/index.js';

export interface AutoMode {
  mode: 'lines' | 'stream';
  reason: string;
  /** The defaults the run starts from. */
  recipe: Recipe;
}

export function autoMode(text: string): AutoMode {
  const choice = chooseMode(text);
  const least = 4 * TEXT_RECIPE.batchSize * TEXT_RECIPE.seqLength;
  if (choice.mode === 'stream' && text.length < least) {
    return {
      mode: 'lines',
      reason: `${choice.reason}, but only ${text.length.toLocaleString('en-US')} characters, fewer than ${least.toLocaleString('en-US')} for the text recipe's streams`,
      recipe: DEFAULT_RECIPE,
    };
  }
  return { ...choice, recipe: choice.mode === 'stream' ? TEXT_RECIPE : DEFAULT_RECIPE };
}
