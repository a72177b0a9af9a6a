/**
 * Where a document starts in running text, and so where a stream's recurrent
 * state resets to zero (mode 'stream', data/stream.ts; passages sampled from
 * a stream-mode model, sample/generate.ts, follow the same rule):
 *   'line'        each line is a document (name lists): reset where the input is '\n'
 *   'blank-line'  documents are separated by blank lines: reset where the input is
 *                 the second '\n' of "\n\n" (the model still learns to end a document)
 *   'none'        the whole text is one document
 */
export type DocumentBoundary = 'blank-line' | 'line' | 'none';
/** Every DocumentBoundary, for option parsers. */
export const DOCUMENT_BOUNDARIES: readonly DocumentBoundary[] = ['blank-line', 'line', 'none'];

/** Whether the step reading `input` (after `previous`, −1 at the text's start) starts a document from h = 0. */
export function startsDocument(documents: DocumentBoundary, previous: number, input: number, endId: number): boolean {
  return input === endId && (documents === 'line' || (documents === 'blank-line' && previous === endId));
}
