// Writes the saved-model fixtures (see savedModels.ts) with the current build: run it once, before a change that
// must keep old models loading and generating the same text, and commit test/fixtures/models/. Given names, it adds
// (or remakes) those fixtures only and keeps the others as they were saved — how a new kind of model gets its own.
// With `--engine ENGINE` and names, it keeps those saved folders and every other engine's expectations, and records
// ENGINE's (its generations and, for a retrained model, its training) — for an engine that learns to run a kind of
// model, or whose training arithmetic changes on purpose (say so in the commit).
//   npm run build:test && node build/test/makeSavedModels.js [--engine ENGINE] [NAME …]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type Expected,
  FIXTURE_CORPUS,
  FIXTURE_DIR,
  fixtureCorpus,
  readExpected,
  gennet,
  RETRAINED,
  runGenerations,
  runTraining,
  SAVED_MODELS,
  writeExpected,
} from './savedModels';

const args = process.argv.slice(2);
const engineFlag = args.indexOf('--engine');
const onlyEngine = engineFlag < 0 ? null : args[engineFlag + 1];
const names = engineFlag < 0 ? args : args.filter((_, i) => i !== engineFlag && i !== engineFlag + 1);
if (onlyEngine !== null && names.length === 0)
  throw new Error('--engine ENGINE records that engine for named fixtures.');
const unknown = names.filter((name) => !SAVED_MODELS.some((m) => m.name === name));
if (unknown.length > 0) throw new Error(`No saved model is called ${unknown.join(', ')}.`);
const remade = (name: string) => names.length === 0 || names.includes(name);
mkdirSync(FIXTURE_DIR, { recursive: true });
if (names.length === 0) writeFileSync(FIXTURE_CORPUS, fixtureCorpus());
const expected: Expected = names.length === 0 ? { generations: {}, training: {} } : readExpected();
for (const model of SAVED_MODELS.filter((m) => remade(m.name) && onlyEngine !== null)) {
  if (!model.engines.includes(onlyEngine!)) throw new Error(`${model.name} does not list the ${onlyEngine} engine.`);
  const dir = path.join(FIXTURE_DIR, model.name);
  expected.generations[model.name][onlyEngine!] = runGenerations(model, dir, onlyEngine);
}
for (const model of SAVED_MODELS.filter((m) => remade(m.name) && onlyEngine === null)) {
  const dir = path.join(FIXTURE_DIR, model.name);
  rmSync(dir, { recursive: true, force: true });
  gennet('train', ...model.train, '--out', dir);
  const engines = model.engines.length === 0 ? [null] : model.engines;
  expected.generations[model.name] = Object.fromEntries(
    engines.map((engine) => [engine ?? 'default', runGenerations(model, dir, engine)]),
  );
  console.log(model.name, JSON.stringify(expected.generations[model.name]).slice(0, 300));
}
const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-fixtures-'));
for (const name of RETRAINED.filter(remade)) {
  const model = SAVED_MODELS.find((m) => m.name === name)!;
  const engines = onlyEngine === null ? model.engines : [onlyEngine];
  expected.training[name] = {
    ...(onlyEngine === null ? {} : expected.training[name]),
    ...Object.fromEntries(
      engines.map((engine) => [engine, runTraining(model, path.join(work, `${name}-${engine}`), engine)]),
    ),
  };
  console.log(name, JSON.stringify(expected.training[name]));
}
rmSync(work, { recursive: true, force: true });
writeExpected(expected);
