/**
 * The recurrent cells bptt knows, by the name a model file and the CLI use. A new cell is one
 * file implementing CellType / RecurrentCell (recurrent-cell.ts) and a line here.
 */
import { gruCell } from './gru-cell.js';
import { lstmCell } from './lstm-cell.js';
import type { CellType } from './recurrent-cell.js';
import { rnnCell } from './rnn-cell.js';

/** Every recurrent cell bptt trains, by name: each one's forward and backward step (recurrent-cell.ts). */
export const CELL_TYPES = { rnn: rnnCell, lstm: lstmCell, gru: gruCell } as const satisfies Record<string, CellType>;

/** A cell's name: rnn (the seed's vanilla RNN), lstm or gru. */
export type Cell = keyof typeof CELL_TYPES;
