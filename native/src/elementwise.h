// The elementwise math of the passes: gate activations and slopes, dropout masks, products, zero rows and the softmax
// cross-entropy. Their loops are written to vectorise (see mathx.h) and compiled per CPU level (GN_VECTOR_CLONES).
#pragma once
#include <cstddef>
#include <cstdint>

#include "mathx.h"
#include "network.h"

namespace gn {

/** x = gate(x) for `n` values: the sigmoid or the hard sigmoid. */
void activate_gate(GateKind gate, float* x, int n);

/** x = tanh(x) for `n` values. */
void activate_tanh(float* x, int n);

/**
 * d gate / d x where the gate's value is y; `sigmoid_gate` is 1 for the sigmoid and 0 for the hard sigmoid. Plain
 * arithmetic, no branch, so that the loops calling it vectorise.
 */
inline float gate_slope(float sigmoid_gate, float y) {
  const float hard = (y > 0.0f ? 0.2f : 0.0f) * (y < 1.0f ? 1.0f : 0.0f);
  return sigmoid_gate * (y * (1.0f - y)) + (1.0f - sigmoid_gate) * hard;
}

/**
 * Dropout masks of rows [row0, row0 + rows) of a batch of `steps` steps, time-major ([steps, rows, n]): the value at
 * (row b, step t, unit j) comes from a hash of the seed and the position's index ((b·steps + t)·n + j) in the whole
 * batch, so it is the same whichever thread computes it. A position is dropped (0) when its uniform value in [0, 1)
 * is below `rate`; kept ones get 1 / (1 − rate). The index is taken modulo 2^32, so masks would repeat only past
 * 4·10^9 positions in one batch.
 */
void dropout_mask(uint32_t seed, float rate, int row0, int rows, int steps, int n, float* __restrict mask);

/** x ⊙= y (n values). */
void multiply_by(float* __restrict x, const float* __restrict y, size_t n);

/** Σ x[k]² in double, over 8 interleaved partial sums (it vectorises; their order is fixed, so is the result). */
double sum_of_squares(const float* __restrict x, size_t n);

/** `count` zeros to read in place of an absent (zero) previous state, so loops need no branch per element. */
const float* zeros(size_t count);

/**
 * Softmax cross-entropy of `rows` rows of logits [rows, v] (plus `bias`) against `targets` smoothed by `smoothing`
 * (the target distribution (1 − smoothing) · one-hot + smoothing / v; 0: the plain one-hot), weighted by `weights`;
 * returns Σ weight · loss and turns the logits into their gradient (softmax − target distribution) · weight · scale.
 */
double softmax_cross_entropy(float* logits, size_t rows, int v, const float* __restrict bias, const int32_t* targets, const float* weights,
                             float scale, float smoothing);

}  // namespace gn
