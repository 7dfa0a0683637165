import * as tf from '@tensorflow/tfjs';
import { DataSettings, DEFAULT_DATA_SETTINGS, LineDataset, prepareCorpusData, TokenData } from '../data';
import type { EngineChoice } from '../engines';
import {
  checkRunSettings,
  checkSaveTarget,
  loadArtifact,
  loadRunState,
  refuseOtherWriter,
  saveArtifact,
  SavedRun,
  SaveOptions,
  withModelFolderLock,
} from '../io';
import {
  networkConfigOf,
  networkFamilyOf,
  type NetworkModel,
  parseModelSpec,
  sequenceLengthFor,
  specFromFlags,
} from '../families';
import { conditionState, encodeSources, type ModelConfig } from '../model';
import {
  checkTrainConfig,
  checkTrainingFits,
  DEFAULT_TRAIN_CONFIG,
  disposeRunState,
  RunState,
  summarizeRun,
  train,
  TrainCallback,
  TrainConfig,
  TrainResult,
  TrainSummary,
} from '../train';
import { PAD_ID } from '../vocab';
import { checkpointEachValidation, type SampleStart } from './callbacks';
import { conditionsForRun, DEFAULT_CONDITION_DIM, RunConditions } from './runConditions';
import { RunSource, sourceForRun } from './runSource';
import { chosenNetwork, chosenTraining } from './runDefaults';
import { printable, quoted } from '../messages';

/** What a new run is given: the corpus, and any settings that differ from the defaults. */
export interface NewRunSettings {
  /** Corpus and data settings (`corpus` is required, the rest default to {@link DEFAULT_DATA_SETTINGS}). */
  data: Partial<DataSettings> & { corpus: string };
  /**
   * The model: a spec (`lstm:2x256`, `mlp:8x128`, see `gennet models`; without one the recurrent settings given here)
   * and any other settings of its family (`embeddingDim`, `dropout`, `seed`…). Told none of its shape (no spec, cell,
   * layers or units), the network chosen for the corpus's size (see `chosenNetwork`). A recurrent network's input
   * defaults to one-hot for characters and an embedding for words.
   */
  model?: { spec?: string } & Partial<Omit<ModelConfig, 'vocabSize' | 'family'>> & Record<string, unknown>;
  /** Training settings; those not given are chosen for the data (see `chosenTraining`; `charsPerToken` is measured). */
  training?: Partial<Omit<TrainConfig, 'charsPerToken'>>;
  /**
   * With `data.conditions`: the size of each condition value's learned vector (default {@link DEFAULT_CONDITION_DIM}).
   */
  conditionDim?: number;
}

/** A training run ready to go: its model, data and settings, and where it saves. */
export interface TrainingRun {
  /** Model directory: checkpoints at every epoch end, the model at the end. */
  out: string;
  model: NetworkModel;
  data: TokenData;
  /** The data settings as resolved (corpus source, columns) and the training settings. */
  settings: { data: DataSettings; training: TrainConfig };
  /** Where an interrupted run stood; null for a new run. */
  resume: RunState | null;
  /** SHA-256 of the corpus text (saved with the run, checked when it resumes). */
  corpusSha256: string;
  /** A conditional run's condition encoder and its documents' condition ids; null for other models. */
  conditions: RunConditions | null;
  /**
   * A sequence-to-sequence run's encoder side and its documents' source ids (the model is its decoder); null
   * for others.
   */
  source: RunSource | null;
}

/** Settings a resumed run may change: how it runs and where it saves, not what it computes. */
export interface ResumeOptions {
  /** Save to another directory (default: the one resumed). */
  out?: string;
  /** Threads for the rest of the run (default: as saved). */
  threads?: number;
  /** Engine for the rest of the run (default: as saved); the same function, though dropout masks differ by engine. */
  engine?: EngineChoice;
  /** Go on although the corpus text changed since the run started (edited or reordered): it trains on the new text. */
  acceptChangedCorpus?: boolean;
}

/** Model settings that give a network's shape: a run told none of them chooses one for its text. */
const SHAPE_SETTINGS = ['cell', 'layers', 'units', 'order'];

/** A line of progress for the user (stderr in the CLI, the cell output in notebooks). */
export type Log = (line: string) => void;

