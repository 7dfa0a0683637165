import * as tf from '@tensorflow/tfjs';
import {
  checkMemory,
  concatMemoryRows,
  type EncoderMemory,
  type BoundAttention,
  type MemoryTensors,
  memoryTensors,
  selectMemoryRows,
  singleRowMemory,
} from './attention';
import { selectStateRows, stackStates, type StateLayout } from './recurrentState';

/**
 * Where a row's generation starts, before its first token: a recurrent family's initial state (one row, in its
 * `StateLayout`: a condition's or an encoder's final state); an encoder memory `[length, width]` (row-major: the
 * source read into vectors) that a decoder with attention attends to, with the state the encoder left; or, for
 * families to come, a prefix of token ids.
 */
export type Conditioning =
  | { kind: 'state'; state: Float32Array }
  | { kind: 'memory'; memory: Float32Array; length: number; width: number; state?: Float32Array }
  | { kind: 'prefix'; tokens: Int32Array };

/** A row's start as samplers take it: an initial state (a `state` conditioning, written short) or a conditioning. */
export type RowStart = Float32Array | Conditioning;

/** The source positions a row start gives a decoder with attention (a `memory` conditioning), else null. */
export function attendedLength(start: RowStart | undefined): number | null {
  return start !== undefined && !(start instanceof Float32Array) && start.kind === 'memory' ? start.length : null;
}

/**
 * Row `row`'s weights over its `length` real source positions, from a stepper's {@link Stepper.lastAttention} of
 * `rows` rows; null for a model without attention (or a row started from no memory: `length` null).
 */
export function rowAttention(
  weights: Float32Array | null | undefined,
  row: number,
  rows: number,
  length: number | null,
): number[] | null {
  if (weights == null || length === null) return null;
  const positions = weights.length / rows;
  return Array.from(weights.subarray(row * positions, row * positions + length));
}

/** The conditioning a row start stands for. */
export function asConditioning(start: RowStart): Conditioning {
  return start instanceof Float32Array ? { kind: 'state', state: start } : start;
}

/**
 * Runs a model one step at a time for `batchSize` rows, owning its decoder state — a recurrent state, a context
 * window, a cache — so that producing n tokens costs n steps (the prompt is fed once), never a re-run of the growing
 * prefix. Samplers and beam search only start rows, feed tokens and reorder rows; nothing outside the model's family
 * knows the state's shape. It works on a snapshot of the model's weights taken when it is created.
 */
export interface Stepper {
  /** Number of rows (sequences) advanced together. */
  readonly batchSize: number;
  /** Every row back to its start (as if nothing had been fed). */
  reset(): void;
  /**
   * Starts row r from `rows[r]` (null or missing: the plain start, as in training), forgetting what was fed; a
   * conditioning the family cannot take is refused with an error that says so.
   */
  start(rows: readonly (Conditioning | null | undefined)[]): void;
  /**
   * Feeds `steps` ≥ 1 tokens per row (`tokens` is row-major `[batchSize, steps]`) and returns the logits that follow
   * the last of them, row-major `[batchSize, vocabSize]`. A row fed `<pad>` is finished or unused: what follows it is
   * not read. `tokens` is the caller's again when `feed` returns (a stepper copies what it keeps); the logits are the
   * caller's to read and change until the next call (a stepper may reuse the array).
   */
  feed(tokens: Int32Array, steps: number): Float32Array;
  /**
   * Row r continues as row `rows[r]` was (`batchSize` entries, repeats allowed): beam search keeps, drops and
   * copies hypotheses.
   */
  reorder(rows: ArrayLike<number>): void;
  /**
   * A decoder with attention: `[batchSize, source length]`, each row's attention over its source positions at the last
   * token fed (null before the first, and for a model without attention).
   */
  readonly lastAttention?: Float32Array | null;
  /** Releases what the stepper holds. */
  dispose(): void;
}

/**
 * A stepper whose decoder state is a vector per row that can be read and written (recurrent networks, n-gram contexts).
 */
export interface VectorStateStepper extends Stepper {
  /** How {@link state} is laid out. */
  readonly layout: StateLayout;
  /** The state the next `feed` starts from (zeros after a reset), laid out as {@link layout} says. */
  state(): Float32Array;
  /** Continues from `state` (`batchSize` rows, the same layout). */
  setState(state: Float32Array): void;
}

/**
 * The `reorder` and `start` of a stepper with a vector state: rows move by copying their state, and a row starts from a
 * `state` conditioning (or zeros). `family` names the model in the refusal of other conditionings.
 */
export abstract class VectorStateStepperBase implements VectorStateStepper {
  abstract readonly batchSize: number;
  abstract readonly layout: StateLayout;
  abstract reset(): void;
  abstract state(): Float32Array;
  abstract setState(state: Float32Array): void;
  abstract feed(tokens: Int32Array, steps: number): Float32Array;
  abstract dispose(): void;

