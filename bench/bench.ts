/**
 * `npm run bench`: training throughput and generation speed of our char-level generators on every TensorFlow.js
 * backend, against the PyTorch model of the lesson, peak memory when training on a 50 MB corpus, and the time and
 * memory of counting an n-gram model.
 * Prints tables (or, with `--json`, one JSON document) on stdout; progress goes to stderr.
 */
import { cpus } from 'node:os';
import { Command } from 'commander';
import { ENGINES } from '../src/engines';
import { progress } from './children';
import { measurePeakRss } from './memory';
import { measureNgramCounting } from './ngramCounting';
import { measurePageGeneration } from './pageGeneration';
import { runOurBackend, type OurBackendResult } from './ours';
import { formatReport, reportRows, stepProfileOf, type BenchReport } from './table';
import { versusTorchRows } from './versusTorch';
import { runTorchSeq2Seq } from './seq2seqTraining';
import { lmWorkloads, runTorchLm } from './lmTraining';
import { runTorchGpt } from './gptTraining';
import { PYTHON, runTorchReference } from './torch';
import { benchPlan, CORPUS, GPT_SPEC, loadWorkload, SEQ_LEN, UNITS } from './workload';

/** Runs every part of the benchmark in turn (never two at once: they would share the CPUs) and prints the report. */
async function bench(flags: { quick: boolean; json: boolean }): Promise<void> {
  const started = performance.now();
  const plan = benchPlan(flags.quick);
  progress(`bench${plan.quick ? ' (quick)' : ''}: loading ${CORPUS}`);
  const workload = await loadWorkload();

  const ours: OurBackendResult[] = [];
  for (const backend of plan.backends) {
    progress(`ours on ${backend}`);
    const result = await runOurBackend(backend, plan.quick);
    if (!result.available) progress(`  ${backend} not available: ${result.reason}`);
    ours.push(result);
  }

  progress(`PyTorch reference (${PYTHON})`);
  const torch = await runTorchReference(workload, plan);
  const torchNote = torch.available
    ? `best of ${plan.torch.threads.join(' and ')} threads (torch.set_num_threads) and of ` +
      `${plan.torch.repeats} runs of each configuration, ${plan.torch.warmupSteps} warm-up steps`
    : `PyTorch not found — install python3-torch (Debian) to compare (${torch.reason})`;
  if (!torch.available) progress(`  ${torchNote}`);

  progress(`PyTorch GPT (${PYTHON})`);
  const torchGpt = await runTorchGpt(workload.data.vocab.size, plan.quick);

  progress(`PyTorch sequence-to-sequence (${PYTHON})`);
  const torchSeq2Seq = await runTorchSeq2Seq(plan.quick);

  const workloads = lmWorkloads(workload.data.vocab.size);
  progress(`PyTorch word level (${PYTHON})`);
  const torchWordLevel = await runTorchLm(workloads.wordLevel, plan.quick);
  progress(`PyTorch conditional (${PYTHON})`);
  const torchConditional = await runTorchLm(workloads.conditional, plan.quick);

  progress(`peak memory: training on a ${plan.memory.corpusMegabytes} MB corpus`);
  const memory = await measurePeakRss(plan.memory.corpusMegabytes, plan.memory.maxSteps, [
    ...ENGINES.map((engine) => ({ engine })),
    { engine: 'native', model: GPT_SPEC }, // the goal: `--model gpt:4x128` on 50 MB within 1 GB
  ]);

  progress('n-gram counting: order 5, words of sotu');
  const ngramCounting = await measureNgramCounting();

  progress('web page: Generate in headless Chromium on wasm, now and before issue 30');
  const pageGeneration = await measurePageGeneration(plan.quick);

  const report: BenchReport = {
    settings: {
      quick: plan.quick,
      corpus: CORPUS,
      vocabSize: workload.data.vocab.size,
      seqLen: SEQ_LEN,
      units: UNITS,
      generation: plan.generation,
      cpus: cpus().length,
      node: process.versions.node,
    },
    backends: ours.map((result) => ({
      backend: result.backend,
      available: result.available,
      description: result.available ? result.description : result.reason,
    })),
    ...reportRows(ours, torch),
    gptCache: ours.flatMap((result) => (result.available ? [{ backend: result.backend, ...result.gptCache }] : [])),
    gptTraining: versusTorchRows(ours, (result) => result.gptTraining, torchGpt),
    torchGpt,
    seq2seqTraining: versusTorchRows(ours, (result) => result.seq2seqTraining, torchSeq2Seq),
    torchSeq2Seq,
    wordLevelTraining: versusTorchRows(ours, (result) => result.wordLevelTraining, torchWordLevel),
    torchWordLevel,
    conditionalTraining: versusTorchRows(ours, (result) => result.conditionalTraining, torchConditional),
    torchConditional,
    torch: {
      available: torch.available,
      version: torch.available ? torch.version : null,
      blas: torch.available ? torch.blas : null,
      note: torchNote,
    },
    memory,
    ngramCounting,
    pageGeneration,
    stepProfile: stepProfileOf(ours),
    seconds: (performance.now() - started) / 1000,
  };
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

new Command('bench')
  .description('measure training and generation speed against PyTorch, and peak memory on a 50 MB corpus')
  .option('--quick', 'a smoke run of every part (LSTM, batch 32, short timings, a 5 MB corpus)', false)
  .option('--json', 'print one JSON document instead of tables', false)
  .action(bench)
  .parseAsync()
  .catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
