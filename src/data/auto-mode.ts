/**
 * Mode 'auto': which data mode suits a text, decided from its shape.
 *
 * A list of short lines (names, words, titles) is a set of separate items:
 * mode 'lines' trains each from h = 0. Anything else is running text (prose,
 * code, a chat log) whose characters depend on text lines before: mode
 * 'stream' carries the state through it. What tells them apart:
 *
 *   - blank lines: lists have (almost) none; prose has paragraph breaks and
 *     code has blank lines between functions;
 *   - line length: list items are short (dinosaur names: median 11 characters),
 *     wrapped prose and code lines are long (median 40–70);
 *   - indentation: code and verse indent many lines, lists don't.
 *
 * Only the first SAMPLE_CHARACTERS of the text are looked at (enough lines for
 * the statistics), so a caller may pass just the beginning of a huge file.
 */

/** How much of the text chooseMode reads: its first 256 K characters. */
export const SAMPLE_CHARACTERS = 1 << 18;
/** A list's lines are short: the median non-blank line is at most this long (characters). */
export const LIST_MEDIAN_LENGTH = 32;
/** ... and nearly all of them: the 90th percentile at most this long. */
export const LIST_P90_LENGTH = 64;
/** A list has (almost) no blank lines: at most this fraction of its lines. */
export const LIST_BLANK_FRACTION = 0.02;
/** A list indents (almost) no lines: at most this fraction starts with a space or tab. */
export const LIST_INDENTED_FRACTION = 0.05;

/** What chooseMode decided for a text, and why. */
export interface ModeChoice {
  mode: 'lines' | 'stream';
  /** Why, in a few words, with the numbers that decided it (printed by the CLI). */
  reason: string;
}

/** The q-quantile (0..1) of sorted numbers. */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** 'lines' for a list of short lines, 'stream' for running text, and why. */
export function chooseMode(text: string): ModeChoice {
  let sample = text.length > SAMPLE_CHARACTERS ? text.slice(0, SAMPLE_CHARACTERS) : text;
  // A sample cut mid-line: its last line is incomplete, drop it (unless it is the only one).
  if (sample.length < text.length && sample.lastIndexOf('\n') > 0) sample = sample.slice(0, sample.lastIndexOf('\n'));
  const all = sample.split(/\r\n|\r|\n/);
  if (all.length > 1 && all[all.length - 1] === '') all.pop(); // the final line end opens no line
  const lengths: number[] = [];
  let blank = 0;
  let indented = 0;
  for (const line of all) {
    if (line.trim() === '') blank++;
    else {
      lengths.push([...line].length);
      if (line[0] === ' ' || line[0] === '\t') indented++;
    }
  }
  const lines = lengths.length;
  if (lines < 2) return { mode: 'stream', reason: `running text: ${lines === 0 ? 'no line has text' : 'one line of text'}` };
  lengths.sort((a, b) => a - b);
  const median = quantile(lengths, 0.5);
  const p90 = quantile(lengths, 0.9);
  const blankFraction = blank / all.length;
  const indentedFraction = indented / lines;
  const percent = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
  if (blankFraction > LIST_BLANK_FRACTION)
    return { mode: 'stream', reason: `running text: ${percent(blankFraction)} of lines are blank (paragraphs or documents)` };
  if (median > LIST_MEDIAN_LENGTH) return { mode: 'stream', reason: `running text: lines are long (median ${median} characters)` };
  if (p90 > LIST_P90_LENGTH) return { mode: 'stream', reason: `running text: many lines are long (10% over ${p90} characters)` };
  if (indentedFraction > LIST_INDENTED_FRACTION)
    return { mode: 'stream', reason: `running text: ${percent(indentedFraction)} of lines are indented (code or verse)` };
  const counted = sample.length < text.length ? `the first ${lines.toLocaleString('en-US')}` : lines.toLocaleString('en-US');
  return { mode: 'lines', reason: `a list of short lines: ${counted} lines, median ${median} characters, ${blank === 0 ? 'no' : 'almost no'} blank lines` };
}
