import type { Cell } from './cell';
import { gru } from './gru';
import { lstm } from './lstm';
import { rnn } from './rnn';

/** Every recurrent cell, in the order help texts list them. A new cell is one file and one entry here. */
export const CELL_REGISTRY = [lstm, gru, rnn] as const;

/** Names of the recurrent cells: long short-term memory, gated recurrent unit, plain (Elman) RNN. */
export const CELLS = CELL_REGISTRY.map((cell) => cell.name);
/** A recurrent cell's name. */
export type CellType = (typeof CELL_REGISTRY)[number]['name'];

/** The cell called `name`; throws an error listing the cells when there is none. */
export function cellNamed(name: string): Cell<CellType> {
  const found = CELL_REGISTRY.find((cell) => cell.name === name);
  if (found === undefined) throw new Error(`Unknown cell "${name}". Use one of: ${CELLS.join(', ')}.`);
  return found;
}

/** The cell whose tfjs-layers layer has class `layerClass` (e.g. `LSTM`), or null. */
export function cellOfLayerClass(layerClass: string): Cell<CellType> | null {
  return CELL_REGISTRY.find((cell) => cell.layerClass === layerClass) ?? null;
}

export type { Cell, CellStepper, RecurrentLayerArgs, SequenceShape } from './cell';
export { GATE_ACTIVATIONS, type GateActivation } from './gates';
export { multiplyRows, transposedTimes } from './rowMath';
export { type RowMatrix, stepperMatrix, tensorRowMatrix } from './rowMatrix';
