/**
 * The recurrent cells bptt knows, by the name a model file and the CLI use. A new cell is one
 * file implementing CellType / RecurrentCell (recurrent-cell.ts) and a line here.
 */
import { gruCell } from './gru-cell.js';
import { lstmCell } from './lstm-cell.js';
import type { CellType } from './recurrent-cell.js';
import { rnnCell } from './rnn-cell.js';

export const CELL_TYPES = { rnn: rnnCell, lstm: lstmCell, gru: gruCell } as const satisfies Record<string, CellType>;

export type Cell = keyof typeof CELL_TYPES;
