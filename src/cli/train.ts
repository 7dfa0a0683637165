import { Command, Option } from 'commander';
import { describeBackend, initBackend } from '../backend';
import { LEVELS } from '../data';
import { selectEngine } from '../engines';
import { describeModel, familyNamed, type ModelSpec, parseModelSpec } from '../families';
import { ATTENTIONS, CELLS, DEFAULT_MODEL_CONFIG, INPUTS } from '../model';
import { createLivePage, lossFigure } from '../plot';
import {
  DEFAULT_CONDITION_DIM,
  describeTrainingPlan,
  liveLossPlot,
  logEachValidation,
  progressBar,
  runTraining,
  sampleEachEpoch,
  sampleStart,
  trainCountedRun,
} from '../session';
import { DEFAULT_TRAIN_CONFIG, emptyHistory, type StopReason, TrainCallback } from '../train';
import { gennetVersion } from '../version';
import { addDataOptions, addRunOptions, dataSettingsOf, decimal, flagName, integer, valMaxOf } from './options';
import { addStepOptions } from './stepOptions';
import { log, printJson } from './output';
import { SIGNAL_EXIT, stopOnSignals } from './signals';

import { modelSpecOf, NETWORK_ONLY, runOf, TASKS, type TrainFlags } from './trainFlags';

/** `gennet train` of a counted family (`ngram:5`): counts the model in seconds, scores it as a network, saves it. */
async function countedTrainCommand(flags: TrainFlags, command: Command, spec: ModelSpec): Promise<void> {
  const refused: string[] = NETWORK_ONLY.filter((key) => command.getOptionValueSource(key) === 'cli');
  if (flags.task !== 'lm') refused.push('task');
  const names = refused.map((key) => (key === 'samples' ? '--no-samples' : flagName(key)));
  if (refused.length > 0)
    throw new Error(
      `${names.join(', ')} ${refused.length === 1 ? 'does' : 'do'} not apply to ${spec.label}, a counted ` +
        `model; drop ${refused.length === 1 ? 'it' : 'them'}.`,
    );
  if (flags.corpus === undefined) throw new Error("required option '--corpus <name|path>' not specified.");
  if (flags.out === undefined) throw new Error("required option '--out <dir>' not specified.");
  const { model, summary } = await trainCountedRun(
    {
      data: { ...dataSettingsOf(flags, command), corpus: flags.corpus },
      spec,
      batchSize: flags.batch ?? DEFAULT_TRAIN_CONFIG.batchSize,
      valMaxTokens: valMaxOf(flags),
    },
    flags.out,
    log,
  );
  if (flags.json) return void printJson({ ...summary, gennetVersion: gennetVersion() });
  const val =
    summary.valLoss === null
      ? ''
      : `, val loss ${summary.valLoss.toFixed(3)} nats/${summary.level} ` +
        `(${summary.valBitsPerChar!.toFixed(2)} bits/char)`;
  process.stdout.write(
    `Saved ${flags.out}: ${describeModel(model).shape}, ${summary.params} counts, train loss ` +
      `${summary.trainLoss.toFixed(3)}${val}, ${summary.seconds.toFixed(2)} s\n`,
  );
}

