/** The benchmark's report: measurements joined into rows, as a JSON document or as readable tables. */
import type { BackendName } from '../src/backend';
import type { CellType } from '../src/model';
import type { MemoryResult } from './memory';
import { formatNgramCounting, type NgramCountingResult } from './ngramCounting';
import { formatPageGeneration, type PageGenerationResult } from './pageGeneration';
import type { NativeStepProfile } from '../src/engines/native/addon';
import type { GptCacheMeasurement } from './gptCache';
import { GPT_BENCH_MODEL, type GptTrainingMeasurement } from './gptTraining';
import type { OurBackendResult } from './ours';
import { SEQ2SEQ_BENCH_MODEL, type Seq2SeqTrainingMeasurement } from './seq2seqTraining';
import { bestGeneration, bestTraining, type TorchResult } from './torch';
import { formatTable, integer, perThread, ratio, seconds } from './textTable';
import { type TorchThroughput, type VersusTorchRow, versusTorchSection } from './versusTorch';
import { type LmTrainingMeasurement, lmModelName, lmWorkloads } from './lmTraining';
import type { BenchPlan } from './workload';

/** Training throughput of one backend, cell and batch size, in characters per second. */
export interface TrainingRow {
  backend: BackendName;
  cell: CellType;
  batch: number;
  /** The native engine on 1 thread and on 2 (its own threads share each batch). */
  native: number | null;
  nativeTwoThreads: number | null;
  /** The fast engine on 1 thread and on 2 (worker threads share each batch), the tfjs-layers engine on 1. */
  fast: number | null;
  fastTwoThreads: number | null;
  layers: number | null;
  /** PyTorch's best over its thread counts, and each count's (the same on every backend row). */
  torchBest: number | null;
  torchByThreads: Record<number, number> | null;
  /** Our best (native engine, best of 1 and 2 threads) ÷ PyTorch best: above 1, ours is faster. */
  nativeOverTorch: number | null;
  /** The same for the fast engine. */
  fastOverTorch: number | null;
}

/** Time to generate the grid on one backend, in seconds, and speed ratios against PyTorch (above 1: ours is faster). */
export interface GenerationRow {
  backend: BackendName;
  samples: number;
  chars: number;
  batchedSeconds: number;
  oneAtATimeSeconds: number;
  torchBestSeconds: number | null;
  torchByThreads: Record<number, number> | null;
  batchedOverTorch: number | null;
  oneAtATimeOverTorch: number | null;
}

/** Everything `npm run bench` found: what `--json` prints. */
export interface BenchReport {
  settings: {
    quick: boolean;
    corpus: string;
    vocabSize: number;
    seqLen: number;
    units: number;
    generation: BenchPlan['generation'];
    cpus: number;
    node: string;
  };
  backends: { backend: BackendName; available: boolean; description: string }[];
  training: TrainingRow[];
  generation: GenerationRow[];
  /** Generation with a GPT's key–value cache, per backend. */
  gptCache: ({ backend: BackendName } & GptCacheMeasurement)[];
  /** GPT training throughput per backend, against PyTorch's best thread count. */
  gptTraining: VersusTorchRow<GptTrainingMeasurement>[];
  torchGpt: TorchThroughput;
  /** Sequence-to-sequence (attention) training throughput per backend, against PyTorch's best thread count. */
  seq2seqTraining: VersusTorchRow<Seq2SeqTrainingMeasurement>[];
  torchSeq2Seq: TorchThroughput;
  /** Word-level training throughput per backend (the lab's shape), against PyTorch's best thread count. */
  wordLevelTraining: VersusTorchRow<LmTrainingMeasurement>[];
  torchWordLevel: TorchThroughput;
  /** Conditional training throughput per backend (the lesson's model with a condition encoder), likewise. */
  conditionalTraining: VersusTorchRow<LmTrainingMeasurement>[];
  torchConditional: TorchThroughput;
  torch: { available: boolean; version: string | null; blas: string | null; note: string };
  memory: MemoryResult[];
  ngramCounting: NgramCountingResult;
  /** The web page's Generate button on wasm, now and before issue 30. */
  pageGeneration: PageGenerationResult;
  /**
   * Where a native training step goes (LSTM, batch 32, 2 threads, first backend measured), so the next
   * bottleneck shows.
   */
  stepProfile: { backend: BackendName; profile: NativeStepProfile } | null;
  /** Wall time of the whole benchmark. */
  seconds: number;
}

/** The step profile of the native engine on 2 threads, LSTM, batch 32, on the first backend that measured it. */
export function stepProfileOf(ours: readonly OurBackendResult[]): BenchReport['stepProfile'] {
  for (const result of ours) {
    if (!result.available) continue;
    const found = result.training.find(
      (m) => m.engine === 'native' && m.threads === 2 && m.cell === 'lstm' && m.batch === 32,
    );
    if (found?.profile !== undefined) return { backend: result.backend, profile: found.profile };
  }
  return null;
}

