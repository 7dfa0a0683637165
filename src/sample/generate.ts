import type { EngineChoice } from '../engines';
import { attendedLength, type RowStart, rowAttention } from '../model';
import { createRng } from '../random';
import { EOS_ID, PAD_ID, Vocabulary } from '../vocab';
import { summarizeLogits } from './logits';
import { SamplingOptions, TokenSampler } from './sampler';
import { openStepper } from '../families';
import type { TextGenerator } from './textGenerator';

/** One text to generate: a prompt, how to sample, and the seed of its own RNG. */
export interface GenerationRequest extends SamplingOptions {
  /** Text to continue; the generation starts from the beginning of a document when empty. */
  prompt?: string;
  /** Seed of this generation's RNG; the same seed gives the same text on the same backend. Default 42. */
  seed?: number;
  /**
   * Where the generation starts, before its `<eos>` and prompt: a recurrent state (one row, laid out as `stateLayout`
   * says) — a condition's (`conditionState`) or an encoder's — or, for a decoder with attention, its source's memory
   * conditioning (`sourceStarts`); default zeros, as in training.
   */
  initialState?: RowStart;
}

/** Settings shared by all generations of one run. */
export interface GenerationRunOptions {
  /** Number of tokens to produce after each prompt (default 300). */
  length?: number;
  /** Stop a generation when the model ends the document (`<eos>`); default true. */
  stopAtEos?: boolean;
  /** Engine that runs the network's steps (see `ENGINES`); default `auto`, the fastest that can run it. */
  engine?: EngineChoice;
  /**
   * Whether to score each generated token under the model (`logLikelihood` and `entropy`; default true); false leaves
   * them null and saves a pass over the vocabulary per token (`generate` and `streamText` return the text alone).
   */
  statistics?: boolean;
}

/** A generated text with what the model thought of it. */
export interface Generation {
  prompt: string;
  /** The prompt followed by the generated text. */
  text: string;
  /** The generated token ids (without the prompt). */
  tokens: number[];
  /**
   * Mean log-probability (nats) of the generated tokens under the model's own distribution (T = 1); null if none (or
   * not asked for: `statistics: false`).
   */
  logLikelihood: number | null;
  /** Mean entropy (nats) of the model's next-token distribution (T = 1) at the generated positions; null as above. */
  entropy: number | null;
  /** Whether the model ended the document before `length` tokens. */
  endedAtEos: boolean;
  /**
   * A decoder with attention: for each generated token, the weights over the source's positions it was chosen with
   * (each list sums to 1); absent for other models.
   */
  attention?: number[][];
}

/** One token as it is produced: which request (index in the batch) and its text. */
export interface TokenEvent {
  index: number;
  token: number;
  text: string;
}

/** Options of {@link generate}: one request plus the run settings and a streaming hook. */
export interface GenerateOptions extends GenerationRequest, GenerationRunOptions {
  /** Called with the text of each new token as soon as it is chosen (streaming). */
  onToken?: (text: string) => void;
}

/**
 * The text a generated token adds after `history` (the prompt's ids and the tokens so far), with the spacing its
 * vocabulary puts before it (words; none after a prompt that ends in a space).
 */
export function tokenText(
  vocab: Vocabulary,
  prompt: string,
  history: readonly number[],
  first: boolean,
  token: number,
): string {
  const piece = vocab.decodeStep(history, token);
  return first && /\s$/u.test(prompt) && vocab.unit === 'word' ? piece.trimStart() : piece;
}

/** A generation in progress: its tokens so far, sampler and running sums. */
class Row {
  readonly history: number[];
  readonly tokens: number[] = [];
  readonly sampler: TokenSampler;
  /** The generated text so far, as the vocabulary decodes it after the prompt. */
  generatedText = '';
  logProbSum = 0;
  entropySum = 0;
  ended = false;
  endedAtEos = false;
  /** The attention weights of each generated token (a decoder with attention). */
  readonly attention: number[][] = [];
  /** Its source's positions, when it attends to one. */
  private readonly sourceLength: number | null;

  constructor(
    readonly prompt: string,
    promptIds: readonly number[],
    request: GenerationRequest,
  ) {
    this.history = [...promptIds];
    this.sampler = new TokenSampler(request, createRng(request.seed ?? 42));
    this.sourceLength = attendedLength(request.initialState);
  }

  /** Keeps the attention weights (`[rows, positions]`, its row `index`) the token just chosen was chosen with. */
  keepAttention(weights: Float32Array | null | undefined, index: number, rows: number): void {
    const kept = rowAttention(weights, index, rows, this.sourceLength);
    if (kept !== null) this.attention.push(kept);
  }

  /** The token fed at time step `t` (the prompt first, then the generated tokens; `<pad>` once ended). */
  inputAt(t: number): number {
    return t < this.history.length && !this.ended ? this.history[t] : PAD_ID;
  }

  /** The text a new token adds (see {@link tokenText}); appended to {@link generatedText}. */
  appendText(token: number, vocab: Vocabulary): string {
    const piece = tokenText(vocab, this.prompt, this.history, this.tokens.length === 0, token);
    this.generatedText += piece;
    return piece;
  }

