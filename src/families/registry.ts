import { type EngineChoice, selectEngine } from '../engines';
import { asConditioning, type RowStart, type Stepper } from '../model';
import type {
  CountedFamily,
  FamilyModel,
  FamilySupport,
  ModelDescription,
  ModelFamily,
  ModelFamilyBase,
  ModelSpec,
  NetworkConfig,
  NetworkFamily,
  NetworkModel,
} from './family';
import { gptFamily } from './gpt';
import { mlpFamily } from './mlp';
import { ngramFamily } from './ngram';
import { recurrentFamily } from './recurrent';

/** Every model family; a new one is one folder plus one line here. */
export const FAMILY_REGISTRY: readonly ModelFamily[] = [recurrentFamily, ngramFamily, mlpFamily, gptFamily];

/** The family called `name`; throws listing the families when there is none. */
export function familyNamed(name: string): ModelFamily {
  const found = FAMILY_REGISTRY.find((family) => family.name === name);
  if (found === undefined)
    throw new Error(
      `Unknown model family "${name}". The families are: ${FAMILY_REGISTRY.map((f) => f.name).join(', ')}.`,
    );
  return found;
}

/** The family of a trained or loaded model. */
export function familyOf(model: FamilyModel): ModelFamily {
  const found = FAMILY_REGISTRY.filter((family) => family.owns(model));
  if (found.length !== 1) {
    throw new Error(
      found.length === 0
        ? 'This object is not a model of any gennet family (a trained or loaded model has one).'
        : `This object looks like a model of several families (${found.map((f) => f.name).join(', ')}).`,
    );
  }
  return found[0];
}

/** The model in a few words (its family's description of it). */
export function describeModel(model: FamilyModel): ModelDescription {
  return (familyOf(model) as ModelFamilyBase<FamilyModel>).describe(model);
}

/** Whether `model` is a network (trained by gradient steps, saved as a layers model). */
export function isNetwork(model: FamilyModel): model is NetworkModel {
  return familyOf(model).training === 'steps';
}

/**
 * The engine that runs `model`'s steps for `choice` (`auto`: the fastest that can run its network), or null for a
 * family that runs on its own (no engine, no backend).
 */
export function engineOf(model: FamilyModel, choice: EngineChoice): string | null {
  return isNetwork(model) ? selectEngine(choice, model.network).name : null;
}

/** The family of a network model. */
export function networkFamilyOf(model: NetworkModel): NetworkFamily {
  const family = familyOf(model);
  if (family.training !== 'steps') throw new Error(`A ${family.name} model is counted, not a network.`);
  return family;
}

/** The family whose model a parsed `config.json` records; `dir` names the folder in the error. */
export function familyOfRecord(record: Readonly<Record<string, unknown>>, dir: string): ModelFamily {
  const owners = FAMILY_REGISTRY.filter((family) => family.ownsRecord(record));
  if (owners.length > 1) {
    throw new Error(
      `"${dir}" has a config.json that describes models of several families ` +
        `(${owners.map((f) => f.name).join(', ')}); ` +
        'it is damaged. Re-train or restore the model folder.',
    );
  }
  const found = owners.at(0);
  if (found === undefined) {
    const named = (record.model as { family?: unknown } | undefined)?.family;
    const which =
      named === undefined
        ? 'no family gennet knows'
        : `the family ${JSON.stringify(named)}, which this gennet does not know`;
    throw new Error(
      `"${dir}" holds a model of ${which} (it knows ${FAMILY_REGISTRY.map((f) => f.name).join(', ')}). ` +
        'Upgrade generative-networks, or re-train the model.',
    );
  }
  return found;
}

/** Narrows a family to the kind that counts its models. */
export const isCounted = (family: ModelFamily): family is CountedFamily => family.training === 'counts';

/** Reads one model spec (`lstm:2x256`, `gru`, `ngram:5`, `mlp:8x128`); throws listing the syntax of every family. */
export function parseModelSpec(spec: string): ModelSpec {
  for (const family of FAMILY_REGISTRY) {
    const parsed = family.parseSpec(spec.trim());
    if (parsed !== null) return parsed;
  }
  throw new Error(
    `Cannot read the model "${spec}": use ${FAMILY_REGISTRY.map((f) => f.spec.syntax).join(', or ')} ` +
      '(see gennet models).',
  );
}