async function trainCommand(flags: TrainFlags, command: Command): Promise<void> {
  const spec = flags.resume === undefined ? modelSpecOf(flags, command) : null;
  if (spec !== null && familyNamed(spec.family).training === 'counts') return countedTrainCommand(flags, command, spec);
  await initBackend(flags.backend);
  log(`backend: ${describeBackend()}`);
  const run = await runOf(flags, command, spec!);
  const { model, data, out, settings, conditions, source } = run;
  // Once the steps are over, Ctrl-C quits at once again: the model is saved atomically, the last checkpoint
  // stays whole.
  const callbacks: TrainCallback[] = [progressBar(), logEachValidation(log), { onTrainEnd: () => signals.remove() }];
  if (flags.samples) {
    // A sequence-to-sequence model shows its greedy translation of one source; others a sample at T = 0.8.
    const temperature = source === null ? 0.8 : 0;
    callbacks.push(
      sampleEachEpoch(model, {
        temperature,
        seed: settings.training.seed,
        engine: settings.training.engine,
        log,
        from: sampleStart(run),
      }),
    );
  }
  const page = flags.plot ? createLivePage({ layout: lossFigure(emptyHistory()).layout }) : null;
  if (page) {
    callbacks.push(liveLossPlot(page, 5, { unit: data.vocab.unit }));
    log(`live loss plot: ${await page.url}`);
  }
  const encoderParams = (conditions ?? source)?.encoder.countParams() ?? 0;
  log(
    `training ${describeModel(model).shape} (${model.network.countParams() + encoderParams} ` +
      `parameters${encoderParams > 0 ? `, ${encoderParams} of them the encoder's` : ''}), ` +
      `${data.vocab.unit} vocabulary ${data.vocab.size}` +
      (data.vocab.unit === 'word' ? ` (${data.charsPerToken.toFixed(2)} characters per token)` : '') +
      `, engine ${selectEngine(settings.training.engine, model.network).name}` +
      (conditions === null
        ? ''
        : '; conditions ' +
          `${conditions.config.conditions.map((c) => `${c.column} (${c.values.length} values)`).join(', ')}`) +
      (source === null
        ? ''
        : `; encoder of ${settings.data.sourceColumn} (${source.vocab.unit} vocabulary ${source.vocab.size}, ` +
          `sources up to ${source.config.maxLen} tokens)`),
  );
  log(`plan: ${describeTrainingPlan(settings.training)}`);
  const controller = new AbortController();
  const signals = stopOnSignals(controller, out);
  const { result, summary } = await runTraining(run, { callbacks, signal: controller.signal }).finally(() => {
    void page?.close();
    signals.remove();
  });
  if (summary === null) {
    log(
      `Interrupted at step ${result.steps}: saved a resumable ` +
        `checkpoint to ${out}. Continue with: gennet train --resume ${out}`,
    );
    process.exitCode = SIGNAL_EXIT[signals.received() ?? 'SIGINT'];
  } else if (flags.json) printJson({ ...summary, gennetVersion: gennetVersion() });
  else {
    const shuffledLoss = summary.valLossShuffledConditions ?? summary.valLossShuffledSources;
    const shuffled =
      shuffledLoss == null
        ? ''
        : `; with shuffled ${summary.source === undefined ? 'conditions' : 'sources'} ${shuffledLoss.toFixed(3)}`;
    const val =
      summary.valLoss === null
        ? ''
        : `, val loss ${summary.valLoss.toFixed(3)} nats/${summary.level} ` +
          `(perplexity ${summary.valPerplexity!.toFixed(1)}, ` +
          `${summary.valBitsPerChar!.toFixed(2)} bits/char${shuffled})`;
    const stopped: Record<StopReason, string> = {
      epochs: 'its last epoch',
      'max-steps': '--max-steps',
      patience: '--patience',
      minutes: 'its time budget',
      interrupted: 'a signal',
    };
    const kept = summary.bestStep === null ? '' : `; kept the best validation, step ${summary.bestStep}`;
    process.stdout.write(
      `Saved ${out}: ${summary.steps} steps (stopped by ${stopped[summary.stopReason]}${kept}), train loss ` +
        `${summary.trainLoss.toFixed(3)}${val}, ${summary.charsPerSecond} chars/s\n`,
    );
  }
}

