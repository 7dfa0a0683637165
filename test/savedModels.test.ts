import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURE_DIR, readExpected, runGenerations, runTraining, SAVED_MODELS } from './savedModels';

// Saved models are users' data: the folders in test/fixtures/models were saved by an earlier build (see
// makeSavedModels.ts). This build must load each one and generate exactly the text that build generated, on every
// engine that runs it — and the same training command must give the same losses and byte-identical weights.
const expected = readExpected();

for (const model of SAVED_MODELS) {
  test(`a saved ${model.name} model generates what it generated when it was saved, on every engine`, () => {
    const engines = model.engines.length === 0 ? [null] : model.engines;
    for (const engine of engines) {
      const now = runGenerations(model, path.join(FIXTURE_DIR, model.name), engine);
      assert.deepEqual(
        now,
        expected.generations[model.name][engine ?? 'default'],
        `${model.name} on ${engine ?? 'its own stepper'}`,
      );
    }
  });
}

test('the same training command gives the same losses and byte-identical weights as before, per engine', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'gennet-retrain-'));
  try {
    for (const [name, byEngine] of Object.entries(expected.training)) {
      const model = SAVED_MODELS.find((m) => m.name === name)!;
      for (const [engine, before] of Object.entries(byEngine)) {
        const now = runTraining(model, path.join(work, `${name}-${engine}`), engine);
        assert.deepEqual(now, before, `${name} trained on the ${engine} engine`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
