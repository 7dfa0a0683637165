// PyTorch's recurrent cells as its documentation writes them (nn.LSTM: gates i, f, g, o; nn.RNN: tanh; and model.py's
// ResetBeforeGRU: gates r, z, n with the reset gate before the recurrent product), in float64 over a state dict: a
// check of the exported layout that needs no PyTorch.
import type { NamedTensor } from '../src/interop';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** `W·x + b` for `W` `[rows, cols]` (or its rows `from`…`from + count`). */
function affine(w: NamedTensor, x: ArrayLike<number>, bias: NamedTensor | null, from = 0, count = w.shape[0]) {
  const cols = w.shape[1];
  return Array.from({ length: count }, (_, r) => {
    let sum = bias === null ? 0 : bias.data[from + r];
    for (let c = 0; c < cols; c++) sum += w.data[(from + r) * cols + c] * x[c];
    return sum;
  });
}

/** The logits `[rows, steps, vocab]` a state dict of `cell` gives token rows from the zero state. */
export function torchReferenceLogits(tensors: Record<string, NamedTensor>, cell: string, rows: number[][]): number[] {
  const t = (name: string) => tensors[name];
  const units = t('rnn.weight_hh_l0').shape[1];
  let layers = 0;
  while (t(`rnn.weight_ih_l${layers}`) !== undefined) layers++;
  const vocab = t('fc.weight').shape[0];
  const out: number[] = [];
  for (const row of rows) {
    const h = Array.from({ length: layers }, () => new Array<number>(units).fill(0));
    const c = Array.from({ length: layers }, () => new Array<number>(units).fill(0));
    for (const token of row) {
      const embedding = t('embedding.weight');
      const width = embedding?.shape[1] ?? 0;
      let x: number[] =
        embedding !== undefined
          ? Array.from(embedding.data.subarray(token * width, (token + 1) * width))
          : Array.from({ length: vocab }, (_, v) => (v === token ? 1 : 0));
      for (let k = 0; k < layers; k++) {
        const [wi, wh, bi, bh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) => t(`rnn.${n}_l${k}`));
        if (cell === 'gru') {
          const gi = affine(wi, x, bi);
          const r = affine(wh, h[k], bh, 0, units).map((v, j) => sigmoid(gi[j] + v));
          const z = affine(wh, h[k], bh, units, units).map((v, j) => sigmoid(gi[units + j] + v));
          const n = affine(
            wh,
            h[k].map((v, j) => r[j] * v),
            bh,
            2 * units,
            units,
          ).map((v, j) => Math.tanh(gi[2 * units + j] + v));
          h[k] = h[k].map((v, j) => z[j] * v + (1 - z[j]) * n[j]);
        } else {
          const recurrent = affine(wh, h[k], bh);
          const g = affine(wi, x, bi).map((v, j) => v + recurrent[j]);
          if (cell === 'rnn') h[k] = g.map(Math.tanh);
          else {
            const gate = (block: number, j: number) => g[block * units + j];
            c[k] = c[k].map((v, j) => sigmoid(gate(1, j)) * v + sigmoid(gate(0, j)) * Math.tanh(gate(2, j)));
            h[k] = c[k].map((v, j) => sigmoid(gate(3, j)) * Math.tanh(v));
          }
        }
        x = h[k];
      }
      out.push(...affine(t('fc.weight'), x, t('fc.bias')));
    }
  }
  return out;
}
