import type { EngineChoice } from '../engines';
import { attendedLength, type RowStart, rowAttention, type Stepper } from '../model';
import { EOS_ID, PAD_ID, UNK_ID } from '../vocab';
import { type Generation, tokenText } from './generate';
import { entropy, logSoftmax } from './logits';
import { openStepper } from '../families';
import type { TextGenerator } from './textGenerator';

/** Options of {@link beamSearch}. */
export interface BeamSearchOptions {
  /** Text to continue; the search starts from the beginning of a document when empty. */
  prompt?: string;
  /** Hypotheses kept at each step, a whole number ≥ 1; 1 is greedy decoding. Default 4. */
  beam?: number;
  /** Tokens to produce at most (default 300). */
  length?: number;
  /**
   * α of the length normalisation (Wu et al. 2016, GNMT): hypotheses are ranked by
   * `log P / ((5 + n) / 6)^α`, n = tokens generated (`<eos>` included). 0 ranks by the plain log-probability,
   * larger values favour longer hypotheses. Default 0.6.
   */
  lengthPenalty?: number;
  /** A hypothesis ends when the model ends the document (`<eos>`); default true. */
  stopAtEos?: boolean;
  /** How many hypotheses to return, best first, at most `beam`; default 1. */
  count?: number;
  /** Engine that runs the network's steps (see `ENGINES`); default `auto`. */
  engine?: EngineChoice;
  /**
   * Where the search starts, before its `<eos>` and prompt (see `GenerationRequest.initialState`: a state, or a source's
   * memory conditioning); default zeros.
   */
  initialState?: RowStart;
}

/** A hypothesis beam search returns: a {@link Generation} and the numbers it was ranked by. */
export interface BeamHypothesis extends Generation {
  /** Log-probability (nats) of the generated tokens under the model, plus that of `<eos>` when it ended there. */
  totalLogProb: number;
  /** What hypotheses are ranked by: `totalLogProb / ((5 + n) / 6)^α`. */
  score: number;
}

/** A hypothesis being extended: its tokens and running sums; `row` is its row in the stepper's batch. */
interface Hypothesis {
  row: number;
  /** The row of the hypothesis it extends (its state moves from there to `row`). */
  parentRow: number;
  tokens: number[];
  logProb: number;
  entropySum: number;
  /** The model's log-probability of each generated token, for the mean log-likelihood. */
  tokenLogProbSum: number;
  endedAtEos: boolean;
  /** A decoder with attention: the weights each generated token was chosen with. */
  attention: number[][];
}

/** A way to extend a hypothesis by one token, with the log-probability it would then have. */
interface Candidate {
  parent: Hypothesis;
  token: number;
  logProb: number;
  entropy: number;
  tokenLogProb: number;
}

/** Checks the options and fills in the defaults. */
function resolveBeamOptions(options: BeamSearchOptions): Required<Omit<BeamSearchOptions, 'engine' | 'initialState'>> {
  const { prompt = '', beam = 4, length = 300, lengthPenalty = 0.6, stopAtEos = true, count = 1 } = options;
  if (!Number.isInteger(beam) || beam < 1 || beam > 1000)
    throw new Error(`The beam width must be a whole number from 1 to 1000, got ${beam}.`);
  if (!Number.isInteger(length) || length < 0) throw new Error(`Length must be a whole number ≥ 0, got ${length}.`);
  if (!(Number.isFinite(lengthPenalty) && lengthPenalty >= 0))
    throw new Error(`The length penalty α must be a number ≥ 0 (0 = none, 0.6 = GNMT's), got ${lengthPenalty}.`);
  if (!Number.isInteger(count) || count < 1 || count > beam)
    throw new Error(`count must be a whole number from 1 to the beam width (${beam}), got ${count}.`);
  return { prompt, beam, length, lengthPenalty, stopAtEos, count };
}

/** GNMT's length-normalised score of a hypothesis of `n` tokens. */
function normalisedScore(logProb: number, n: number, alpha: number): number {
  return alpha === 0 ? logProb : logProb / ((5 + n) / 6) ** alpha;
}

