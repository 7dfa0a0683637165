import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  agNewsCachePath,
  builtinCorpora,
  cleanAgNewsText,
  describeCorpus,
  fetchAgNews,
  loadCorpus,
  type Corpus,
} from '../src/corpus';
import { findProjectRoot } from '../src/corpus/projectRoot';
import { splitText } from '../src/corpus/documentSplit';

const REPO = path.resolve(__dirname, '../..');
const FIXTURES = path.join(REPO, 'test/fixtures/corpus');
const fixture = (name: string): string => path.join(FIXTURES, name);

/** Asserts that the promise rejects with a message matching every pattern. */
async function rejectsWith(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

/** A column of the corpus frame as a plain array. */
function columnValues(corpus: Corpus, column: string): unknown[] {
  return corpus.frame.column(column).values;
}

const tempDirs: string[] = [];
after(() => Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true }))));

/** A fresh empty temporary folder, removed after the tests. */
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gn-corpus-'));
  tempDirs.push(dir);
  return dir;
}

describe('CSV corpora', () => {
  it('reads a CSV with header: BOM stripped, CRLF normalised, quoted commas, newlines and quotes', async () => {
    const corpus = await loadCorpus(fixture('headed.csv'));
    assert.equal(corpus.name, 'headed');
    assert.equal(corpus.source, fixture('headed.csv'));
    assert.deepEqual(corpus.frame.columns, ['id', 'author', 'text']);
    assert.deepEqual(corpus.frame.dtypes, ['int32', 'string', 'string']);
    assert.deepEqual(columnValues(corpus, 'id'), [1, 2, 3, 4]);
    assert.deepEqual(corpus.columns, ['text']);
    assert.deepEqual(corpus.texts, ['Hello, world.', 'Two\nlines', 'She said "hi" twice.']);
  });

  it('reads a CSV without header as col0, col1, ... or with given names', async () => {
    const plain = await loadCorpus(fixture('noheader.csv'), { header: false, column: 'col1' });
    assert.deepEqual(plain.frame.columns, ['col0', 'col1']);
    assert.deepEqual(plain.texts, ['The first line.', 'The second line.', 'The third line.']);
    const named = await loadCorpus(fixture('noheader.csv'), {
      header: false,
      names: ['key', 'sentence'],
      column: 'sentence',
    });
    assert.deepEqual(named.frame.columns, ['key', 'sentence']);
    assert.equal(named.frame.shape[0], 3);
    await rejectsWith(loadCorpus(fixture('noheader.csv'), { header: false, names: ['one'] }), /2 columns but 1 names/);
  });

  it('with a header row, takes the first row as column names', async () => {
    const corpus = await loadCorpus(fixture('noheader.csv'), { column: 'The first line.' });
    assert.deepEqual(corpus.frame.columns, ['alpha', 'The first line.']);
    assert.deepEqual(corpus.texts, ['The second line.', 'The third line.']);
  });

  it('names the line of broken quoting', async () => {
    await rejectsWith(loadCorpus(fixture('broken.csv')), /broken\.csv/, /line 4/, /quote/i);
  });

  it('names the line of a row with the wrong number of fields', async () => {
    await rejectsWith(loadCorpus(fixture('ragged.csv')), /3 fields on line 4/, /id, text/);
  });
});

