// The simple RNN cell (tfjs-layers' SimpleRNN with tanh: one block, state h).
#include <algorithm>

#include "../elementwise.h"
#include "../linear.h"
#include "cell.h"

namespace gn {

namespace {

/** One simple-RNN step (see CellKernels::step): z keeps the pre-activations, h = tanh(z). */
GN_VECTOR_CLONES void rnn_step(const Spec& s, const float* hprev, const float* u, float* z, float* h, int rows) {
  const int n = s.units;
  if (hprev != nullptr) step_gemm(rows, n, n, hprev, n, u, n, 1.0f, z, n);
  for (size_t k = 0; k < size_t(rows) * n; k++) h[k] = tanh_approx(z[k]);
}

/** Simple RNN: dz = dh · (1 − h²) for `count` values. */
GN_VECTOR_CLONES void rnn_backward(size_t count, const float* __restrict h, const float* __restrict dh, float* __restrict dz) {
  for (size_t k = 0; k < count; k++) dz[k] = dh[k] * (1.0f - h[k] * h[k]);
}

void step(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, const StepState& out, int rows) {
  rnn_step(s, hprev, u, z, out.h, rows);
}

void backward(const BackwardStep& b) {
  const int n = b.units;
  rnn_backward(size_t(b.rows) * n, b.h, b.dh, b.dz);
  if (b.dh_prev != nullptr) step_gemm(b.rows, n, n, b.dz, n, b.ut, n, b.first ? 0.0f : 1.0f, b.dh_prev, n);  // dh_{t-1} += dz·Uᵀ
}

}  // namespace

extern const CellKernels rnn_kernels{"rnn", 1, 1, step, 0, backward, 1, nullptr};

}  // namespace gn