  /** Whether the logits after step `t` are the ones this row samples from next. */
  samplesAfter(t: number): boolean {
    return !this.ended && t === this.history.length - 1;
  }
}

/**
 * Generates continuations of many prompts together, as one batch advanced one token at a time with the
 * recurrent state carried along (each prompt is fed once, token by token, so prompts may differ in length).
 * Each request has its own sampling settings and its own seeded RNG, so every result equals what the same
 * request gives alone. Yields each token as it is chosen and returns the finished generations.
 * `<pad>` and `<unk>` are never produced.
 */
export function* streamGenerations(
  trained: TextGenerator,
  requests: readonly GenerationRequest[],
  options: GenerationRunOptions = {},
): Generator<TokenEvent, Generation[]> {
  const { length = 300, stopAtEos = true, engine = 'auto', statistics = true } = options;
  if (!Number.isInteger(length) || length < 0) throw new Error(`Length must be a whole number ≥ 0, got ${length}.`);
  const { vocab } = trained;
  const rows = requests.map((r) => new Row(r.prompt ?? '', [EOS_ID, ...vocab.encode(r.prompt ?? '')], r));
  if (length === 0)
    rows.forEach((row) => {
      row.ended = true;
    });
  const vocabSize = vocab.size;
  const stepper =
    rows.length > 0
      ? openStepper(
          trained,
          engine,
          rows.length,
          requests.map((r) => r.initialState),
        )
      : null;
  const modelLogits = new Float32Array(vocabSize); // reused: a row's logits before its sampler changes them
  const inputs = new Int32Array(rows.length); // reused: the steppers copy what they are fed
  try {
    for (let t = 0; rows.some((row) => !row.ended); t++) {
      rows.forEach((row, r) => (inputs[r] = row.inputAt(t)));
      const logits = stepper!.feed(inputs, 1);
      for (const [index, row] of rows.entries()) {
        if (!row.samplesAfter(t)) continue;
        const rowLogits = logits.subarray(index * vocabSize, (index + 1) * vocabSize);
        if (statistics) modelLogits.set(rowLogits);
        const token = row.sampler.choose(rowLogits, row.history);
        if (token === EOS_ID && stopAtEos) {
          row.ended = row.endedAtEos = true;
          continue;
        }
        row.keepAttention(stepper!.lastAttention, index, rows.length);
        if (statistics) {
          const model = summarizeLogits(modelLogits);
          row.logProbSum += modelLogits[token] - model.logSum;
          row.entropySum += model.entropy;
        }
        const text = row.appendText(token, vocab);
        row.tokens.push(token);
        row.history.push(token);
        row.ended = row.tokens.length === length;
        yield { index, token, text };
      }
    }
  } finally {
    stepper?.dispose();
  }
  return rows.map((row) => {
    const n = row.tokens.length;
    const scored = statistics && n > 0;
    return {
      prompt: row.prompt,
      text: row.prompt + row.generatedText,
      tokens: row.tokens,
      logLikelihood: scored ? row.logProbSum / n : null,
      entropy: scored ? row.entropySum / n : null,
      endedAtEos: row.endedAtEos,
      ...(row.attention.length > 0 && { attention: row.attention }),
    };
  });
}

/**
 * Runs {@link streamGenerations} to the end; `onToken(event)` sees every token as it is produced.
 * @returns one generation per request, in request order.
 */
export function generateBatch(
  trained: TextGenerator,
  requests: readonly GenerationRequest[],
  options: GenerationRunOptions & { onToken?: (event: TokenEvent) => void } = {},
): Generation[] {
  const stream = streamGenerations(trained, requests, options);
  for (;;) {
    const step = stream.next();
    if (step.done) return step.value;
    options.onToken?.(step.value);
  }
}

/**
 * Continues `prompt` with up to `length` tokens, one step at a time with the recurrent state carried along.
 * @returns the prompt followed by the generated text.
 */
export function generate(trained: TextGenerator, options: GenerateOptions = {}): string {
  const { onToken, ...request } = options;
  const run = { ...options, statistics: false, onToken: onToken && ((event: TokenEvent) => onToken(event.text)) };
  return generateBatch(trained, [request], run)[0].text;
}

/**
 * Lets the event loop run (`setImmediate` under Node, a message to itself in a browser — a zero-delay timer would
 * wait 4 ms once timers nest): clicks get through, and a page that yields every few milliseconds is painted as often
 * as the browser paints.
 */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise<void>((resolve) => {
    if (typeof setImmediate === 'function') return void setImmediate(resolve);
    const { port1, port2 } = new MessageChannel();
    // A browser's port (Node's types describe Node's, which never runs this).
    (port1 as unknown as { onmessage: () => void }).onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });

/**
 * The streaming form for notebooks, servers and web pages: yields the text of each token of one generation, giving the
 * event loop a turn between tokens so that displays can redraw while the text grows.
 */
export async function* streamText(trained: TextGenerator, options: GenerateOptions = {}): AsyncGenerator<string, void> {
  const stream = streamGenerations(trained, [options], { ...options, statistics: false });
  for (let step = stream.next(); !step.done; step = stream.next()) {
    yield step.value.text;
    await yieldToEventLoop();
  }
}