describe('one-column CSVs and line endings', () => {
  /** Writes `text` to a fresh file named `name`. */
  async function written(name: string, text: string): Promise<string> {
    const file = path.join(await tempDir(), name);
    await fs.writeFile(file, text);
    return file;
  }

  it('reads a one-column CSV (no delimiter to detect), quoted commas and line breaks included', async () => {
    const plain = await loadCorpus(await written('one.csv', 'text\nfirst line\nsecond line\n'));
    assert.deepEqual(plain.frame.columns, ['text']);
    assert.deepEqual(plain.texts, ['first line', 'second line']);
    const quoted = await loadCorpus(await written('quoted.csv', 'text\n"one, two"\n"three,\nfour"\nfive\n'));
    assert.deepEqual(quoted.texts, ['one, two', 'three,\nfour', 'five']);
  });

  it('splits text with old Mac (\\r) or mixed line ends like its \\n version, with no \\r left', async () => {
    const poem = await fs.readFile(fixture('poem.txt'), 'utf8');
    const mixedEnds = ['\r\n', '\n', '\r']; // never \r then \n: that is one \r\n
    for (const [name, text] of [
      ['mac.txt', poem.replace(/\n/g, '\r')],
      ['mixed.txt', poem.split('\n').reduce((all, line, i) => `${all}${mixedEnds[i % 3]}${line}`)],
    ]) {
      const file = await written(name, text);
      for (const split of ['none', 'line', 'paragraph'] as const) {
        const texts = (await loadCorpus(file, { split })).texts;
        assert.deepEqual(texts, (await loadCorpus(fixture('poem.txt'), { split })).texts, `${name}, split ${split}`);
      }
    }
  });

  it('turns every \\r in CSV, JSON and JSON-lines values and sources into \\n', async () => {
    const expected = ['a\nb', 'c\n\nd'];
    const csv = await written('mac.csv', 'id,text\r1,"a\rb"\r2,"c\r\n\rd"\r');
    const json = await written('values.json', JSON.stringify([{ text: 'a\rb' }, { text: 'c\r\n\rd' }]));
    const jsonl = await written(
      'mac.jsonl',
      `${JSON.stringify({ text: 'a\rb' })}\r${JSON.stringify({ text: 'c\n\rd' })}\r`,
    );
    for (const file of [csv, json, jsonl]) assert.deepEqual((await loadCorpus(file)).texts, expected, file);
    const pairs = await written('pairs.json', JSON.stringify([{ source: 'x\ry', text: 'a\rb' }]));
    const seq2seq = await loadCorpus(pairs, { sourceColumn: 'source' });
    assert.deepEqual([seq2seq.sources, seq2seq.texts], [['x\ny'], ['a\nb']]);
  });
});

