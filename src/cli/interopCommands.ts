import { type Command, Option } from 'commander';
import * as path from 'node:path';
import { initBackend } from '../backend';
import { EXPORT_FORMATS, type ExportFormat, exportOnnx, exportPytorch, importPytorch, pythonFolder } from '../interop';
import { log, printJson } from './output';

/** `gennet export`: a model as an ONNX graph or a PyTorch folder. */
async function exportCommand(flags: { model: string; format: ExportFormat; out: string; json?: boolean }) {
  await initBackend();
  const summary =
    flags.format === 'onnx' ? await exportOnnx(flags.model, flags.out) : await exportPytorch(flags.model, flags.out);
  if (flags.json) return void printJson(summary);
  log(`exported ${flags.model} (${summary.model}) as ${flags.format} to ${flags.out}`);
  if (flags.format === 'pytorch')
    log(
      `next: python3 ${path.join(flags.out, 'model.py')} ${flags.out} --prompt "..." (greedy text), or ` +
        `python3 -m torch.distributed.run --nproc_per_node 2 ${path.join(flags.out, 'train_ddp.py')} ` +
        `--model ${flags.out} --text CORPUS.txt --out TRAINED (see the README)`,
    );
}

/** `gennet import`: a PyTorch folder as a gennet model folder. */
async function importCommand(flags: { from: string; out: string; json?: boolean }) {
  await initBackend();
  const summary = await importPytorch(flags.from, flags.out);
  for (const warning of summary.warnings) log(`import: warning: ${warning}`);
  if (flags.json) return void printJson(summary);
  log(
    `imported ${flags.from} (${summary.shape}; ${summary.vocab.size} ${summary.vocab.unit} tokens) to ` +
      `${flags.out}: gennet generate --model ${flags.out}`,
  );
}

/** Adds `export` and `import` to the CLI. */
export function addInteropCommands(program: Command): void {
  program
    .command('export')
    .description(
      'write a recurrent model for other engines: an ONNX graph (ONNX Runtime steps it token by token) or a ' +
        'PyTorch folder (safetensors weights, model.py, train_ddp.py for torch.distributed)',
    )
    .requiredOption('--model <dir>', 'model directory written by `gennet train` (a plain recurrent network)')
    .addOption(new Option('--format <format>', 'what to write').choices(EXPORT_FORMATS).makeOptionMandatory())
    .requiredOption(
      '--out <path>',
      'the .onnx file, or the folder of the PyTorch export (new, empty or exported before)',
    )
    .option('--json', 'print what was written as JSON')
    .action(exportCommand);
  program
    .command('import')
    .description('make a gennet model folder from a PyTorch model (safetensors weights and vocab.json)')
    .addOption(new Option('--format <format>', 'what to read').choices(['pytorch']).default('pytorch'))
    .requiredOption(
      '--from <dir>',
      `folder with model.safetensors, vocab.json and optionally config.json (a torch.save file: convert it with ` +
        `python3 ${path.join(path.relative(process.cwd(), pythonFolder()) || '.', 'convert_state_dict.py')})`,
    )
    .requiredOption('--out <dir>', 'model directory to write (new, or a gennet model folder to replace)')
    .option('--json', 'print what was imported as JSON')
    .action(importCommand);
}
