// The LSTM cell (tfjs-layers' LSTM: gate blocks i, f, candidate, o; state h and c).
#include <algorithm>

#include "../elementwise.h"
#include "../linear.h"
#include "cell.h"

namespace gn {

namespace {

/** One row of the LSTM's state update from its activated gates g (i, f, candidate, o): c, tanh(c) and h. */
GN_VECTOR_CLONES void lstm_cell_update(int n, const float* __restrict g, const float* __restrict cprev, float* __restrict c, float* __restrict tc,
                                       float* __restrict h) {
  for (int j = 0; j < n; j++) {
    const float cell = g[n + j] * cprev[j] + g[j] * g[2 * n + j];
    c[j] = cell;
    tc[j] = tanh_approx(cell);
    h[j] = g[3 * n + j] * tc[j];
  }
}

/** One LSTM step (see CellKernels::step), its states c, tanh(c) and h written to `c`, `tc` and `h`. */
GN_VECTOR_CLONES void lstm_step(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, float* c, float* tc, float* h, int rows) {
  const int n = s.units, w = 4 * n;
  if (hprev != nullptr) step_gemm(rows, w, n, hprev, n, u, w, 1.0f, z, w);
  for (int b = 0; b < rows; b++) {
    float* g = z + size_t(b) * w;
    activate_gate(s.gate, g, 2 * n);  // i, f
    activate_tanh(g + 2 * n, n);      // candidate
    activate_gate(s.gate, g + 3 * n, n);  // o
    lstm_cell_update(n, g, cprev == nullptr ? zeros(n) : cprev + size_t(b) * n, c + size_t(b) * n, tc + size_t(b) * n, h + size_t(b) * n);
  }
}

/** LSTM: dz (i, f, g, o) from dh and the carried dc; updates the carry to dc·f. */
GN_VECTOR_CLONES void lstm_backward_gates(int rows, int n, float sig, const float* __restrict z, const float* __restrict tc,
                                          const float* __restrict cprev, const float* __restrict dh, float* __restrict carry, float* __restrict dz) {
  const int w = 4 * n;
  for (int b = 0; b < rows; b++) {
    const float* g = z + size_t(b) * w;
    float* d = dz + size_t(b) * w;
    for (int j = 0; j < n; j++) {
      const size_t k = size_t(b) * n + j;
      const float i = g[j], f = g[n + j], cand = g[2 * n + j], o = g[3 * n + j], tcv = tc[k], dhv = dh[k];
      const float dc = carry[k] + dhv * o * (1.0f - tcv * tcv);
      d[j] = dc * cand * gate_slope(sig, i);
      d[n + j] = dc * cprev[k] * gate_slope(sig, f);
      d[2 * n + j] = dc * i * (1.0f - cand * cand);
      d[3 * n + j] = dhv * tcv * gate_slope(sig, o);
      carry[k] = dc * f;
    }
  }
}

void step(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, const StepState& out, int rows) {
  lstm_step(s, hprev, cprev, u, z, out.c, out.tc, out.h, rows);
}

void backward(const BackwardStep& b) {
  const int n = b.units, w = 4 * n;
  lstm_backward_gates(b.rows, n, b.sig, b.z, b.tc, b.cprev, b.dh, b.carry, b.dz);
  if (b.dh_prev != nullptr) step_gemm(b.rows, n, w, b.dz, w, b.ut, n, b.first ? 0.0f : 1.0f, b.dh_prev, n);  // dh_{t-1} += dz·Uᵀ
  if (b.dc_prev != nullptr) std::copy_n(b.carry, size_t(b.rows) * n, b.dc_prev);  // dc_{-1}
}

}  // namespace

extern const CellKernels lstm_kernels{"lstm", 4, 2, step, 0, backward, 4, nullptr};

}  // namespace gn