describe('AG News layout', () => {
  it('is detected: columns class,title,description, title by default, class as numbers', async () => {
    const corpus = await loadCorpus(fixture('agnews.csv'));
    assert.deepEqual(corpus.frame.columns, ['class', 'title', 'description']);
    assert.equal(corpus.frame.shape[0], 10);
    assert.equal(corpus.frame.dtypes[0], 'int32');
    assert.deepEqual(columnValues(corpus, 'class').slice(0, 4), [3, 4, 2, 1]);
    assert.deepEqual(corpus.columns, ['title']);
    assert.deepEqual(corpus.texts.slice(0, 2), [
      'Oil Climbs Past $48 as Supply Fears Mount (Reuters)',
      "Sun's New Server Chips Arrive Early",
    ]);
    assert.equal(corpus.texts[9], 'AT&T Wireless Shares Slip');
  });

  it('cleans descriptions and joins title and description', async () => {
    const corpus = await loadCorpus(fixture('agnews.csv'), { column: ['title', 'description'] });
    assert.equal(
      corpus.texts[0],
      'Oil Climbs Past $48 as Supply Fears Mount (Reuters). Reuters - Crude oil prices climbed to a record ' +
        "high on Tuesday, pushing past $48 a barrel as traders worried about supplies from Iraq and Russia's Yukos.",
    );
    assert.equal(
      corpus.texts[1],
      "Sun's New Server Chips Arrive Early. SAN FRANCISCO (Reuters) - Sun Microsystems Inc. said on Monday " +
        "its new chips would ship ahead of schedule, a boost for the company's hardware unit.",
    );
    assert.match(corpus.texts[2], /Olympic record in the "fly," as his rivals/);
    assert.match(corpus.texts[4], /July\. Consumers spent more/);
    assert.match(corpus.texts[5], /security holes\. The new version is available for download now \.\.\.$/);
    assert.match(corpus.texts[7], /which "remains a concern," an official/);
    assert.match(corpus.texts[8], /^Scientists Spot Distant Planet\? Astronomers say/);
    assert.match(corpus.texts[8], /how & why such worlds/);
    for (const text of corpus.texts) {
      assert.doesNotMatch(text, /\\|#\d+;|quot;|amp;|[<>]|\s{2}/, text);
    }
  });

  it('is not detected when the first field is not a class index 1-4, nor with layout plain', async () => {
    const numbered = await loadCorpus(fixture('numbered.csv'), { column: 'x' });
    assert.deepEqual(numbered.frame.columns, ['1', 'x', 'y']);
    const plain = await loadCorpus(fixture('agnews.csv'), { layout: 'plain', header: false, column: 'col1' });
    assert.deepEqual(plain.frame.columns, ['col0', 'col1', 'col2']);
    assert.equal(plain.texts[0], 'Oil Climbs Past  #36;48 as Supply Fears Mount (Reuters)');
  });

  it('can be forced with layout agnews', async () => {
    const corpus = await loadCorpus(fixture('agnews.csv'), { layout: 'agnews', column: 'description', limit: 1 });
    assert.match(corpus.texts[0], /^Reuters - Crude oil prices climbed to a record high/);
  });
});

describe('cleanAgNewsText', () => {
  it('turns backslashes into spaces and entity debris into characters', () => {
    assert.equal(cleanAgNewsText('dwindling\\band of\\\\cynics'), 'dwindling band of cynics');
    assert.equal(cleanAgNewsText('China #39;s appetite'), "China's appetite");
    assert.equal(cleanAgNewsText('up to  #36;50 million'), 'up to $50 million');
    assert.equal(cleanAgNewsText('#36;5 at the start'), '$5 at the start');
    assert.equal(cleanAgNewsText('In  quot;helping themselves, quot; he'), 'In "helping themselves," he');
    assert.equal(cleanAgNewsText('AT amp;T and Turner  amp; Newall'), 'AT&T and Turner & Newall');
  });

  it('decodes escaped markup and drops the tags', () => {
    assert.equal(cleanAgNewsText('&lt;b&gt;Bold&lt;/b&gt; news'), 'Bold news');
    assert.equal(
      cleanAgNewsText('Texas Instruments Inc. &lt;TXN.N&gt;, and others'),
      'Texas Instruments Inc., and others',
    );
    assert.equal(cleanAgNewsText('it&#39;s &quot;real&quot; &amp; fine'), 'it\'s "real" & fine');
  });

  it('leaves ordinary text alone', () => {
    const text = "Reuters - Stocks rose on Friday, the Dow's best day in weeks.";
    assert.equal(cleanAgNewsText(text), text);
  });

  it('always gives trimmed text without backslashes or runs of whitespace', () => {
    const pieces = fc.constantFrom(
      '\\',
      '\\\\',
      ' ',
      '  ',
      '#39;',
      ' quot;',
      'amp;',
      '&lt;i&gt;',
      '&lt;/i&gt;',
      'word',
      '.',
      '\t',
      '\n',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), (parts) => {
        const cleaned = cleanAgNewsText(parts.join(''));
        assert.doesNotMatch(cleaned, /\\|\s{2}|^\s|\s$/);
      }),
    );
  });
});