/** Reads a list of specs such as `ngram:3,ngram:5,gru,lstm:2x256,mlp:8x128`; no spec twice. */
export function parseModelSpecs(list: string): ModelSpec[] {
  const specs = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseModelSpec);
  if (specs.length === 0) throw new Error('Give at least one model (e.g. --models ngram:5,lstm).');
  // The same model twice, however written (`lstm` and `lstm:1x128`).
  const key = (spec: ModelSpec) => JSON.stringify([spec.family, Object.entries(spec.settings).sort()]);
  const repeated = specs.find((spec, i) => specs.findIndex((other) => key(other) === key(spec)) !== i);
  if (repeated !== undefined) throw new Error(`The model "${repeated.label}" is listed twice.`);
  return specs;
}

/** The spec that the older flags (`--cell`, `--layers`, `--units`, `--order`) describe. */
export function specFromFlags(flags: Readonly<Record<string, unknown>>): ModelSpec {
  for (const family of FAMILY_REGISTRY) {
    const spec = family.specFromFlags?.(flags) ?? null;
    if (spec !== null) return parseModelSpec(spec);
  }
  throw new Error(`No model family has the cell "${String(flags.cell)}"; see gennet models.`);
}

/** What `gennet models` lists about a family. */
export interface FamilyInfo {
  name: string;
  description: string;
  spec: string;
  example: string;
  /** How it learns: gradient steps on an engine, or counts in one pass. */
  training: 'steps' | 'counts';
  engines: readonly string[];
  supports: FamilySupport;
}

/** Every family, for `gennet models`. */
export function describeFamilies(): FamilyInfo[] {
  return FAMILY_REGISTRY.map((f) => ({
    name: f.name,
    description: f.description,
    spec: f.spec.syntax,
    example: f.spec.example,
    training: f.training,
    engines: f.engines,
    supports: f.supports,
  }));
}

/** A new network of `spec` (plus other given settings) for a vocabulary; refused for a family that is not a network. */
export function networkConfigOf(
  spec: ModelSpec,
  given: Readonly<Record<string, unknown>>,
  vocab: NetworkModel['vocab'],
): { family: NetworkFamily; config: NetworkConfig } {
  const family = familyNamed(spec.family);
  if (family.training === 'counts')
    throw new Error(`"${spec.label}" is counted, not trained by steps; it has no network to build.`);
  return { family, config: family.resolveConfig({ ...given, ...spec.settings }, vocab) };
}

/**
 * A stepper advancing `rows` sequences of `trained` (on `engine`, `auto`: the fastest that can, for families that have
 * engines). Row r starts from `initialStates[r]` (one row each: a condition's or an encoder's state, or a source's
 * memory conditioning; missing or null: the plain start, as in training).
 */
export function openStepper(
  trained: FamilyModel,
  engine: EngineChoice,
  rows: number,
  initialStates: readonly (RowStart | null | undefined)[] = [],
): Stepper {
  const stepper = (familyOf(trained) as ModelFamilyBase<FamilyModel>).openStepper(trained, engine, rows);
  if (initialStates.every((state) => state == null)) return stepper;
  try {
    stepper.start(initialStates.map((start) => (start == null ? null : asConditioning(start))));
    return stepper;
  } catch (error) {
    stepper.dispose();
    throw error;
  }
}

/**
 * The sequence length a run of `specs` trains on: `given` when every one of them reads sequences that long (else it
 * is refused, naming the model), or when not given the shortest that one of them reads at most (a GPT's context), or
 * undefined: the data's default.
 */
export function sequenceLengthFor(specs: readonly ModelSpec[], given: number | undefined): number | undefined {
  const limits = specs.flatMap((spec) => {
    const family = familyNamed(spec.family);
    return family.training === 'steps' && family.longestSequence ? [{ spec, most: family.longestSequence(spec) }] : [];
  });
  const tooShort = limits.find(({ most }) => given !== undefined && given > most);
  if (tooShort !== undefined)
    throw new Error(
      `"${tooShort.spec.label}" reads at most ${tooShort.most} tokens at once, fewer than the sequence length ` +
        `${given}: give --seq-len ${tooShort.most} or less, or a longer context.`,
    );
  return given ?? (limits.length === 0 ? undefined : Math.min(...limits.map(({ most }) => most)));
}
