/**
 * Parsers for command-line values: each rejects a wrong type or range with a
 * one-line message naming the flag, the value and what is allowed.
 */
import { BpttError } from '../core/errors.js';
import { DEFAULT_RECIPE, type Recipe } from '../train/recipe.js';

export function integerOption(flag: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
      throw new BpttError(`${flag} ${JSON.stringify(text)} is not a whole number`, `give an integer from ${min} to ${max}`);
    if (value < min || value > max) throw new BpttError(`${flag} ${value} is out of range`, `give an integer from ${min} to ${max}`);
    return value;
  };
}

export function numberOption(flag: string, min: number, max: number, { exclusiveMin = false } = {}) {
  return (text: string): number => {
    const value = Number(text);
    const range = `${exclusiveMin ? 'above' : 'from'} ${min} ${exclusiveMin ? 'and up' : ''} to ${max}`.replace('  ', ' ');
    // Decimal notation only: Number() would also take "0x1f", "0b1" and "" (as 0).
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()) || !Number.isFinite(value))
      throw new BpttError(`${flag} ${JSON.stringify(text)} is not a number`, `give a number ${range}`);
    if (value > max || value < min || (exclusiveMin && value === min)) throw new BpttError(`${flag} ${value} is out of range`, `give a number ${range}`);
    return value;
  };
}

export function choiceOption<T extends string>(flag: string, choices: readonly T[]) {
  return (text: string): T => {
    if (!choices.includes(text as T)) throw new BpttError(`${flag} ${JSON.stringify(text)} is not a valid choice`, `use one of: ${choices.join(', ')}`);
    return text as T;
  };
}

/** --seed: a 32-bit unsigned integer (train, sample, gradcheck). */
export const seedOption = integerOption('--seed', 0, 2 ** 32 - 1);

/** A flag's default as DEFAULT_RECIPE holds it ('none' when unset): docs and --help read the recipe, never a copy. */
export const recipeValue = (field: keyof Recipe) => () => {
  const value = DEFAULT_RECIPE[field];
  return value === undefined ? 'none' : String(value);
};