  /** What a refusal of a conditioning calls the model, e.g. "a recurrent network". */
  protected abstract readonly modelName: string;
  /** Whether a row may start from a `state` conditioning (an n-gram context may not: it is the tokens fed). */
  protected readonly takesInitialState: boolean = true;
  /** The attention of a decoder with attention (it starts from `memory` conditionings only), else null. */
  protected readonly attention: BoundAttention | null = null;
  /** The rows' encoder memory (a decoder with attention, once started). */
  private memory: EncoderMemory | null = null;
  /** The memory as tensors, for {@link attend}. */
  private memoryTensors: MemoryTensors | null = null;
  /** `[batchSize, length]`: the attention weights of the last token fed (a decoder with attention), else null. */
  lastAttention: Float32Array | null = null;

  /**
   * The memory width of a decoder with attention (it starts from `memory` conditionings only), else null; by default
   * the width {@link attention} reads.
   */
  protected memoryWidth(): number | null {
    return this.attention?.memoryWidth ?? null;
  }

  start(rows: readonly (Conditioning | null | undefined)[]): void {
    const attends = this.memoryWidth() !== null;
    const memories: EncoderMemory[] = [];
    const states = Array.from({ length: this.batchSize }, (_, r) => {
      const given = rows[r];
      if (given == null && attends)
        throw new Error(`${this.modelName} with attention starts every row from its source (row ${r} has none).`);
      if (given == null) return null;
      if (given.kind === 'memory' && attends) {
        if (given.memory.length !== given.length * given.width)
          throw new Error(
            `Row ${r}'s memory has ${given.memory.length} values, not ${given.length} positions × ${given.width}.`,
          );
        memories.push(singleRowMemory(given.memory, given.length, given.width));
        return given.state ?? null;
      }
      if (given.kind !== 'state' || !this.takesInitialState || attends)
        throw new Error(
          `${this.modelName}${attends ? ' with attention' : ''} cannot start from ${conditioningName(given)}` +
            (attends ? ': start it from its source (sourceStarts gives each source its memory and state).' : '.'),
        );
      return given.state;
    });
    if (attends) this.setMemory(concatMemoryRows(memories));
    this.lastAttention = null;
    if (states.every((state) => state === null)) this.reset();
    else this.setState(stackStates(states, this.layout));
  }

  reorder(rows: ArrayLike<number>): void {
    if (rows.length !== this.batchSize)
      throw new Error(`reorder takes one source row for each of the ${this.batchSize} rows, got ${rows.length}.`);
    for (let r = 0; r < rows.length; r++) {
      if (rows[r] !== r) {
        if (this.memory !== null) this.setMemory(selectMemoryRows(this.memory, rows));
        return this.setState(selectStateRows(this.state(), this.layout, rows));
      }
    }
  }

  private setMemory(rows: EncoderMemory): void {
    checkMemory(rows, this.batchSize, this.memoryWidth()!);
    this.releaseMemory();
    this.memory = rows;
    this.useMemory(rows);
  }

  /**
   * Takes the rows' memory (checked) for the next tokens fed; by default as tensors for {@link attend}. A stepper
   * that attends by itself overrides it (and {@link memoryWidth}).
   */
  protected useMemory(rows: EncoderMemory): void {
    this.memoryTensors = memoryTensors(rows);
  }

  /** Releases the memory and its tensors (call from `dispose`). */
  protected releaseMemory(): void {
    if (this.memoryTensors !== null) tf.dispose([this.memoryTensors.memory, this.memoryTensors.mask]);
    this.memoryTensors = null;
    this.memory = null;
  }

  /**
   * The attentional states `[batchSize, units]` of the top layer's `hidden` states `[batchSize, units]` (one step),
   * attending to the rows' memory; keeps the step's weights in {@link lastAttention}.
   */
  protected attend(hidden: Float32Array): Float32Array {
    if (this.memoryTensors === null || this.attention === null)
      throw new Error(`${this.modelName} with attention was fed before its rows were started from their sources.`);
    const units = hidden.length / this.batchSize;
    const [output, weights] = tf.tidy(() => {
      const attended = this.attention!.attend(tf.tensor3d(hidden, [this.batchSize, 1, units]), this.memoryTensors!);
      return [attended.output, attended.weights];
    });
    this.lastAttention = weights.dataSync() as Float32Array;
    const values = output.dataSync() as Float32Array;
    tf.dispose([output, weights]);
    return values;
  }
}

/** A conditioning as messages name it. */
export function conditioningName(conditioning: Conditioning): string {
  return { state: 'an initial state', memory: 'an encoder memory', prefix: 'a prefix' }[conditioning.kind];
}