describe('JSON corpora', () => {
  it('reads an array of objects, columns in order of appearance', async () => {
    const corpus = await loadCorpus(fixture('docs.json'), { column: 'body' });
    assert.deepEqual(corpus.frame.columns, ['title', 'body', 'year', 'tags']);
    assert.deepEqual(columnValues(corpus, 'year'), [1845, 1849, 1850]);
    assert.equal(corpus.texts.length, 2, 'the empty body is dropped');
    assert.match(corpus.texts[0], /^Once upon a midnight dreary/);
  });

  it('joins several columns with ". " unless the first ends in punctuation', async () => {
    const corpus = await loadCorpus(fixture('docs.json'), { column: ['title', 'body'] });
    assert.deepEqual(corpus.columns, ['title', 'body']);
    assert.deepEqual(corpus.texts, [
      'The Raven. Once upon a midnight dreary, while I pondered, weak and weary.',
      'Annabel Lee? It was many and many a year ago, in a kingdom by the sea.',
      'Untitled',
    ]);
  });

  it('asks for a column when several string columns and no text column exist', async () => {
    await rejectsWith(loadCorpus(fixture('docs.json')), /Name it with --column NAME/, /title, body, year, tags/);
  });

  it('reads JSON lines and picks the only string column', async () => {
    const corpus = await loadCorpus(fixture('lines.jsonl'));
    assert.deepEqual(corpus.columns, ['line']);
    assert.deepEqual(corpus.frame.columns, ['id', 'line']);
    assert.deepEqual(corpus.texts, [
      'Tyger Tyger, burning bright,',
      'In the forests of the night;',
      'What immortal hand or eye,',
    ]);
  });

  it('names the bad line of a JSON-lines file', async () => {
    await rejectsWith(loadCorpus(fixture('bad.jsonl')), /line 3/, /bad\.jsonl/);
  });
});

describe('text corpora and splitting', () => {
  it('keeps a text file as one document by default', async () => {
    const corpus = await loadCorpus(fixture('poem.txt'));
    assert.deepEqual(corpus.frame.columns, ['text']);
    assert.equal(corpus.texts.length, 1);
    assert.match(corpus.texts[0], /^The sea was calm that night\. The moon\nhung low/);
    assert.match(corpus.texts[0], /Then morning came\.$/);
  });

  it('splits per line, per paragraph and per sentence; the frame has one row per document', async () => {
    const lines = await loadCorpus(fixture('poem.txt'), { split: 'line' });
    assert.deepEqual(lines.texts, [
      'The sea was calm that night. The moon',
      'hung low over the water!',
      'Far away, a bell rang.',
      'Nobody answered it?',
      'Then morning came.',
    ]);
    assert.deepEqual(lines.frame.shape, [5, 1]);
    const paragraphs = await loadCorpus(fixture('poem.txt'), { split: 'paragraph' });
    assert.deepEqual(paragraphs.texts, [
      'The sea was calm that night. The moon hung low over the water!',
      'Far away, a bell rang. Nobody answered it?',
      'Then morning came.',
    ]);
    const sentences = await loadCorpus(fixture('poem.txt'), { split: 'sentence' });
    assert.deepEqual(sentences.texts, [
      'The sea was calm that night.',
      'The moon hung low over the water!',
      'Far away, a bell rang.',
      'Nobody answered it?',
      'Then morning came.',
    ]);
    assert.deepEqual(columnValues(sentences, 'text'), sentences.texts);
  });

  it('reads .md as text and accepts an explicit format for other extensions', async () => {
    const notes = await loadCorpus(fixture('notes.md'), { split: 'paragraph' });
    assert.deepEqual(notes.texts, ['# Notes', 'A small markdown file.']);
    const xyz = await loadCorpus(fixture('corpus.xyz'), { format: 'txt' });
    assert.deepEqual(xyz.texts, ['some text']);
    await rejectsWith(
      loadCorpus(fixture('corpus.xyz')),
      /'\.xyz'/,
      /\.csv, \.json, \.jsonl, \.ndjson, \.txt, \.text, \.md/,
      /format/,
    );
  });

  it('line and paragraph documents are trimmed, non-empty and single-line', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '\t', '.') }), (text) => {
        for (const mode of ['line', 'paragraph'] as const) {
          for (const document of splitText(text, mode)) {
            assert.notEqual(document, '');
            assert.equal(document, document.trim());
            assert.ok(!document.includes('\n'));
          }
        }
      }),
    );
  });
});

