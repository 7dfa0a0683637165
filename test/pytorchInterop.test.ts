import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../src/backend';
import { exportPytorch, importPytorch } from '../src/interop';
import { type LoadedArtifact, loadArtifact } from '../src/io';
import { generate } from '../src/sample';
import { FIXTURES, gennetLogits, promptRows, scratchFolder } from './interopFixtures';

// The road to PyTorch and back, checked against PyTorch itself (Debian's python3-torch; `GN_WITH_TORCH=1 npm run
// setup` installs it, .ci/run does): without it these tests are skipped and say so.
/** The first Python that imports torch: GN_TORCH_PYTHON, Debian's (python3-torch), the one on the PATH. */
const PYTHON = [process.env.GN_TORCH_PYTHON, '/usr/bin/python3', 'python3'].find(
  (candidate) => candidate !== undefined && spawnSync(candidate, ['-c', 'import torch']).status === 0,
);
const skip = PYTHON !== undefined ? false : 'PyTorch is not installed (GN_WITH_TORCH=1 npm run setup installs it)';
if (skip) console.log(`# pytorchInterop: skipped: ${skip}`);

/** Runs Python code (with `args` as sys.argv[1:]) and returns its stdout; a failure shows its stderr. */
function python(code: string, args: string[] = [], timeout = 240_000): string {
  const run = spawnSync(PYTHON!, ['-c', code, ...args], { encoding: 'utf8', timeout });
  assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
  return run.stdout;
}

const work = scratchFolder;

/** gennet's logits for the inputs of `rows` and its mean cross-entropy of their targets (float64 sums). */
function gennetLoss(model: LoadedArtifact, rows: number[][]): { loss: number; logits: Float32Array } {
  const inputs = rows.map((row) => row.slice(0, -1));
  const logits = gennetLogits(model, inputs);
  const size = model.vocab.size;
  let sum = 0;
  let count = 0;
  rows.forEach((row, b) =>
    row.slice(1).forEach((target, t) => {
      const at = (b * inputs[0].length + t) * size;
      const slice = Array.from(logits.subarray(at, at + size));
      const max = Math.max(...slice);
      sum += max + Math.log(slice.reduce((s, v) => s + Math.exp(v - max), 0)) - slice[target];
      count++;
    }),
  );
  return { loss: sum / count, logits };
}

const TORCH_LOSS = `
import json, sys, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
from model import Generator
model = Generator.load(sys.argv[1]).eval()
rows = torch.tensor(json.loads(sys.argv[2]))
with torch.no_grad():
    logits, _ = model(rows[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))
print(json.dumps({"loss": loss.item(), "logits": logits.reshape(-1).tolist()}))
`;