/** Adds `train` to the CLI: a network's run (new, or `--resume`d), or a counted model's. */
export function addTrainCommand(program: Command): void {
  const train = program
    .command('train')
    .description('train a generator on a corpus and save it to a model directory (Ctrl-C saves a resumable checkpoint)')
    .option('--resume <dir>', 'continue the interrupted run saved in <dir> with its own settings')
    .option(
      '--condition <column...>',
      'train a conditional model: each value of these columns gets a learned vector that sets the initial state ' +
        '(a numeric column grouped: year:decade, year:century)',
    )
    .option(
      '--condition-dim <n>',
      "with --condition: size of each value's learned vector",
      integer(1, 4096),
      DEFAULT_CONDITION_DIM,
    )
    .addOption(
      new Option(
        '--task <task>',
        'lm: a language model (plain, or conditional with --condition); ' +
          'seq2seq: an encoder–decoder from one column to another',
      )
        .choices(TASKS)
        .default('lm'),
    )
    .option('--source-column <name>', 'with --task seq2seq: the column the encoder reads')
    .option('--target-column <name>', 'with --task seq2seq: the column the decoder learns to write')
    .addOption(
      new Option(
        '--attention <kind>',
        'with --task seq2seq: the decoder attends to every encoder output, scoring them multiplicatively (luong) or ' +
          "additively (bahdanau), or sees only the encoder's final state (none)",
      ).choices(ATTENTIONS),
    )
    .option('--bidirectional', 'with --task seq2seq: the encoder reads the source both ways (half the units each)')
    .option(
      '--encoder-dropout <rate>',
      "with --task seq2seq: dropout on the encoder's outputs (after each layer below the top, and the top one with " +
        '--attention; default 0)',
      decimal((n) => n >= 0 && n < 1, 'in [0, 1)'),
    )
    .addOption(
      new Option(
        '--source-level <level>',
        "with --task seq2seq: source tokens (the target's are --level; default char)",
      ).choices(LEVELS),
    );
  addDataOptions(train)
    .option(
      '--model <spec>',
      'the model as a spec: lstm:2x256, gru, ngram:5, mlp:8x128… ' +
        '(see gennet models; instead of --cell, --layers, --units, --order)',
      parseModelSpec,
    )
    .addOption(
      new Option('--cell <cell>', 'recurrent cell, or ngram for a Markov chain (interpolated Kneser–Ney)')
        .choices([...CELLS, 'ngram'])
        .default(DEFAULT_MODEL_CONFIG.cell),
    )
    .option(
      '--order <n>',
      'with --cell ngram: the order N ' + '(the last N − 1 tokens are the context)',
      integer(1, 12),
      5,
    )
    .option('--layers <n>', 'recurrent layers', integer(1, 16), DEFAULT_MODEL_CONFIG.layers)
    .option(
      '--units <n>',
      'units per layer',
      integer(1, 4096, ' (an LSTM layer of 4096 units already has 67 M recurrent weights)'),
      DEFAULT_MODEL_CONFIG.units,
    )
    .addOption(
      new Option('--input <kind>', 'input encoding (default: onehot for characters, embedding for words)').choices(
        INPUTS,
      ),
    )
    .option(
      '--embedding-dim <n>',
      'embedding size (with --input embedding)',
      integer(1, 4096),
      DEFAULT_MODEL_CONFIG.embeddingDim,
    )
    .option(
      '--dropout <rate>',
      'dropout between layers',
      decimal((n) => n >= 0 && n < 1, 'in [0, 1)'),
      DEFAULT_MODEL_CONFIG.dropout,
    )
    .option('--epochs <n>', 'passes over the training text (default: chosen for the run, see the README)', integer(1))
    .option(
      '--minutes <m>',
      'a time budget: train m minutes, then validate and save the best model',
      decimal((n) => n > 0 && n <= 525_600, 'in (0, 525600]'),
    )
    .option(
      '--clip <x>',
      'clip gradients to this global norm (0 = off)',
      decimal((n) => n >= 0, '≥ 0'),
      DEFAULT_TRAIN_CONFIG.clipNorm!,
    )
    .option('--out <dir>', 'model directory to write (checkpointed at every epoch end; with --resume: default <dir>)')
    .option('--no-samples', 'do not print a sample after each epoch')
    .option('--accept-changed-corpus', 'with --resume: go on although the corpus text changed since the run started')
    .option('--plot', 'stream a live loss curve to a local web page (nodeplotlib; the tab keeps the final curve)');
  addStepOptions(train);
  addRunOptions(train, 'print a JSON summary on stdout (progress stays on stderr)').action(trainCommand);
}
