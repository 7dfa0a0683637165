import { type EngineChoice, selectEngine } from '../engines';
import { type GeneratorModel, type NgramGenerator, NgramStepper, type Stepper } from '../model';

/** What generates text: a network with its vocabulary and settings, or an n-gram model with its vocabulary. */
export type TextGenerator = GeneratorModel | NgramGenerator;

/**
 * A stepper advancing `rows` sequences of `trained` — an n-gram model's own, or the one `engine` (`auto`: the
 * fastest that can) creates for a network. Row r starts from `initialStates[r]` (one row each: a condition's or an
 * encoder's state; missing or null: the plain start, as in training).
 */
export function openStepper(
  trained: TextGenerator, engine: EngineChoice, rows: number, initialStates: readonly (Float32Array | null | undefined)[] = [],
): Stepper {
  const stepper: Stepper = 'ngram' in trained
    ? new NgramStepper(trained.ngram, rows)
    : selectEngine(engine, trained.network).createStepper(trained.network, trained.config, rows);
  if (initialStates.every((state) => state == null)) return stepper;
  try {
    stepper.start(initialStates.map((state) => (state == null ? null : { kind: 'state', state })));
    return stepper;
  } catch (error) {
    stepper.dispose();
    throw error;
  }
}