/** Joins our backends' measurements with PyTorch's into the report's training and generation rows. */
export function reportRows(
  ours: readonly OurBackendResult[],
  torch: TorchResult,
): Pick<BenchReport, 'training' | 'generation'> {
  const training: TrainingRow[] = [];
  const generation: GenerationRow[] = [];
  const torchGeneration = bestGeneration(torch);
  for (const result of ours) {
    if (!result.available) continue;
    const seen = new Set<string>();
    for (const { cell, batch } of result.training) {
      if (seen.has(`${cell} ${batch}`)) continue;
      seen.add(`${cell} ${batch}`);
      const speed = (engine: string, threads: number) =>
        result.training.find(
          (m) => m.engine === engine && m.threads === threads && m.cell === cell && m.batch === batch,
        )?.charsPerSecond ?? null;
      const reference = bestTraining(torch, cell, batch);
      const [native, nativeTwoThreads, fast, fastTwoThreads] = [
        speed('native', 1),
        speed('native', 2),
        speed('fast', 1),
        speed('fast', 2),
      ];
      const overTorch = (...speeds: (number | null)[]) => {
        const best = Math.max(...speeds.map((s) => s ?? 0));
        return best > 0 && reference !== null ? best / reference.best : null;
      };
      training.push({
        backend: result.backend,
        cell,
        batch,
        native,
        nativeTwoThreads,
        fast,
        fastTwoThreads,
        layers: speed('layers', 1),
        torchBest: reference?.best ?? null,
        torchByThreads: reference?.byThreads ?? null,
        nativeOverTorch: overTorch(native, nativeTwoThreads),
        fastOverTorch: overTorch(fast, fastTwoThreads),
      });
    }
    const { samples, chars, batchedSeconds, oneAtATimeSeconds } = result.generation;
    const torchSeconds = torchGeneration?.best ?? null;
    generation.push({
      backend: result.backend,
      samples,
      chars,
      batchedSeconds,
      oneAtATimeSeconds,
      torchBestSeconds: torchSeconds,
      torchByThreads: torchGeneration?.byThreads ?? null,
      batchedOverTorch: torchSeconds === null ? null : torchSeconds / batchedSeconds,
      oneAtATimeOverTorch: torchSeconds === null ? null : torchSeconds / oneAtATimeSeconds,
    });
  }
  return { training, generation };
}

