// Attention forward and backward (see attention.h): the kind's scores, then per row of the block its softmax and
// context as small products over its own positions; the projections and the combine product over the whole block.
#include "attention.h"

#include <algorithm>
#include <cmath>

#include "elementwise.h"
#include "linear.h"

namespace gn {

namespace {

/** Softmax of each of `steps` rows of `scores` (row stride `stride`) over its first `length` values, in place. */
void softmax_rows(float* scores, int steps, int length, int stride) {
  for (int t = 0; t < steps; t++) {
    float* row = scores + size_t(t) * stride;
    const float max = *std::max_element(row, row + length);
    float sum = 0.0f;
    for (int j = 0; j < length; j++) sum += row[j] = std::exp(row[j] - max);
    for (int j = 0; j < length; j++) row[j] /= sum;
  }
}

/** Each row's scores into tr.weights ([rows, steps, length], the first `len` of each step's), by the kind's score. */
void scores_forward(int units, const AttentionParams& p, const float* top, int steps, int rows, const MemoryBlock& m, AttentionTrace& tr) {
  const int width = m.width, length = m.length;
  const size_t tb = size_t(steps) * rows;
  if (p.kind == AttentionKind::luong) {
    tr.queries.resize(tb * width);
    gemm(false, false, tb, width, units, top, units, p.tensors[0], width, 0.0f, tr.queries.data(), width);
    for (int b = 0; b < rows; b++) {
      if (m.lengths[b] == 0) continue;
      gemm(false, true, steps, m.lengths[b], width, tr.queries.data() + size_t(b) * width, rows * width, m.values + size_t(b) * length * width, width,
           0.0f, tr.weights.data() + size_t(b) * steps * length, length);
    }
    return;
  }
  const float* vector = p.tensors[2];
  tr.queries.resize(tb * units), tr.keys.resize(size_t(rows) * length * units), tr.hidden.resize(size_t(rows) * steps * length * units);
  gemm(false, false, tb, units, units, top, units, p.tensors[0], units, 0.0f, tr.queries.data(), units);
  if (rows * length > 0) gemm(false, false, rows * length, units, width, m.values, width, p.tensors[1], units, 0.0f, tr.keys.data(), units);
  for (int b = 0; b < rows; b++) {
    for (int t = 0; t < steps; t++) {
      const float* q = tr.queries.data() + (size_t(t) * rows + b) * units;
      for (int s = 0; s < m.lengths[b]; s++) {
        const float* k = tr.keys.data() + (size_t(b) * length + s) * units;
        float* h = tr.hidden.data() + ((size_t(b) * steps + t) * length + s) * units;
        for (int j = 0; j < units; j++) h[j] = q[j] + k[j];
        activate_tanh(h, units);
        float score = 0.0f;
        for (int j = 0; j < units; j++) score += h[j] * vector[j];
        tr.weights[(size_t(b) * steps + t) * length + s] = score;
      }
    }
  }
}

/**
 * Back through the kind's scores from row b's d scores `dscores` ([steps, length]): the queries' gradient into
 * `dqueries` (its row b's), the keys' (Bahdanau) into `dkeys`, the vector's into `grads`, the memory's into `dmem`.
 */
void scores_backward(int units, const AttentionParams& p, int steps, int rows, const MemoryBlock& m, const AttentionTrace& tr, int b,
                     const float* dscores, float* dqueries, float* dkeys, const AttentionParams& grads, float* dmem) {
  const int width = m.width, length = m.length, len = m.lengths[b];
  const float* memory = m.values + size_t(b) * length * width;
  if (p.kind == AttentionKind::luong) {
    // scores = queries · memoryᵀ: d queries = d scores · memory; d memory += d scoresᵀ · queries
    gemm(false, false, steps, width, len, dscores, length, memory, width, 0.0f, dqueries + size_t(b) * width, rows * width);
    if (dmem != nullptr) gemm(true, false, len, width, steps, dscores, length, tr.queries.data() + size_t(b) * width, rows * width, 1.0f, dmem, width);
    return;
  }
  // score = v · tanh(q + k): d pre = d score · v ⊙ (1 − tanh²); d v += d score · tanh; d q += Σ_s d pre; d k += Σ_t d pre
  const float* vector = p.tensors[2];
  float* dvector = grads.tensors[2];
  for (int t = 0; t < steps; t++) {
    float* dq = dqueries + (size_t(t) * rows + b) * units;
    for (int s = 0; s < len; s++) {
      const float ds = dscores[size_t(t) * length + s];
      const float* h = tr.hidden.data() + ((size_t(b) * steps + t) * length + s) * units;
      float* dk = dkeys + (size_t(b) * length + s) * units;
      for (int j = 0; j < units; j++) {
        const float d = ds * vector[j] * (1.0f - h[j] * h[j]);
        dvector[j] += ds * h[j];
        dq[j] += d;
        dk[j] += d;
      }
    }
  }
}

}  // namespace

int attention_arrays(AttentionKind kind) { return kind == AttentionKind::luong ? 2 : 4; }

void attention_forward(int units, const AttentionParams& p, const float* top, int steps, int rows, const MemoryBlock& m, AttentionTrace& tr) {
  const int width = m.width, joined = width + units, length = m.length;
  const size_t tb = size_t(steps) * rows;
  tr.weights.assign(size_t(rows) * steps * length, 0.0f);
  tr.joined.resize(tb * joined);
  tr.out.resize(tb * units);
  scores_forward(units, p, top, steps, rows, m, tr);
  for (int b = 0; b < rows; b++) {
    const int len = m.lengths[b];
    float* weights = tr.weights.data() + size_t(b) * steps * length;
    float* context = tr.joined.data() + size_t(b) * joined;  // row b's [steps, width] block, stride rows·joined
    if (len == 0) {
      for (int t = 0; t < steps; t++) std::fill_n(context + size_t(t) * rows * joined, width, 0.0f);
      continue;
    }
    softmax_rows(weights, steps, len, length);
    gemm(false, false, steps, width, len, weights, length, m.values + size_t(b) * length * width, width, 0.0f, context, rows * joined);
  }
  for (size_t r = 0; r < tb; r++) std::copy_n(top + r * units, units, tr.joined.data() + r * joined + width);
  gemm(false, false, tb, units, joined, tr.joined.data(), joined, p.combine(), units, 0.0f, tr.out.data(), units);
  activate_tanh(tr.out.data(), int(tb * units));
}

void attention_backward(int units, const AttentionParams& p, const float* top, int steps, int rows, const MemoryBlock& m,
                        const AttentionTrace& tr, float* dout, float* dtop, const AttentionParams& grads, float* dmemory) {
  const int width = m.width, joined = width + units, length = m.length;
  const bool luong = p.kind == AttentionKind::luong;
  const int query_width = luong ? width : units;
  const size_t tb = size_t(steps) * rows;
  for (size_t k = 0; k < tb * units; k++) dout[k] *= 1.0f - tr.out[k] * tr.out[k];  // through the tanh
  gemm(true, false, joined, units, tb, tr.joined.data(), joined, dout, units, 1.0f, grads.combine(), units);
  std::vector<float> djoined(tb * joined), dqueries(tb * query_width, 0.0f), dweights(size_t(steps) * length);
  std::vector<float> dkeys(luong ? 0 : size_t(rows) * length * units, 0.0f);
  gemm(false, true, tb, joined, units, dout, units, p.combine(), units, 0.0f, djoined.data(), joined);
  for (size_t r = 0; r < tb; r++) std::copy_n(djoined.data() + r * joined + width, units, dtop + r * units);
  for (int b = 0; b < rows; b++) {
    const int len = m.lengths[b];
    if (len == 0) continue;  // no weights, no context: nothing flows back
    const float* memory = m.values + size_t(b) * length * width;
    const float* weights = tr.weights.data() + size_t(b) * steps * length;
    const float* dcontext = djoined.data() + size_t(b) * joined;  // stride rows·joined
    float* dmem = dmemory == nullptr ? nullptr : dmemory + size_t(b) * length * width;
    // d weights = d context · memoryᵀ; d memory += weightsᵀ · d context
    gemm(false, true, steps, len, width, dcontext, rows * joined, memory, width, 0.0f, dweights.data(), length);
    if (dmem != nullptr) gemm(true, false, len, width, steps, weights, length, dcontext, rows * joined, 1.0f, dmem, width);
    // through the softmax: d scores = a ⊙ (d a − Σ a·d a), in place
    for (int t = 0; t < steps; t++) {
      const float* a = weights + size_t(t) * length;
      float* d = dweights.data() + size_t(t) * length;
      float dot = 0.0f;
      for (int j = 0; j < len; j++) dot += a[j] * d[j];
      for (int j = 0; j < len; j++) d[j] = a[j] * (d[j] - dot);
    }
    scores_backward(units, p, steps, rows, m, tr, b, dweights.data(), dqueries.data(), dkeys.data(), grads, dmem);
  }
  // queries = top · W (Luong's score kernel, Bahdanau's query kernel)
  gemm(true, false, units, query_width, tb, top, units, dqueries.data(), query_width, 1.0f, grads.tensors[0], query_width);
  gemm(false, true, tb, units, query_width, dqueries.data(), query_width, p.tensors[0], query_width, 1.0f, dtop, units);
  if (!luong && rows * length > 0) {  // keys = memory · W_k
    gemm(true, false, width, units, rows * length, m.values, width, dkeys.data(), units, 1.0f, grads.tensors[1], units);
    if (dmemory != nullptr) gemm(false, true, rows * length, width, units, dkeys.data(), units, p.tensors[1], units, 1.0f, dmemory, width);
  }
}

}  // namespace gn
