// Luong attention forward and backward (see attention.h): per row of the block, its scores, softmax and context as
// small products over its own positions; the score and combine products over the whole block at once.
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

}  // namespace

void attention_forward(int units, const float* score, const float* combine, const float* top, int steps, int rows, const MemoryBlock& m,
                       AttentionTrace& tr) {
  const int width = m.width, joined = width + units, length = m.length;
  const size_t tb = size_t(steps) * rows;
  tr.queries.resize(tb * width);
  tr.weights.assign(size_t(rows) * steps * length, 0.0f);
  tr.joined.resize(tb * joined);
  tr.out.resize(tb * units);
  gemm(false, false, tb, width, units, top, units, score, width, 0.0f, tr.queries.data(), width);
  for (int b = 0; b < rows; b++) {
    const int len = m.lengths[b];
    const float* memory = m.values + size_t(b) * length * width;
    float* weights = tr.weights.data() + size_t(b) * steps * length;
    float* context = tr.joined.data() + size_t(b) * joined;  // row b's [steps, width] block, stride rows·joined
    if (len == 0) {
      for (int t = 0; t < steps; t++) std::fill_n(context + size_t(t) * rows * joined, width, 0.0f);
      continue;
    }
    gemm(false, true, steps, len, width, tr.queries.data() + size_t(b) * width, rows * width, memory, width, 0.0f, weights, length);
    softmax_rows(weights, steps, len, length);
    gemm(false, false, steps, width, len, weights, length, memory, width, 0.0f, context, rows * joined);
  }
  for (size_t r = 0; r < tb; r++) std::copy_n(top + r * units, units, tr.joined.data() + r * joined + width);
  gemm(false, false, tb, units, joined, tr.joined.data(), joined, combine, units, 0.0f, tr.out.data(), units);
  activate_tanh(tr.out.data(), int(tb * units));
}

void attention_backward(int units, const float* score, const float* combine, const float* top, int steps, int rows, const MemoryBlock& m,
                        const AttentionTrace& tr, float* dout, float* dtop, float* dscore, float* dcombine, float* dmemory) {
  const int width = m.width, joined = width + units, length = m.length;
  const size_t tb = size_t(steps) * rows;
  for (size_t k = 0; k < tb * units; k++) dout[k] *= 1.0f - tr.out[k] * tr.out[k];  // through the tanh
  gemm(true, false, joined, units, tb, tr.joined.data(), joined, dout, units, 1.0f, dcombine, units);
  std::vector<float> djoined(tb * joined), dqueries(tb * width, 0.0f), dweights(size_t(steps) * length);
  gemm(false, true, tb, joined, units, dout, units, combine, units, 0.0f, djoined.data(), joined);
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
    // scores = queries · memoryᵀ: d queries = d scores · memory; d memory += d scoresᵀ · queries
    gemm(false, false, steps, width, len, dweights.data(), length, memory, width, 0.0f, dqueries.data() + size_t(b) * width, rows * width);
    if (dmem != nullptr) gemm(true, false, len, width, steps, dweights.data(), length, tr.queries.data() + size_t(b) * width, rows * width, 1.0f, dmem, width);
  }
  // queries = top · score
  gemm(true, false, units, width, tb, top, units, dqueries.data(), width, 1.0f, dscore, width);
  gemm(false, true, tb, units, width, dqueries.data(), width, score, width, 1.0f, dtop, units);
}

}  // namespace gn