/** The entries of `settings` that hold a value (an explicit `undefined` must not replace a default). */
export function given<T extends object>(settings: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(settings ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Prepares a new run: checks and completes the settings, loads and prepares the corpus, checks that training the
 * network fits in memory (see `checkTrainingFits`), builds it.
 */
export async function newRun(settings: NewRunSettings, out: string, log: Log = () => {}): Promise<TrainingRun> {
  // Pairs are read one per example: a sequence-to-sequence run's mode is lines unless it says otherwise (and
  // is refused).
  const mode = settings.data.sourceColumn != null && settings.data.mode === undefined ? { mode: 'lines' as const } : {};
  const { spec, ...modelSettings } = given(settings.model);
  const givenSpec = spec === undefined ? null : parseModelSpec(spec);
  const seqLen = sequenceLengthFor(givenSpec === null ? [] : [givenSpec], settings.data.seqLen);
  const dataSettings: DataSettings = {
    ...DEFAULT_DATA_SETTINGS,
    ...mode,
    ...given(settings.data),
    ...given({ seqLen }),
    corpus: settings.data.corpus,
  };
  checkRunSettings(dataSettings, { ...DEFAULT_TRAIN_CONFIG, ...given(settings.training) });
  await checkSaveTarget(out);
  const prepared = await prepareCorpusData(dataSettings, log);
  const { data } = prepared;
  const shapeGiven = spec !== undefined || SHAPE_SETTINGS.some((key) => key in modelSettings);
  // Told nothing of its shape, a run builds the network chosen for its text (see `chosenNetwork`).
  const chosen = shapeGiven ? null : chosenNetwork(data);
  const modelSpec = givenSpec ?? parseModelSpec(chosen?.spec ?? specFromFlags(modelSettings).label);
  const { family, config } = networkConfigOf(
    modelSpec,
    chosen === null ? modelSettings : { dropout: chosen.dropout, ...modelSettings },
    data.vocab,
  );
  const training = chosenTraining(given(settings.training), data);
  checkTrainConfig(training); // before the network is built
  checkTrainingFits(modelSpec.label, family, config, {
    ...training,
    seqLen: prepared.settings.seqLen,
  });
  const conditions = conditionsForRun(
    prepared.corpus,
    family,
    config,
    settings.conditionDim ?? DEFAULT_CONDITION_DIM,
    null,
  );
  const source = sourceForRun(prepared.source, family, config, null);
  return {
    out,
    data,
    resume: null,
    corpusSha256: prepared.corpusSha256,
    conditions,
    source,
    model: { network: family.build(config), vocab: data.vocab, config },
    settings: { data: prepared.settings, training },
  };
}

/**
 * Prepares the rest of the unfinished run saved in `dir` (by the CLI, a notebook or a checkpoint): its model, the
 * same data from the same corpus, its settings and the state it stopped in. Refuses a corpus whose text changed.
 */
export async function resumeRun(dir: string, options: ResumeOptions = {}, log: Log = () => {}): Promise<TrainingRun> {
  if (options.out !== undefined) await checkSaveTarget(options.out);
  await refuseOtherWriter(dir); // its model and run state must come from one save
  const artifact = await loadArtifact(dir);
  let resume: RunState | null = null;
  try {
    const saved = artifact.saved.run;
    if (saved === null)
      throw new Error(`"${dir}" records no training run to resume (it was saved without one). Start a new run.`);
    resume = await loadRunState(dir);
    const { corpus, data, settings, corpusSha256, source: sources } = await prepareCorpusData(saved.data, log);
    if (JSON.stringify(data.vocab.toJSON()) !== JSON.stringify(artifact.vocab.toJSON())) {
      throw new Error(
        `The corpus "${saved.data.corpus}" is not the text the run in "${dir}" started on (its vocabulary ` +
          'differs); resuming needs the same corpus.',
      );
    }
    if (saved.corpusSha256 !== null && saved.corpusSha256 !== corpusSha256) {
      if (options.acceptChangedCorpus !== true) {
        throw new Error(
          `The corpus "${saved.data.corpus}" changed since the run in "${dir}" started (same characters, ` +
            'different text: edited or reordered); ' +
            'resuming would train on other text than the first steps did. Restore it, start a new run, or ' +
            'pass --accept-changed-corpus to go on with the new text.',
        );
      }
      log(
        `corpus: warning: the text changed since the run started; going on with the new text (--accept-changed-corpus)`,
      );
    }
    log(`resuming ${dir} at step ${resume.step} (epoch ${resume.epoch}, batch ${resume.batchInEpoch})`);
    const training = { ...saved.training, ...given({ threads: options.threads, engine: options.engine }) };
    const family = networkFamilyOf(artifact);
    const conditions = conditionsForRun(
      corpus,
      family,
      artifact.config,
      artifact.conditions?.config.dim ?? DEFAULT_CONDITION_DIM,
      artifact.conditions,
      true,
    );
    const source = sourceForRun(sources, family, artifact.config, artifact.source, true);
    return {
      out: options.out ?? dir,
      data,
      resume,
      corpusSha256,
      conditions,
      source,
      model: { network: artifact.network, vocab: artifact.vocab, config: artifact.config },
      settings: { data: settings, training },
    };
  } catch (error) {
    artifact.network.dispose();
    artifact.conditions?.encoder.dispose();
    artifact.source?.encoder.dispose();
    if (resume !== null) disposeRunState(resume);
    throw error;
  }
}

/** How a run ended. */
export interface RunOutcome {
  result: TrainResult;
  /** The summary saved with the finished model; null when the run was interrupted. */
  summary: TrainSummary | null;
}

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  /** Progress bars, samples, plots… (the run adds its own checkpoint at every epoch end). */
  callbacks?: TrainCallback[];
  /** When aborted, the run stops before its next step and saves a resumable checkpoint. */
  signal?: AbortSignal;
}

/**
 * Trains a prepared run to its end, or until `signal` aborts it, saving the model in `run.out`: at every epoch end
 * (with the state to resume from), when interrupted (ditto), and finished with its summary. The run holds the
 * folder's writer lock throughout, so a second writer is refused before it trains. A resumed run's saved optimizer
 * state is released once used.
 */
export function runTraining(run: TrainingRun, options: RunTrainingOptions = {}): Promise<RunOutcome> {
  return withModelFolderLock(run.out, () => trainAndSave(run, options)).catch((error: unknown) => {
    if (run.resume !== null) disposeRunState(run.resume);
    throw error;
  });
}

async function trainAndSave(run: TrainingRun, options: RunTrainingOptions): Promise<RunOutcome> {
  const { model, data, settings, out } = run;
  const record: Omit<SavedRun, 'history' | 'summary'> = {
    data: settings.data,
    training: settings.training,
    corpusSha256: run.corpusSha256,
  };
  const encoders = savedEncoders(run);
  const callbacks = [...(options.callbacks ?? []), checkpointEachValidation(out, model, record, encoders)];
  const encoded = run.conditions ?? run.source;
  const trained =
    encoded === null
      ? model.network
      : {
          generator: model.network,
          encoder: encoded.encoder,
          layout: networkFamilyOf(model).stateLayout(model.config)!,
          documentIds: encoded.documentIds,
        };
  const result = await train(trained, data, settings.training, callbacks, {
    resume: run.resume ?? undefined,
    signal: options.signal,
  }).finally(() => run.resume !== null && disposeRunState(run.resume));
  if (result.interrupted !== null) {
    try {
      await saveArtifact(out, model, {
        run: { ...record, history: result.history, summary: null },
        runState: result.interrupted,
        ...encoders,
      });
    } finally {
      disposeRunState(result.interrupted);
    }
    return { result, summary: null };
  }
  const params = model.network.countParams() + (encoded?.encoder.countParams() ?? 0);
  const summary = summarizeRun(result, data, {
    backend: tf.getBackend(),
    threads: settings.training.threads,
    params,
    out,
    conditions: run.conditions?.config.conditions,
    source:
      run.source === null
        ? undefined
        : {
            column: settings.data.sourceColumn!,
            level: run.source.vocab.unit,
            vocabSize: run.source.vocab.size,
            maxLen: run.source.config.maxLen,
          },
  });
  await saveArtifact(out, model, { run: { ...record, history: result.history, summary }, ...encoders });
  return { result, summary };
}

/**
 * What a run saves beside its network: a conditional model's condition encoder, a sequence-to-sequence model's
 * source side.
 */
function savedEncoders(run: TrainingRun): Pick<SaveOptions, 'conditions' | 'source'> {
  if (run.conditions !== null)
    return { conditions: { config: run.conditions.config, encoder: run.conditions.encoder } };
  if (run.source !== null)
    return { source: { config: run.source.config, encoder: run.source.encoder, vocab: run.source.vocab } };
  return {};
}

/**
 * Where the samples shown while a conditional or sequence-to-sequence run trains start: the commonest condition
 * values, or the source of the first validation pair (the first pair without a validation split); undefined for a
 * plain language model.
 */
export function sampleStart(run: TrainingRun): SampleStart | undefined {
  const { conditions, source } = run;
  if (conditions !== null) {
    const label = conditions.config.conditions
      .map((c, j) => printable(`${c.column}=${conditions.commonest[j]}`, 'inline'))
      .join(', ');
    return { label, state: () => conditionState(conditions.encoder, conditions.config, conditions.commonest) };
  }
  if (source === null) return undefined;
  const val = run.data.val;
  const document = val instanceof LineDataset ? (val.documents?.[0] ?? 0) : 0;
  const { maxLen } = source.config;
  const ids = source.documentIds.slice(document * maxLen, (document + 1) * maxLen);
  // for the label; the state comes from the ids themselves
  const text = source.vocab.decode(ids.filter((id) => id !== PAD_ID));
  return { label: `source ${quoted(text)}`, state: () => encodeSources(source.encoder, ids, maxLen)[0] };
}