describe('column choice, limit and errors', () => {
  it('lists the available columns for an unknown column', async () => {
    await rejectsWith(
      loadCorpus(fixture('headed.csv'), { column: 'body' }),
      /Unknown column 'body'/,
      /id, author, text/,
    );
    await rejectsWith(loadCorpus('moby-dick', { column: ['title', 'nope'] }), /'nope'/, /chapter, title, text/);
  });

  it('keeps the first N documents after splitting, and the rows they came from', async () => {
    const csv = await loadCorpus(fixture('headed.csv'), { limit: 2 });
    assert.deepEqual(csv.texts, ['Hello, world.', 'Two\nlines']);
    assert.equal(csv.frame.shape[0], 2);
    const lines = await loadCorpus(fixture('headed.csv'), { split: 'line', limit: 3 });
    assert.deepEqual(lines.texts, ['Hello, world.', 'Two', 'lines']);
    assert.equal(lines.frame.shape[0], 2);
    await rejectsWith(loadCorpus(fixture('headed.csv'), { limit: 0 }), /positive whole number/);
    await rejectsWith(loadCorpus(fixture('headed.csv'), { limit: 1.5 }), /positive whole number/);
  });

  it('explains a missing file and lists the built-in corpora', async () => {
    await rejectsWith(
      loadCorpus('no/such/file.txt'),
      /not found/,
      /no\/such\/file\.txt/,
      /sotu, moby-dick, cmudict, names, ag_news/,
    );
  });

  it('rejects a corpus without text and an unknown split', async () => {
    await rejectsWith(loadCorpus(fixture('empty-text.csv')), /no text in column text/);
    await rejectsWith(
      loadCorpus(fixture('poem.txt'), { split: 'word' as 'line' }),
      /Unknown split 'word'/,
      /none, line, paragraph, sentence/,
    );
  });
});

describe('built-in corpora', () => {
  it('lists sotu, moby-dick, cmudict, names and ag_news with licences and default columns', () => {
    const infos = builtinCorpora();
    assert.deepEqual(
      infos.map((info) => info.name),
      ['sotu', 'moby-dick', 'cmudict', 'names', 'ag_news'],
    );
    for (const info of infos) {
      assert.ok(info.columns.includes(info.defaultColumn), info.name);
      assert.ok(info.licence.length > 0 && info.description.length > 0, info.name);
    }
    assert.deepEqual(
      infos.map((info) => info.offline),
      [true, true, true, true, false],
    );
  });

  it('loads the first names, lower-cased, one row per name and list, sorted', async () => {
    const names = await loadCorpus('names', { conditions: ['sex'] });
    assert.deepEqual(names.frame.columns, ['name', 'sex']);
    assert.equal(names.texts.length, 4951 + 3898);
    assert.ok(
      names.texts.every((name) => /^[a-z][a-z-]*$/.test(name)),
      'letters and hyphens, lower case',
    );
    assert.deepEqual([...names.texts.slice(1)].map((n, i) => n >= names.texts[i]).every(Boolean), true, 'sorted');
    const sexes = names.conditions!.values.map((row) => row[0]);
    assert.equal(sexes.filter((s) => s === 'female').length, 4951);
    const mary = names.texts.indexOf('mary');
    assert.equal(sexes[mary], 'female');
  });

  it('loads the State of the Union addresses sorted by year', async () => {
    const sotu = await loadCorpus('sotu');
    assert.equal(sotu.name, 'sotu');
    assert.equal(sotu.source, 'builtin:sotu');
    assert.deepEqual(sotu.frame.columns, ['year', 'name', 'party', 'text']);
    assert.ok(sotu.texts.length > 200, `${sotu.texts.length} documents`);
    const years = columnValues(sotu, 'year') as number[];
    const names = columnValues(sotu, 'name') as string[];
    assert.equal(years[0], 1790);
    assert.equal(names[0], 'George Washington');
    assert.ok(
      years.every((year, i) => i === 0 || years[i - 1] <= year),
      'sorted by year',
    );
    assert.match(sotu.texts[0], /^Fellow-Citizens of the Senate and House of Representatives/);
  });

  it('loads Moby Dick in book order, chapter 1 starting with "Call me Ishmael"', async () => {
    const moby = await loadCorpus('moby-dick');
    assert.deepEqual(moby.frame.columns, ['chapter', 'title', 'text']);
    const chapters = columnValues(moby, 'chapter');
    assert.deepEqual(chapters.slice(0, 4), ['Etymology', 'Extracts', '1', '2']);
    assert.equal(chapters.at(-1), 'Epilogue');
    assert.equal(moby.texts.length, 138);
    assert.match(moby.texts[chapters.indexOf('1')], /^Call me Ishmael\./);
  });

  it('describes a corpus in code points', async () => {
    const moby = await loadCorpus('moby-dick', { limit: 3 });
    const stats = describeCorpus(moby);
    const characters = moby.texts.reduce((sum, text) => sum + [...text].length, 0);
    assert.equal(stats.documents, 3);
    assert.equal(stats.characters, characters);
    assert.equal(stats.meanLength, characters / 3);
    assert.equal(stats.distinctCharacters, new Set(moby.texts.join('')).size);
    const emoji = describeCorpus({ ...moby, texts: ['a😀', '😀😀b'] });
    assert.deepEqual(emoji, { documents: 2, characters: 5, distinctCharacters: 3, meanLength: 2.5 });
  });
});

