import { type EngineChoice, selectEngine, type Stepper } from '../engines';
import { type GeneratorModel, type NgramGenerator, NgramStepper, ngramStateLayout, type StateLayout, stateLayout } from '../model';

/** What generates text: a network with its vocabulary and settings, or an n-gram model with its vocabulary. */
export type TextGenerator = GeneratorModel | NgramGenerator;

/**
 * A stepper advancing `rows` sequences of `trained` — an n-gram model's own, or the one `engine` (`auto`: the
 * fastest that can) creates for a network — and the layout of its state (see `Stepper.state`).
 */
export function openStepper(trained: TextGenerator, engine: EngineChoice, rows: number): { stepper: Stepper; layout: StateLayout } {
  if ('ngram' in trained) return { stepper: new NgramStepper(trained.ngram, rows), layout: ngramStateLayout(trained.ngram) };
  return { stepper: selectEngine(engine, trained.network).createStepper(trained.network, trained.config, rows), layout: stateLayout(trained.config) };
}
