// Writes the saved-model fixtures (see savedModels.ts) with the current build: run it once, before a change that
// must keep old models loading and generating the same text, and commit test/fixtures/models/.
//   npm run build:test && node build/test/makeSavedModels.js
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type Expected,
  FIXTURE_CORPUS,
  FIXTURE_DIR,
  fixtureCorpus,
  gennet,
  RETRAINED,
  runGenerations,
  runTraining,
  SAVED_MODELS,
  writeExpected,
} from './savedModels';

mkdirSync(FIXTURE_DIR, { recursive: true });
writeFileSync(FIXTURE_CORPUS, fixtureCorpus());
const expected: Expected = { generations: {}, training: {} };
for (const model of SAVED_MODELS) {
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
for (const name of RETRAINED) {
  const model = SAVED_MODELS.find((m) => m.name === name)!;
  expected.training[name] = Object.fromEntries(
    model.engines.map((engine) => [engine, runTraining(model, path.join(work, `${name}-${engine}`), engine)]),
  );
  console.log(name, JSON.stringify(expected.training[name]));
}
rmSync(work, { recursive: true, force: true });
writeExpected(expected);
