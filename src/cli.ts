#!/usr/bin/env node
import { format } from 'node:util';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { addCompareCommand } from './cli/compare';
import { addEvaluateCommand } from './cli/evaluate';
import { addGenerateCommand } from './cli/generate';
import { addInteropCommands } from './cli/interopCommands';
import { addListCommands } from './cli/lists';
import { log } from './cli/output';
import { exitQuietlyOnClosedPipe } from './cli/signals';
import { addTemperaturesCommand } from './cli/temperatures';
import { addTrainCommand } from './cli/train';
import { addWebCommands } from './cli/webCommands';
import { printable } from './messages';
import { gennetVersion } from './version';

/**
 * The `gennet` command line: train, generate, temperatures, evaluate, compare, corpora, engines, models,
 * serve, export-web, export, import.
 */
export function buildCli(): Command {
  const program = new Command('gennet')
    .description('Character- and word-level RNN/GRU/LSTM text generators with TensorFlow.js')
    .showHelpAfterError()
    // Commander's own errors quote what was typed: escaped like every other line on stderr (see `log`).
    .configureOutput({ outputError: (message, write) => write(printable(message)) });
  program.version(gennetVersion());
  addTrainCommand(program);
  addGenerateCommand(program);
  addTemperaturesCommand(program);
  addEvaluateCommand(program);
  addCompareCommand(program);
  addListCommands(program);
  addWebCommands(program);
  addInteropCommands(program);
  return program;
}

/**
 * Runs the CLI; a user error is printed as one line without a stack trace and exits with status 1.
 * stdout carries only the command's output (text or JSON): libraries' console.log chatter (e.g. nodeplotlib's
 * server messages) goes to stderr.
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  console.log = (...args: unknown[]) => log(format(...args));
  exitQuietlyOnClosedPipe();
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    log(`gennet: error: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    tf.disposeVariables();
  }
}

if (require.main === module) void main();