for (const [name, prompts] of [
  ['char-lstm-dropout', ['The whale', 'a b']],
  ['char-rnn', ['The whale', 'a b']],
  ['word-gru-embedding', ['the whale', 'and the sea']],
] as const) {
  test(`PyTorch computes gennet's loss (≤ 1e-5 relative) and logits of ${name} from its export`, { skip }, async () => {
    await initBackend('wasm');
    const dir = work();
    const model = await loadArtifact(path.join(FIXTURES, name));
    try {
      await exportPytorch(path.join(FIXTURES, name), dir);
      const rows = promptRows(model, prompts, 17);
      const ours = gennetLoss(model, rows);
      const theirs = JSON.parse(python(TORCH_LOSS, [dir, JSON.stringify(rows)])) as { loss: number; logits: number[] };
      assert.ok(Math.abs(theirs.loss - ours.loss) <= 1e-5 * ours.loss, `loss ${theirs.loss} vs gennet ${ours.loss}`);
      const worst = theirs.logits.reduce((m, v, i) => Math.max(m, Math.abs(v - ours.logits[i])), 0);
      assert.ok(worst <= 1e-4, `logits differ by ${worst}`);
    } finally {
      model.network.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test(
  "torchrun (2 processes, gloo) trains an export on: the loss falls; imported back, gennet prints PyTorch's greedy text",
  { skip },
  async () => {
    await initBackend('wasm');
    const dir = work();
    try {
      const exported = path.join(dir, 'exported');
      await exportPytorch(path.join(FIXTURES, 'char-lstm-dropout'), exported);
      const text = path.join(dir, 'corpus.txt');
      writeFileSync(text, 'the whale and the sea. the sea and the ship. a whale, a ship, the sea.\n'.repeat(40));
      const trained = path.join(dir, 'trained');
      const run = spawnSync(
        PYTHON!,
        [
          '-m',
          'torch.distributed.run',
          '--standalone',
          // torch 1.13 (Debian 12) under Python 3.11 reads its default "--redirects 0 --tee 0" as nothing and fails:
          // each process's stderr to a file (its errors are reported by @record), its stdout echoed with its rank
          '--redirects',
          '2',
          '--tee',
          '1',
          '--nproc_per_node',
          '2',
          path.join(exported, 'train_ddp.py'),
          '--model',
          exported,
          '--text',
          text,
          '--out',
          trained,
          '--steps',
          '20',
          '--log-every',
          '5',
          '--lr',
          '0.02',
          '--batch',
          '8',
          '--seq-len',
          '40',
        ],
        // about 10 s; torch 1.13 deadlocked now and then at the end before train_ddp.py left without its teardown
        { encoding: 'utf8', timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: '1' } },
      );
      assert.equal(
        run.status,
        0,
        `torchrun ${run.signal === null ? `exited with ${run.status}` : `did not end within 120 s (${run.signal})`}` +
          `:\n${run.stdout}\n${run.stderr}`,
      );
      // torchrun's tee prefixes each piece it reads from a rank's log, so a line read in two pieces carries a prefix
      // at its end ("{…}[default0]:"): the prefixes are dropped wherever they are
      const lines = run.stdout
        .replace(/\[default\d+\]:/gu, '')
        .split('\n')
        .filter((line) => /\{.*\}$/u.test(line))
        .map(
          (line) =>
            JSON.parse(line.slice(line.indexOf('{'))) as { loss?: number; processes?: number; replicaSpread?: number },
        );
      const losses = lines.filter((l) => l.loss !== undefined);
      assert.equal(losses.length, 4, run.stdout);
      assert.ok(
        losses.every((l) => l.processes === 2),
        run.stdout,
      );
      const spread = lines.at(-1)!.replicaSpread!;
      assert.ok(spread <= 1e-6, `DDP kept the processes' weights equal (spread ${spread}):\n${run.stdout}`);
      assert.ok(losses[3].loss! < losses[0].loss!, `loss ${losses[0].loss} → ${losses[3].loss}`);
      await importPytorch(trained, path.join(dir, 'model'));
      const model = await loadArtifact(path.join(dir, 'model'));
      try {
        const ours = generate(model, { prompt: 'the ', temperature: 0, length: 100, engine: 'layers' });
        const theirs = python(
          'import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__")',
          [path.join(trained, 'model.py'), trained, '--prompt', 'the ', '--length', '100'],
        );
        assert.equal(ours, theirs.replace(/\n$/u, ''));
      } finally {
        model.network.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

// The lesson's PyTorch generator (AI-for-Beginners, GenerativePyTorch.ipynb): one-hot characters -> nn.LSTM -> fc, a
// torchtext-style vocabulary without special tokens, greedy generation from the prompt alone.
const LESSON = `
import json, sys, torch
torch.manual_seed(0)
out = sys.argv[1]
text = "today the whale swam under the sea, and the ship sailed on. " * 30
itos = sorted(set(text))
stoi = {c: i for i, c in enumerate(itos)}
vocab_size = len(itos)
class LSTMGenerator(torch.nn.Module):
    def __init__(self, vocab_size, hidden_dim):
        super().__init__()
        self.rnn = torch.nn.LSTM(vocab_size, hidden_dim, batch_first=True)
        self.fc = torch.nn.Linear(hidden_dim, vocab_size)
    def forward(self, x, s=None):
        x = torch.nn.functional.one_hot(x, vocab_size).to(torch.float32)
        x, s = self.rnn(x, s)
        return self.fc(x), s
net = LSTMGenerator(vocab_size, 32)
optimizer = torch.optim.Adam(net.parameters(), 0.01)
ids = torch.tensor([stoi[c] for c in text])
for step in range(60):
    starts = torch.randint(0, len(ids) - 41, (16,))
    rows = torch.stack([ids[s : s + 41] for s in starts])
    logits, _ = net(rows[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab_size), rows[:, 1:].reshape(-1))
    optimizer.zero_grad(); loss.backward(); optimizer.step()
torch.save(net.state_dict(), out + "/generator.pt")
json.dump(itos, open(out + "/vocab.json", "w"))
def generate(net, size=100, start="today "):
    chars = list(start)
    out, s = net(torch.tensor([stoi[c] for c in chars]).view(1, -1))
    for i in range(size):
        nc = torch.argmax(out[0][-1])
        chars.append(itos[nc])
        out, s = net(nc.view(1, -1), s)
    return "".join(chars)
with torch.no_grad():
    print(generate(net))
`;

test(
  "a model trained in the lesson's PyTorch class imports and generates PyTorch's greedy text",
  { skip },
  async () => {
    await initBackend('wasm');
    const dir = work();
    try {
      const theirs = python(LESSON, [dir]).replace(/\n$/u, '');
      const converted = path.join(dir, 'converted');
      const convert = path.resolve(__dirname, '../../src/interop/python/convert_state_dict.py');
      const run = spawnSync(
        PYTHON!,
        [convert, path.join(dir, 'generator.pt'), '--vocab', path.join(dir, 'vocab.json'), '--out', converted],
        { encoding: 'utf8' },
      );
      assert.equal(run.status, 0, run.stderr);
      await importPytorch(converted, path.join(dir, 'model'));
      const model = await loadArtifact(path.join(dir, 'model'));
      try {
        assert.equal(generate(model, { prompt: 'today ', temperature: 0, length: 100, engine: 'layers' }), theirs);
      } finally {
        model.network.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
