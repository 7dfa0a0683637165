// The elementwise math of the passes: gate activations, dropout masks, products and the softmax cross-entropy.
#include "elementwise.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace gn {

namespace {

/** A 32-bit integer hash (Wellons' lowbias32): 32-bit operations only, so the mask loops vectorise. */
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  return x ^ (x >> 16);
}

}  // namespace

GN_VECTOR_CLONES void activate_gate(GateKind gate, float* x, int n) {
  if (gate == GateKind::sigmoid) {
    for (int i = 0; i < n; i++) x[i] = sigmoid(x[i]);
  } else {
    for (int i = 0; i < n; i++) x[i] = hard_sigmoid(x[i]);
  }
}

GN_VECTOR_CLONES void activate_tanh(float* x, int n) {
  for (int i = 0; i < n; i++) x[i] = tanh_approx(x[i]);
}

GN_VECTOR_CLONES void dropout_mask(uint32_t seed, float rate, int row0, int rows, int steps, int n, float* __restrict mask) {
  const uint32_t key = hash32(seed);
  const float keep = 1.0f / (1.0f - rate);
  for (int t = 0; t < steps; t++) {
    for (int b = 0; b < rows; b++) {
      const uint32_t base = (uint32_t(row0 + b) * uint32_t(steps) + uint32_t(t)) * uint32_t(n);
      float* m = mask + (size_t(t) * rows + b) * n;
      for (int j = 0; j < n; j++) {
        const float u = float(hash32(hash32(base + uint32_t(j)) ^ key) >> 8) * (1.0f / 16777216.0f);
        m[j] = u < rate ? 0.0f : keep;
      }
    }
  }
}

GN_VECTOR_CLONES void multiply_by(float* __restrict x, const float* __restrict y, size_t n) {
  for (size_t k = 0; k < n; k++) x[k] *= y[k];
}

GN_VECTOR_CLONES double sum_of_squares(const float* __restrict x, size_t n) {
  constexpr size_t kLanes = 8;
  double lanes[kLanes] = {};
  const size_t whole = n - n % kLanes;
  for (size_t k = 0; k < whole; k += kLanes)
    for (size_t j = 0; j < kLanes; j++) lanes[j] += double(x[k + j]) * double(x[k + j]);
  double sum = 0.0;
  for (size_t k = whole; k < n; k++) sum += double(x[k]) * double(x[k]);
  for (size_t j = 0; j < kLanes; j++) sum += lanes[j];
  return sum;
}

const float* zeros(size_t count) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < count) buffer.assign(count, 0.0f);
  return buffer.data();
}

GN_VECTOR_CLONES double softmax_cross_entropy(float* logits, size_t rows, int v, const float* __restrict bias, const int32_t* targets,
                                               const float* weights, float scale, float smoothing) {
  double loss = 0.0;
  const float spread = smoothing / float(v);  // each class's share of the smoothed target
  for (size_t r = 0; r < rows; r++) {
    float* __restrict row = logits + r * v;
    float max = -INFINITY;
    for (int k = 0; k < v; k++) {
      row[k] += bias[k];
      max = std::max(max, row[k]);
    }
    const int target = targets[r];
    const float target_logit = row[target];
    double logit_sum = 0.0;  // what the smoothed target's uniform part scores
    if (smoothing != 0.0f)
      for (int k = 0; k < v; k++) logit_sum += double(row[k]);
    float sum = 0.0f;
    for (int k = 0; k < v; k++) {
      row[k] = exp_approx(row[k] - max);
      sum += row[k];
    }
    const float weight = weights[r];
    if (weight != 0.0f) {
      const double scored = smoothing == 0.0f ? double(target_logit)
                                              : double(1.0f - smoothing) * double(target_logit) + double(spread) * logit_sum;
      loss += double(weight) * (std::log(double(sum)) + double(max) - scored);
    }
    const float factor = weight * scale / sum;
    for (int k = 0; k < v; k++) row[k] *= factor;
    if (smoothing != 0.0f) {
      const float uniform = weight * scale * spread;
      for (int k = 0; k < v; k++) row[k] -= uniform;
    }
    row[target] -= weight * scale * (1.0f - smoothing);
  }
  return loss;
}

std::vector<float> dropout_masks(uint32_t seed, float rate, int batch, int steps, int units) {
  std::vector<float> masks(size_t(batch) * steps * units);
  for (int b = 0; b < batch; b++) dropout_mask(seed, rate, b, 1, steps, units, masks.data() + size_t(b) * steps * units);  // one row: [steps, units]
  return masks;
}

}  // namespace gn
