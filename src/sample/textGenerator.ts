import { type EngineChoice, selectEngine, type Stepper } from '../engines';
import { type GeneratorModel, type NgramGenerator, NgramStepper, ngramStateLayout, stackStates, type StateLayout, stateLayout } from '../model';

/** What generates text: a network with its vocabulary and settings, or an n-gram model with its vocabulary. */
export type TextGenerator = GeneratorModel | NgramGenerator;

/**
 * A stepper advancing `rows` sequences of `trained` — an n-gram model's own, or the one `engine` (`auto`: the
 * fastest that can) creates for a network — and the layout of its state (see `Stepper.state`). Row r starts from
 * `initialStates[r]` (one row each: a condition's or an encoder's state; missing or null: zeros, as in training).
 */
export function openStepper(
  trained: TextGenerator, engine: EngineChoice, rows: number, initialStates: readonly (Float32Array | null | undefined)[] = [],
): { stepper: Stepper; layout: StateLayout } {
  const opened = 'ngram' in trained
    ? { stepper: new NgramStepper(trained.ngram, rows) as Stepper, layout: ngramStateLayout(trained.ngram) }
    : { stepper: selectEngine(engine, trained.network).createStepper(trained.network, trained.config, rows), layout: stateLayout(trained.config) };
  if (initialStates.every((state) => state == null)) return opened;
  try {
    opened.stepper.setState(stackStates(Array.from({ length: rows }, (_, r) => initialStates[r] ?? null), opened.layout));
    return opened;
  } catch (error) {
    opened.stepper.dispose();
    throw error;
  }
}
