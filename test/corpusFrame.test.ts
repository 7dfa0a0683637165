import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpus } from '../src/corpus';

const FIXTURES = path.resolve(__dirname, '../../test/fixtures/corpus');

/** Whether danfojs-node is loaded in this process (node --test runs every test file in its own process). */
const danfoLoaded = () =>
  Object.keys(require.cache).some((file) => file.includes(`${path.sep}danfojs-node${path.sep}`));

test('the corpus frame is built on first read, so loading text for training never loads danfojs', async () => {
  const corpus = await loadCorpus(path.join(FIXTURES, 'headed.csv'));
  assert.ok(corpus.texts.length > 0);
  assert.equal(danfoLoaded(), false, 'danfojs was loaded before the frame was read');
  const frame = corpus.frame;
  assert.ok(danfoLoaded());
  assert.deepEqual(frame.columns, ['id', 'author', 'text']);
  assert.equal(frame.shape[0], 4, 'one row per CSV record, the one without text included');
  assert.equal(corpus.frame, frame, 'the frame is built once');
});