/** The `k` best candidates of one row: never `<pad>` or `<unk>`; ties go to the lower token id. */
function rowCandidates(parent: Hypothesis, logProbs: Float64Array, k: number): Candidate[] {
  const h = entropy(logProbs.map(Math.exp));
  const best: number[] = [];
  for (let token = 0; token < logProbs.length; token++) {
    if (token === PAD_ID || token === UNK_ID) continue;
    if (best.length === k && logProbs[token] <= logProbs[best[k - 1]]) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && logProbs[best[at - 1]] < logProbs[token]) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = token;
    best.length = Math.min(best.length, k);
  }
  return best.map((token) => ({
    parent,
    token,
    logProb: parent.logProb + logProbs[token],
    entropy: h,
    tokenLogProb: logProbs[token],
  }));
}

/** Candidates from best to worst: higher log-probability, then the earlier hypothesis, then the lower token id. */
function byLogProb(a: Candidate, b: Candidate): number {
  return b.logProb - a.logProb || a.parent.row - b.parent.row || a.token - b.token;
}

/**
 * Beam search: keeps the `beam` most probable continuations of the prompt at every step (all advanced as one
 * batch, the recurrent state of each kept hypothesis moved under it), and returns the best by length-normalised
 * score (see {@link BeamSearchOptions.lengthPenalty}). A hypothesis ends at `<eos>` (unless `stopAtEos` is false) or
 * after `length` tokens; the beam stops early once `beam` hypotheses have finished and every growing one scores
 * below them (exact for α = 0, a heuristic for α > 0). Greedy decoding runs as one more row of the same batch, always
 * to its end, and competes too, so the result never scores below greedy's (with a fixed length: never a lower total
 * log-probability). `beam: 1` is greedy decoding. Deterministic: no randomness, ties broken by hypothesis order then
 * token id. Every returned hypothesis ended at `<eos>` or has `length` tokens.
 */