describe('AG News download', () => {
  it('uses a filled cache without network', async () => {
    const cacheDir = await tempDir();
    const cached = agNewsCachePath('test', cacheDir);
    await fs.mkdir(path.dirname(cached), { recursive: true });
    await fs.copyFile(fixture('agnews.csv'), cached);
    assert.equal(await fetchAgNews({ split: 'test', cacheDir, url: 'http://127.0.0.1:9/' }), cached);
    const corpus = await loadCorpus('ag_news', { agNews: { split: 'test', cacheDir, url: 'http://127.0.0.1:9/' } });
    assert.equal(corpus.name, 'ag_news');
    assert.equal(corpus.source, 'builtin:ag_news');
    assert.deepEqual(corpus.columns, ['title']);
    assert.equal(corpus.texts[0], 'Oil Climbs Past $48 as Supply Fears Mount (Reuters)');
  });

  it('honours GN_CACHE_DIR, and defaults to data/cache in the project', () => {
    const saved = process.env.GN_CACHE_DIR;
    try {
      process.env.GN_CACHE_DIR = '/some/cache';
      assert.equal(agNewsCachePath('train'), path.join('/some/cache', 'ag_news', 'train.csv'));
      delete process.env.GN_CACHE_DIR;
      assert.equal(agNewsCachePath('train'), path.join(REPO, 'data/cache/ag_news/train.csv'));
    } finally {
      if (saved === undefined) delete process.env.GN_CACHE_DIR;
      else process.env.GN_CACHE_DIR = saved;
    }
    assert.equal(findProjectRoot(), REPO);
  });

  it('explains an offline failure and leaves no file behind', async () => {
    const cacheDir = await tempDir();
    await rejectsWith(
      fetchAgNews({ cacheDir, url: 'http://127.0.0.1:9/' }),
      /AG News could not be downloaded from http:\/\/127\.0\.0\.1:9\//,
      /download the CSV yourself and pass its path/,
    );
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await rejectsWith(fetchAgNews({ cacheDir, url: `http://127.0.0.1:${port}/train.csv` }), /ECONNREFUSED/);
    assert.deepEqual(await fs.readdir(path.join(cacheDir, 'ag_news')), []);
  });

  it('gives up after the timeout', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/train.csv`;
    try {
      await rejectsWith(
        fetchAgNews({ cacheDir: await tempDir(), url, timeoutMs: 100 }),
        /no complete answer within 0\.1 s/,
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('downloads once through a temporary file; HTTP errors and cut-off bodies leave nothing', async () => {
    const body = await fs.readFile(fixture('agnews.csv'));
    let requests = 0;
    const server = http.createServer((request, response) => {
      requests++;
      if (request.url === '/train.csv') {
        response.end(body);
      } else if (request.url === '/cut.csv') {
        response.writeHead(200, { 'content-length': String(body.length) });
        response.write(body.subarray(0, 100), () => response.destroy());
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cacheDir = await tempDir();
      const folder = path.join(cacheDir, 'ag_news');
      await rejectsWith(fetchAgNews({ cacheDir, url: `${base}/missing.csv` }), /HTTP 404/);
      await rejectsWith(fetchAgNews({ cacheDir, url: `${base}/cut.csv` }), /could not be downloaded/);
      assert.deepEqual(await fs.readdir(folder), []);
      const file = await fetchAgNews({ cacheDir, url: `${base}/train.csv` });
      assert.equal(file, path.join(folder, 'train.csv'));
      assert.deepEqual(await fs.readFile(file), body);
      assert.deepEqual(await fs.readdir(folder), ['train.csv']);
      const before = requests;
      await fetchAgNews({ cacheDir, url: `${base}/train.csv` });
      assert.equal(requests, before, 'the second call uses the cache');
    } finally {
      server.close();
    }
  });
});

describe('module loading', () => {
  it('does not load danfojs-node until a corpus is loaded', () => {
    const script =
      `require(${JSON.stringify(path.join(__dirname, '../src/corpus'))});` +
      "process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('danfojs-node'))));";
    assert.equal(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }), 'false');
  });
});

describe('condition columns', () => {
  /** A CSV of greetings by language and year; the second row holds two paragraphs. */
  async function greetings(rows = 'hello there,en,1994\n"bonjour\n\nsalut",fr,2003\nhallo,de,1989\n'): Promise<string> {
    const file = path.join(await tempDir(), 'greetings.csv');
    await fs.writeFile(file, `text,lang,year\n${rows}`);
    return file;
  }

  it("gives every document its row's values, split documents included, with numeric columns grouped", async () => {
    const corpus = await loadCorpus(await greetings(), {
      split: 'paragraph',
      conditions: ['lang', 'year:decade', 'year:century', 'year'],
    });
    assert.deepEqual(corpus.texts, ['hello there', 'bonjour', 'salut', 'hallo']);
    assert.deepEqual(corpus.conditions, {
      names: ['lang', 'year:decade', 'year:century', 'year'],
      values: [
        ['en', '1990s', '1900s', '1994'],
        ['fr', '2000s', '2000s', '2003'],
        ['fr', '2000s', '2000s', '2003'],
        ['de', '1980s', '1900s', '1989'],
      ],
    });
    assert.equal((await loadCorpus(await greetings())).conditions, null, 'none asked, none read');
    const limited = await loadCorpus(await greetings(), { split: 'paragraph', limit: 2, conditions: ['lang'] });
    assert.deepEqual(limited.conditions!.values, [['en'], ['fr']]);
  });

  it(`refuses a missing column, a bad grouping, a non-numeric \
grouped column and an empty cell, saying which`, async () => {
    const file = await greetings();
    await rejectsWith(
      loadCorpus(file, { conditions: ['colour'] }),
      /Condition column "colour" is not in the corpus \(columns: text, lang, year\)/,
    );
    await rejectsWith(
      loadCorpus(file, { conditions: ['year:week'] }),
      /Unknown grouping "week".*column:decade \/ column:century/,
    );
    await rejectsWith(
      loadCorpus(file, { conditions: ['lang:decade'] }),
      /"lang:decade" needs numbers, but row 1 holds "en"/,
    );
    await rejectsWith(
      loadCorpus(await greetings('hi,,1990\n'), { conditions: ['lang'] }),
      /Condition column "lang" is empty in row 1/,
    );
  });

  it('reads the built-in State of the Union addresses by party and decade', async () => {
    const corpus = await loadCorpus('sotu', { conditions: ['party', 'year:decade'] });
    assert.equal(corpus.conditions!.values.length, corpus.texts.length);
    assert.deepEqual(corpus.conditions!.values[0], ['none', '1790s']);
    const parties = new Set(corpus.conditions!.values.map(([party]) => party));
    for (const party of ['Democratic', 'Republican', 'Whig']) assert.ok(parties.has(party), party);
  });
});
