import type { Command } from 'commander';
import { builtinCorpora } from '../corpus';
import { describeEngines } from '../engines';
import { describeFamilies } from '../families';
import { printJson } from './output';

function corporaCommand(flags: { json?: boolean }): void {
  const list = builtinCorpora();
  if (flags.json) return void printJson(list);
  for (const c of list)
    process.stdout.write(`${c.name.padEnd(10)} ${c.offline ? 'built in ' : 'download '} ${c.description}\n`);
}

function modelsCommand(flags: { json?: boolean }): void {
  const list = describeFamilies();
  if (flags.json) return void printJson(list);
  for (const f of list) {
    const can = (Object.keys(f.supports) as (keyof typeof f.supports)[]).filter((key) => f.supports[key]);
    process.stdout.write(
      `${f.name.padEnd(10)} ${f.spec}  (e.g. ${f.example})\n           ${f.description}\n` +
        `           ${f.training === 'counts' ? 'counted, no engine' : `engines: ${f.engines.join(', ')}`}; ` +
        `supports: ${can.join(', ')}\n`,
    );
  }
}

function enginesCommand(flags: { json?: boolean }): void {
  const list = describeEngines();
  if (flags.json) return void printJson(list);
  for (const e of list)
    process.stdout.write(
      `${e.name.padEnd(8)} ${e.available ? 'available  ' : 'unavailable'} ${e.reason ?? e.description}\n`,
    );
}

/** Adds the listing commands to the CLI: `corpora`, `engines`, `models`. */
export function addListCommands(program: Command): void {
  program
    .command('corpora')
    .description('list the built-in corpora')
    .option('--json', 'print JSON')
    .action(corporaCommand);
  program
    .command('engines')
    .description('list the engines, whether each can run here, and why not')
    .option('--json', 'print JSON')
    .action(enginesCommand);
  program
    .command('models')
    .description('list the model families: their spec syntax, engines and what each supports')
    .option('--json', 'print JSON')
    .action(modelsCommand);
}
