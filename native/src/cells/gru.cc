// The GRU cell (tfjs-layers' GRU: gate blocks z, r, candidate; the reset gate applies before the candidate's
// recurrent product, hh = tanh(x_h + (r ⊙ h)·U_h)).
#include <algorithm>

#include "../elementwise.h"
#include "../linear.h"
#include "cell.h"

namespace gn {

namespace {

/** One GRU step (see CellKernels::step), r ⊙ h_{t−1} and h written to `rh` and `h`. */
GN_VECTOR_CLONES void gru_step(const Spec& s, const float* hprev, const float* u, float* z, float* rh, float* h, int rows) {
  const int n = s.units, w = 3 * n;
  if (hprev != nullptr) step_gemm(rows, 2 * n, n, hprev, n, u, w, 1.0f, z, w);  // += h·U_zr
  const float* hp = hprev == nullptr ? zeros(size_t(rows) * n) : hprev;
  for (int b = 0; b < rows; b++) {
    float* g = z + size_t(b) * w;
    activate_gate(s.gate, g, 2 * n);
    float* rhb = rh + size_t(b) * n;
    const float* hb = hp + size_t(b) * n;
    for (int j = 0; j < n; j++) rhb[j] = g[n + j] * hb[j];
  }
  if (hprev != nullptr) step_gemm(rows, n, n, rh, n, u + 2 * n, w, 1.0f, z + 2 * n, w);  // += (r⊙h)·U_h
  for (int b = 0; b < rows; b++) {
    float* g = z + size_t(b) * w;
    activate_tanh(g + 2 * n, n);
    float* hb = h + size_t(b) * n;
    const float* pb = hp + size_t(b) * n;
    for (int j = 0; j < n; j++) hb[j] = g[j] * pb[j] + (1.0f - g[j]) * g[2 * n + j];
  }
}

/** GRU, first half: dz for the update gate and the candidate; the carry becomes dh·z. */
GN_VECTOR_CLONES void gru_backward_update(int rows, int n, float sig, const float* __restrict z, const float* __restrict hprev,
                                          const float* __restrict dh, float* __restrict carry, float* __restrict dz) {
  const int w = 3 * n;
  for (int b = 0; b < rows; b++) {
    const float* g = z + size_t(b) * w;
    float* d = dz + size_t(b) * w;
    for (int j = 0; j < n; j++) {
      const size_t k = size_t(b) * n + j;
      const float zg = g[j], hh = g[2 * n + j], dhv = dh[k] + carry[k];
      d[2 * n + j] = dhv * (1.0f - zg) * (1.0f - hh * hh);
      d[j] = dhv * (hprev[k] - hh) * gate_slope(sig, zg);
      carry[k] = dhv * zg;
    }
  }
}

/** GRU, second half: dz for the reset gate from d(r⊙h); the carry gains d(r⊙h)·r. */
GN_VECTOR_CLONES void gru_backward_reset(int rows, int n, float sig, const float* __restrict z, const float* __restrict hprev,
                                         const float* __restrict drh, float* __restrict carry, float* __restrict dz) {
  for (int b = 0; b < rows; b++) {
    const float* reset = z + size_t(b) * 3 * n + n;  // row b's reset gates
    float* d_reset = dz + size_t(b) * 3 * n + n;
    const size_t row = size_t(b) * n;
    for (int j = 0; j < n; j++) {
      d_reset[j] = drh[row + j] * hprev[row + j] * gate_slope(sig, reset[j]);
      carry[row + j] += drh[row + j] * reset[j];
    }
  }
}

void step(const Spec& s, const float* hprev, const float* cprev, const float* u, float* z, const StepState& out, int rows) {
  gru_step(s, hprev, u, z, out.rh, out.h, rows);
}

void backward(const BackwardStep& b) {
  const int n = b.units, w = 3 * n;
  gru_backward_update(b.rows, n, b.sig, b.z, b.hprev, b.dh, b.carry, b.dz);
  step_gemm(b.rows, n, n, b.dz + 2 * n, w, b.ut + size_t(2 * n) * n, n, 0.0f, b.scratch, n);  // d(r⊙h) = dhh·U_hᵀ
  gru_backward_reset(b.rows, n, b.sig, b.z, b.hprev, b.scratch, b.carry, b.dz);
  if (b.first && b.dh_prev != nullptr) std::copy_n(b.carry, size_t(b.rows) * n, b.dh_prev);  // the carried part of dh_{-1}
  if (b.dh_prev != nullptr) step_gemm(b.rows, n, 2 * n, b.dz, w, b.ut, n, 1.0f, b.dh_prev, n);  // dh_{t-1} += dz_zr·U_zrᵀ
}

/** The candidate's columns of the recurrent kernel's gradient: Σ_t (r⊙h_{t−1})ᵀ·dhh_t (step 0 only from a given state). */
void add_recurrent_gradient(int n, int steps, int batch, const float* rh, const float* dz, bool started, float* du) {
  const int w = 3 * n;
  const size_t step_z = size_t(batch) * w, step_h = size_t(batch) * n;
  const int from = started ? 0 : 1;
  gemm(true, false, n, n, (steps - from) * batch, rh + from * step_h, n, dz + from * step_z + 2 * n, w, 1.0f, du + 2 * n, w);
}

}  // namespace

extern const CellKernels gru_kernels{"gru", 3, 1, step, 1, backward, 2, add_recurrent_gradient};

}  // namespace gn