/** The report as text: training, generation and memory tables, with notes on what was measured. */
export function formatReport(report: BenchReport): string {
  const { settings, torch, memory } = report;
  const workloads = lmWorkloads(settings.vocabSize);
  const lines: string[] = [];
  lines.push(
    `Training throughput, characters per second (${settings.corpus}, one-hot vocabulary ` +
      `${settings.vocabSize}, ${settings.units} units, ` +
      `sequence length ${settings.seqLen}, Adam, gradients clipped at norm 5; first step not timed)`,
    '',
    ...formatTable(
      [
        'backend',
        'cell',
        'batch',
        'native 1t',
        'native 2t',
        'fast 1t',
        'fast 2t',
        'layers 1t',
        'PyTorch best',
        '(per thread count)',
        'native ÷ PyTorch',
        'fast ÷ PyTorch',
      ],
      report.training.map((row) => [
        row.backend,
        row.cell,
        String(row.batch),
        integer(row.native),
        integer(row.nativeTwoThreads),
        integer(row.fast),
        integer(row.fastTwoThreads),
        integer(row.layers),
        integer(row.torchBest),
        perThread(row.torchByThreads, integer),
        ratio(row.nativeOverTorch),
        ratio(row.fastOverTorch),
      ]),
      2,
    ),
  );
  for (const backend of report.backends.filter((b) => !b.available))
    lines.push(`${backend.backend}: not measured — ${backend.description}`);
  if (report.stepProfile !== null) {
    const { backend, profile: p } = report.stepProfile;
    const phases: [string, number][] = [
      ['input projections', p.input],
      ['recurrence forward', p.recurrentForward],
      ['output layer + loss', p.output],
      ['recurrence backward', p.recurrentBackward],
      ['weight gradients', p.weightGradients],
      ['clipping + Adam', p.update],
    ];
    const total = phases.reduce((sum, [, ms]) => sum + ms, 0);
    lines.push(
      '',
      `Where a native step goes (LSTM, batch 32, 2 threads, ${backend}; ` +
        'the thread with the first half of each batch, ms per step):',
      '',
      ...formatTable(
        ['phase', 'ms', 'share'],
        phases.map(([name, ms]) => [name, ms.toFixed(2), `${((100 * ms) / total).toFixed(0)} %`]),
        1,
      ),
    );
  }
  const grid = settings.generation;
  lines.push(
    '',
    `Generation: ${grid.prompts.length} prompts × ${grid.temperatures.length} temperatures × ${grid.length} ` +
      `characters, untrained LSTM ${settings.units} ` +
      `(ours: engine auto, i.e. native where the addon is built; PyTorch: the lesson's generate_soft under ` +
      `torch.no_grad(); each the fastest of ${grid.repeats} runs; ratios are speed, above 1 = ours faster)`,
    '',
    ...formatTable(
      [
        'backend',
        'ours batched',
        'ours one at a time',
        'PyTorch best',
        '(per thread count)',
        'batched ÷ PyTorch',
        'one at a time ÷ PyTorch',
      ],
      report.generation.map((row) => [
        row.backend,
        seconds(row.batchedSeconds),
        seconds(row.oneAtATimeSeconds),
        seconds(row.torchBestSeconds),
        perThread(row.torchByThreads, seconds),
        ratio(row.batchedOverTorch),
        ratio(row.oneAtATimeOverTorch),
      ]),
      1,
    ),
  );
  if (!torch.available) lines.push(torch.note);
  lines.push(
    '',
    `GPT generation with the key–value cache: one seeded sample, tokens per second at 100 and at 1,000 tokens ` +
      `(past the context, re-encoding half of it; fastest of 3 runs; goal: slowdown ≤ 1.5×)`,
    '',
    ...formatTable(
      ['backend', 'model', 'at 100', 'at 1,000', 'slowdown'],
      report.gptCache.map((row) => [
        row.backend,
        row.model,
        integer(row.tokensPerSecondAt100),
        integer(row.tokensPerSecondAt1000),
        ratio(row.slowdown),
      ]),
      2,
    ),
  );
  lines.push(
    ...versusTorchSection(
      (version) =>
        `GPT training, characters per second (${GPT_BENCH_MODEL}; native: whole steps in C++, Adam included; ` +
        `layers: TensorFlow.js's Adam; PyTorch ${version}: the same GPT in bench/torch_gpt.py, Adam; goal: native ` +
        '≥ 2× PyTorch at its best)',
      report.gptTraining,
      { header: 'layers 1t', value: (row) => row.layers },
      report.torchGpt,
    ),
    ...versusTorchSection(
      (version) =>
        `Sequence-to-sequence training, target tokens per second (${SEQ2SEQ_BENCH_MODEL}; native: encoder and ` +
        "decoder in one C++ step, AdamW and clipping included; fast: TensorFlow.js's Adam; PyTorch " +
        `${version}: the same model in bench/torch_seq2seq.py, AdamW and clipping; goal: native ≥ 2× PyTorch at ` +
        'its best)',
      report.seq2seqTraining,
      { header: 'fast 1t', value: (row) => row.fast },
      report.torchSeq2Seq,
    ),
    ...versusTorchSection(
      (version) =>
        `Word-level training, tokens per second (${lmModelName(workloads.wordLevel)}; native: whole steps in C++, ` +
        `AdamW and clipping included; fast: TensorFlow.js's Adam; PyTorch ${version}: the same model in ` +
        'bench/torch_lm.py; goal: native ≥ 3× PyTorch at its best)',
      report.wordLevelTraining,
      { header: 'fast 1t', value: (row) => row.fast },
      report.torchWordLevel,
    ),
    ...versusTorchSection(
      (version) =>
        `Conditional training, tokens per second (${lmModelName(workloads.conditional)}; native: condition ` +
        `encoder and network in one C++ step, AdamW and clipping included; fast: TensorFlow.js's Adam; PyTorch ` +
        `${version}: the same model in bench/torch_lm.py; goal: native ≥ 2.5× PyTorch at its best)`,
      report.conditionalTraining,
      { header: 'fast 1t', value: (row) => row.fast },
      report.torchConditional,
    ),
  );
  const probe = memory[0];
  lines.push(
    '',
    `Peak memory (RSS) of \`gennet train\` on a ${probe.corpusMB.toFixed(0)} MB text corpus, ${probe.steps} steps on ` +
      `${probe.backend} (the default model with sequence length ${settings.seqLen}; a GPT on its context)`,
    '',
    ...formatTable(
      ['engine', 'model', 'peak RSS', 'goal', ''],
      memory.map((run) => [
        run.engine,
        run.model ?? 'default',
        `${run.peakRssMB.toFixed(0)} MB`,
        `${run.goalMB} MB`,
        run.peakRssMB <= run.goalMB ? 'within' : 'OVER',
      ]),
      1,
    ),
    ...new Set(memory.map((run) => `  ${run.command.replace(/--engine \S+/, '--engine ENGINE')}`)),
    '',
    ...formatNgramCounting(report.ngramCounting),
    '',
    ...formatPageGeneration(report.pageGeneration),
    '',
    `PyTorch: ${torch.available ? `${torch.version} with BLAS ${torch.blas}, ${torch.note}` : 'not measured'}. ` +
      `Machine: ${settings.cpus} CPUs, Node ${settings.node}. Benchmark took ${(report.seconds / 60).toFixed(1)} min.`,
  );
  return `${lines.join('\n')}\n`;
}