export function beamSearch(trained: TextGenerator, options: BeamSearchOptions = {}): BeamHypothesis[] {
  const { prompt, beam, length, lengthPenalty, stopAtEos, count } = resolveBeamOptions(options);
  const { vocab } = trained;
  const promptIds = [EOS_ID, ...vocab.encode(prompt)];
  const rows = beam + 1; // the beam's rows, then greedy's
  const greedyRow = beam;
  const stepper = openStepper(trained, options.engine ?? 'auto', rows, Array(rows).fill(options.initialState));
  const start = (row: number): Hypothesis => ({
    row,
    parentRow: row,
    tokens: [],
    logProb: 0,
    entropySum: 0,
    tokenLogProbSum: 0,
    endedAtEos: false,
    attention: [],
  });
  const sourceLength = attendedLength(options.initialState);
  /** The attention weights row `row` chose its last token with (a decoder with attention), else null. */
  const attentionOf = (row: number) => rowAttention(stepper.lastAttention, row, rows, sourceLength);
  let live: Hypothesis[] = length === 0 ? [] : [start(0)];
  let greedy: Hypothesis = start(greedyRow);
  let greedyLive = length > 0;
  const finished: Hypothesis[] = [];
  const score = (h: Hypothesis) => normalisedScore(h.logProb, h.tokens.length + (h.endedAtEos ? 1 : 0), lengthPenalty);
  try {
    let logits = feedAll(stepper, promptIds, rows);
    const logProbs = new Float64Array(vocab.size);
    for (let step = 0; step < length && (live.length > 0 || greedyLive); step++) {
      const rowLogProbs = (row: number) =>
        logSoftmax(logits.subarray(row * vocab.size, (row + 1) * vocab.size), logProbs);
      const candidates = live.flatMap((h) => rowCandidates(h, rowLogProbs(h.row), 2 * beam)).sort(byLogProb);
      const next: Hypothesis[] = [];
      for (const [rank, c] of candidates.entries()) {
        if (next.length === beam) break;
        const extended = extend(c, next.length);
        if (c.token === EOS_ID && stopAtEos) {
          if (rank < beam) finished.push(extended);
        } else next.push(extended);
      }
      live = next;
      if (greedyLive) {
        greedy = extend(rowCandidates(greedy, rowLogProbs(greedyRow), 1)[0], greedyRow);
        if (greedy.endedAtEos) greedyLive = false;
      }
      if (step === length - 1) break;
      if (live.length > 0 && searchIsOver(live, finished, beam, score)) live = []; // greedy may still run to its end
      if (live.length === 0 && !greedyLive) break;
      // Move each kept hypothesis's state to its new row, then feed the tokens just chosen (<pad> in unused rows).
      stepper.reorder(
        Array.from({ length: rows }, (_, row) => (row === greedyRow ? greedyRow : (live[row]?.parentRow ?? 0))),
      );
      const tokens = Int32Array.from(
        { length: rows },
        (_, row) => (row === greedyRow ? greedy : live[row])?.tokens.at(-1) ?? PAD_ID,
      );
      logits = stepper.feed(tokens, 1);
    }
  } finally {
    stepper.dispose();
  }
  return rankFinal([...finished, ...live, greedy], score, count).map((h) => asResult(h, score(h)));

  function asResult(h: Hypothesis, hypothesisScore: number): BeamHypothesis {
    const history = [...promptIds];
    let text = prompt;
    h.tokens.forEach((token, i) => {
      text += tokenText(vocab, prompt, history, i === 0, token);
      history.push(token);
    });
    const n = h.tokens.length;
    return {
      prompt,
      text,
      tokens: h.tokens,
      logLikelihood: n > 0 ? h.tokenLogProbSum / n : null,
      entropy: n > 0 ? h.entropySum / n : null,
      endedAtEos: h.endedAtEos,
      totalLogProb: h.logProb,
      score: hypothesisScore,
      ...(h.attention.length > 0 && { attention: h.attention }),
    };
  }

  function extend(c: Candidate, row: number): Hypothesis {
    const ends = c.token === EOS_ID && stopAtEos;
    const weights = ends ? null : attentionOf(c.parent.row);
    return {
      row,
      parentRow: c.parent.row,
      logProb: c.logProb,
      endedAtEos: ends,
      tokens: ends ? c.parent.tokens : [...c.parent.tokens, c.token],
      entropySum: c.parent.entropySum + (ends ? 0 : c.entropy),
      tokenLogProbSum: c.parent.tokenLogProbSum + (ends ? 0 : c.tokenLogProb),
      attention: weights === null ? c.parent.attention : [...c.parent.attention, weights],
    };
  }
}

/** Feeds the prompt to every row at once; returns the logits after its last token. */
function feedAll(stepper: Stepper, promptIds: readonly number[], rows: number): Float32Array {
  const tokens = new Int32Array(rows * promptIds.length);
  for (let row = 0; row < rows; row++) tokens.set(promptIds, row * promptIds.length);
  return stepper.feed(tokens, promptIds.length);
}

/**
 * True when `beam` hypotheses have finished and none still growing ranks above the worst of them at its current
 * length. Exact for α = 0 (a longer hypothesis only loses probability); for α > 0 a heuristic, as in common
 * implementations (Hugging Face's `early_stopping=False`): the divisor grows with the length, so a hypothesis
 * dropped here might have scored higher later.
 */
function searchIsOver(
  live: Hypothesis[],
  finished: Hypothesis[],
  beam: number,
  score: (h: Hypothesis) => number,
): boolean {
  if (finished.length < beam) return false;
  const worstKept = finished.map(score).sort((a, b) => b - a)[beam - 1];
  return Math.max(...live.map(score)) < worstKept;
}

/** The `count` best distinct hypotheses by score (ties: the earlier in `all`), token sequences compared. */
function rankFinal(all: Hypothesis[], score: (h: Hypothesis) => number, count: number): Hypothesis[] {
  const ranked = all.map((h, i) => ({ h, i, s: score(h) })).sort((a, b) => b.s - a.s || a.i - b.i);
  const seen = new Set<string>();
  const out: Hypothesis[] = [];
  for (const { h } of ranked) {
    const key = `${h.tokens.join(',')}|${h.endedAtEos}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(h);
    if (out.length === count) break;
  }
  return out;
}
